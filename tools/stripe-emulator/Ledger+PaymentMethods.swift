extension Ledger {
    /// `POST /v1/payment_methods`: `type=card` with `card[number]` (a test card; any expiry, any CVC), or
    /// `type=us_bank_account` (the asynchronous method: always `processing` first).
    mutating func createPaymentMethod(_ p: Params) throws(StripeError) -> JSONObject {
        try p.allowOnly(["type", "card", "us_bank_account", "billing_details", "metadata", "expand"])
        let type = try p.requiredString("type")
        let metadata = try p.metadata() ?? JSONObject()
        let billing = try p.object("billing_details")?.values
        var pm: JSONObject
        switch type {
        case "card":
            guard let card = try p.object("card") else { throw .missing("card") }
            let number = try card.requiredString("number")
            let month = try card.int("exp_month") ?? 12
            let year = try card.int("exp_year") ?? 2034
            guard (1...12).contains(month) else {
                throw StripeError(status: 402, type: "card_error", code: "invalid_expiry_month",
                                  message: "Your card's expiration month is invalid.", param: "card[exp_month]")
            }
            guard let test = TestCard.card(number: number) else {
                if TestCard.luhnValid(number) {
                    throw StripeError(status: 402, type: "card_error", code: "card_declined", declineCode: "test_mode_live_card",
                                      message: "Your card was declined. Your request was in test mode, but used a non test card. For a list of valid test cards, visit: https://stripe.com/docs/testing.",
                                      param: "card[number]")
                }
                throw StripeError(status: 402, type: "card_error", code: "incorrect_number",
                                  message: "Your card number is incorrect.", param: "card[number]")
            }
            pm = cardPaymentMethod(test, expMonth: month, expYear: year)
        case "us_bank_account":
            pm = bankPaymentMethod()
        default:
            throw .invalid("type", "Invalid type: this stand-in supports payment methods of type card and us_bank_account.")
        }
        pm["metadata"] = .object(metadata)
        if let billing { pm["billing_details"] = .object(billing) }
        insert(pm)
        return pm
    }

    /// A PaymentMethod for a `payment_method` parameter: a stored `pm_...`, or one of Stripe's test ids
    /// (`pm_card_visa`, `pm_usBankAccount`, ...) which, as on Stripe, yields a fresh PaymentMethod.
    mutating func resolvePaymentMethod(_ id: String, param: String = "payment_method") throws(StripeError) -> JSONObject {
        if let test = TestCard.card(paymentMethodID: id) {
            let pm = cardPaymentMethod(test, expMonth: 12, expYear: 2034)
            insert(pm)
            return pm
        }
        if id == TestCard.asyncPaymentMethodID {
            let pm = bankPaymentMethod()
            insert(pm)
            return pm
        }
        return try get("payment_method", id, param: param)
    }

    /// A PaymentMethod for a card number given to a test helper.
    mutating func paymentMethod(forCard number: String) throws(StripeError) -> JSONObject {
        guard let test = TestCard.card(number: number) else {
            throw .invalid("card", "Unknown test card \(number): use one of the cards in docs/STRIPE-EMULATOR.md.")
        }
        let pm = cardPaymentMethod(test, expMonth: 12, expYear: 2034)
        insert(pm)
        return pm
    }

    /// What confirming with `pm` does.
    func behavior(of pm: JSONObject) -> PaymentBehavior {
        if pm.string("type") == "us_bank_account" { return .async }
        if let number = pm.string("_number"), let test = TestCard.card(number: number) { return test.behavior }
        return .succeed
    }

    private func cardPaymentMethod(_ test: TestCard, expMonth: Int64, expYear: Int64) -> JSONObject {
        [
            "id": .string(IDs.make("pm_")), "object": "payment_method", "type": "card",
            "billing_details": ["address": nil, "email": nil, "name": nil, "phone": nil],
            "card": [
                "brand": .string(test.brand), "last4": .string(test.last4), "exp_month": .int(expMonth),
                "exp_year": .int(expYear), "funding": "credit", "country": "US",
                "checks": ["address_line1_check": nil, "address_postal_code_check": nil, "cvc_check": "pass"],
                "three_d_secure_usage": ["supported": true], "wallet": nil,
            ],
            "created": .int(IDs.now()), "customer": nil, "livemode": false, "metadata": [:],
            "_number": .string(test.number),
        ]
    }

    private func bankPaymentMethod() -> JSONObject {
        [
            "id": .string(IDs.make("pm_")), "object": "payment_method", "type": "us_bank_account",
            "billing_details": ["address": nil, "email": nil, "name": "Jenny Rosen", "phone": nil],
            "us_bank_account": [
                "account_holder_type": "individual", "account_type": "checking", "bank_name": "STRIPE TEST BANK",
                "last4": "6789", "routing_number": "110000000", "networks": ["preferred": "ach", "supported": ["ach"]],
            ],
            "created": .int(IDs.now()), "customer": nil, "livemode": false, "metadata": [:],
        ]
    }
}
