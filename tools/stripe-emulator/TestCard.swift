/// What a test payment method does when a payment is confirmed with it.
enum PaymentBehavior: Sendable, Equatable {
    /// The charge succeeds at once.
    case succeed
    /// The charge is declined: the PaymentIntent goes back to `requires_payment_method`.
    case decline(code: String, declineCode: String, message: String)
    /// 3-D Secure is required: `requires_action` until authenticated.
    case authenticate
    /// An asynchronous method (`us_bank_account`): `processing`, then `succeeded` (or failed) later.
    case async
}

/// Stripe's documented test cards and test PaymentMethod ids (STRIPE-NOTES.md), plus the asynchronous
/// test method this stand-in offers (`pm_usBankAccount`, type `us_bank_account`).
struct TestCard: Sendable {
    var number: String
    var brand: String
    var behavior: PaymentBehavior
    /// The Stripe test PaymentMethod id standing for this card, if any.
    var paymentMethodID: String?

    var last4: String { String(number.suffix(4)) }

    static let declined = "Your card was declined."

    static let all: [TestCard] = [
        TestCard(number: "4242424242424242", brand: "visa", behavior: .succeed, paymentMethodID: "pm_card_visa"),
        TestCard(number: "5555555555554444", brand: "mastercard", behavior: .succeed, paymentMethodID: "pm_card_mastercard"),
        TestCard(number: "4000000000000002", brand: "visa",
                 behavior: .decline(code: "card_declined", declineCode: "generic_decline", message: declined),
                 paymentMethodID: "pm_card_visa_chargeDeclined"),
        TestCard(number: "4000000000009995", brand: "visa",
                 behavior: .decline(code: "card_declined", declineCode: "insufficient_funds",
                                    message: "Your card has insufficient funds."),
                 paymentMethodID: "pm_card_visa_chargeDeclinedInsufficientFunds"),
        TestCard(number: "4000000000000069", brand: "visa",
                 behavior: .decline(code: "expired_card", declineCode: "expired_card", message: "Your card has expired."),
                 paymentMethodID: "pm_card_chargeDeclinedExpiredCard"),
        TestCard(number: "4000000000000127", brand: "visa",
                 behavior: .decline(code: "incorrect_cvc", declineCode: "incorrect_cvc",
                                    message: "Your card's security code is incorrect."),
                 paymentMethodID: "pm_card_chargeDeclinedIncorrectCvc"),
        TestCard(number: "4000002500003155", brand: "visa", behavior: .authenticate,
                 paymentMethodID: "pm_card_authenticationRequiredOnSetup"),
        TestCard(number: "4000002760003184", brand: "visa", behavior: .authenticate,
                 paymentMethodID: "pm_card_authenticationRequired"),
        // Cards whose payments succeed and whose later life is the test (Ledger+Disputes, Ledger+Refunds).
        TestCard(number: createDispute, brand: "visa", behavior: .succeed, paymentMethodID: "pm_card_createDispute"),
        TestCard(number: refundPending, brand: "visa", behavior: .succeed, paymentMethodID: "pm_card_pendingRefund"),
        TestCard(number: refundFail, brand: "visa", behavior: .succeed, paymentMethodID: "pm_card_refundFail"),
    ]

    /// The payment succeeds, then a dispute opens on it (Stripe's test card).
    static let createDispute = "4000000000000259"
    /// Refunds go `pending`, then `failed` (`lost_or_stolen_card`).
    static let refundPending = "4000000000007726"
    /// Refunds succeed, then fail (`expired_or_canceled_card`), as Stripe's 4000000000005126 does.
    static let refundFail = "4000000000005126"

    /// The test PaymentMethod id of the asynchronous method.
    static let asyncPaymentMethodID = "pm_usBankAccount"

    static func card(number: String) -> TestCard? {
        let digits = number.filter { $0 != " " && $0 != "-" }
        return all.first { $0.number == digits }
    }

    static func card(paymentMethodID: String) -> TestCard? {
        all.first { $0.paymentMethodID == paymentMethodID }
    }

    /// Luhn check, for numbers that are not test cards.
    static func luhnValid(_ number: String) -> Bool {
        let digits = number.compactMap(\.wholeNumberValue)
        guard digits.count >= 12, digits.count == number.count else { return false }
        var sum = 0
        for (i, d) in digits.reversed().enumerated() {
            if i % 2 == 1 { sum += d * 2 > 9 ? d * 2 - 9 : d * 2 } else { sum += d }
        }
        return sum % 10 == 0
    }
}
