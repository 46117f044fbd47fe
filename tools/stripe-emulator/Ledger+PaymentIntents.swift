/// What a confirmation attempt did.
enum PaymentOutcome: String, Sendable {
    case succeeded, declined, requiresAction = "requires_action", processing, failed
}

extension Ledger {
    static let paymentMethodTypes: Set<String> = ["card", "us_bank_account", "link", "alipay", "wechat_pay", "sepa_debit"]

    /// `POST /v1/payment_intents`.
    mutating func createPaymentIntent(_ p: Params, request: RequestInfo) throws(StripeError) -> JSONObject {
        try p.allowOnly(["amount", "currency", "metadata", "automatic_payment_methods", "payment_method_types",
                         "payment_method", "confirm", "customer", "description", "receipt_email", "return_url",
                         "capture_method", "setup_future_usage", "statement_descriptor", "statement_descriptor_suffix",
                         "shipping", "expand", "off_session", "error_on_requires_action", "payment_method_options",
                         "confirmation_method", "use_stripe_sdk"])
        guard let amount = try p.amount() else { throw .missing("amount") }
        guard let currency = try p.currency() else { throw .missing("currency") }
        let metadata = try p.metadata() ?? JSONObject()
        let automatic = try p.object("automatic_payment_methods")
        let types = try p.stringArray("payment_method_types")
        if automatic != nil && types != nil {
            throw .invalid("payment_method_types",
                           "You may only specify one of these parameters: automatic_payment_methods, payment_method_types.",
                           code: "parameters_exclusive")
        }
        var automaticJSON: JSON = ["enabled": true, "allow_redirects": "always"]
        if let automatic {
            guard let enabled = try automatic.bool("enabled") else { throw .missing("automatic_payment_methods[enabled]") }
            automaticJSON = enabled ? ["enabled": true, "allow_redirects": .string(try automatic.string("allow_redirects") ?? "always")] : nil
        }
        for (i, t) in (types ?? []).enumerated() where !Self.paymentMethodTypes.contains(t) {
            throw .invalid("payment_method_types[\(i)]", "The payment method type provided: \(t) is invalid.")
        }
        if let capture = try p.string("capture_method"), capture != "automatic", capture != "automatic_async" {
            throw .invalid("capture_method", "This stand-in supports only capture_method automatic and automatic_async.")
        }
        let confirm = try p.bool("confirm") ?? false
        let returnURL = try p.string("return_url")
        if returnURL != nil && !confirm {
            throw .invalid("return_url", "You can only pass return_url when confirming; pass confirm=true or give it to the confirm call.")
        }
        if let customer = try p.string("customer") { _ = try get("customer", customer, param: "customer") }
        var pm: JSONObject?
        if let pmID = try p.string("payment_method") { pm = try resolvePaymentMethod(pmID) }

        let id = IDs.make("pi_")
        var pi: JSONObject = [
            "id": .string(id), "object": "payment_intent", "amount": .int(amount), "amount_capturable": 0,
            "amount_received": 0, "automatic_payment_methods": types == nil ? automaticJSON : nil,
            "canceled_at": nil, "cancellation_reason": nil,
            "capture_method": .string(try p.string("capture_method") ?? "automatic_async"),
            "client_secret": .string(IDs.clientSecret(for: id)), "confirmation_method": "automatic",
            "created": .int(IDs.now()), "currency": .string(currency), "customer": JSON(try p.string("customer")),
            "description": JSON(try p.string("description")), "last_payment_error": nil, "latest_charge": nil,
            "livemode": false, "metadata": .object(metadata), "next_action": nil,
            "payment_method": JSON(pm?.id),
            "payment_method_types": .array((types ?? ["card", "link", "us_bank_account"]).map(JSON.string)),
            "receipt_email": JSON(try p.string("receipt_email")), "setup_future_usage": nil, "shipping": nil,
            "statement_descriptor": nil, "status": .string(pm == nil ? "requires_payment_method" : "requires_confirmation"),
        ]
        if confirm {
            guard let pm else { throw .missing("payment_method") }
            try requireCompatible(pi, pm)
        }
        insert(pi)
        emit("payment_intent.created", pi, request: request)
        if confirm, let pm {
            if let returnURL { pi["_return_url"] = .string(returnURL); update(pi) }
            let outcome = attemptPayment(id, with: pm, request: request)
            try throwIfDeclined(outcome, id, version: request.version)
        }
        return objects[id]!
    }

    /// `POST /v1/payment_intents/{id}`: metadata (merged), amount, currency, description, receipt_email,
    /// payment_method, customer; only before the payment went through.
    mutating func updatePaymentIntent(_ id: String, _ p: Params) throws(StripeError) -> JSONObject {
        try p.allowOnly(["metadata", "amount", "currency", "description", "receipt_email", "payment_method",
                         "customer", "expand", "payment_method_types", "setup_future_usage", "shipping"])
        var pi = try get("payment_intent", id)
        let status = pi.string("status") ?? ""
        guard ["requires_payment_method", "requires_confirmation", "requires_action"].contains(status) else {
            throw .unexpectedState("You cannot update this PaymentIntent because it has a status of \(status).")
        }
        if let amount = try p.amount() { pi["amount"] = .int(amount) }
        if let currency = try p.currency() { pi["currency"] = .string(currency) }
        if let d = try p.string("description") { pi["description"] = d.isEmpty ? nil : .string(d) }
        if let e = try p.string("receipt_email") { pi["receipt_email"] = e.isEmpty ? nil : .string(e) }
        if let c = try p.string("customer") {
            _ = try get("customer", c, param: "customer")
            pi["customer"] = .string(c)
        }
        if let pmID = try p.string("payment_method") {
            pi["payment_method"] = .string(try resolvePaymentMethod(pmID).id)
            pi["status"] = "requires_confirmation"
        }
        if let m = try p.object("metadata") {
            var metadata = pi.object("metadata") ?? JSONObject()
            for (k, v) in m.values.pairs { if let t = v.text, !t.isEmpty { metadata[k] = .string(t) } else { metadata.remove(k) } }
            pi["metadata"] = .object(metadata)
        }
        update(pi)
        return pi
    }

    /// `POST /v1/payment_intents/{id}/confirm`. A decline answers 402 `card_error` (the PaymentIntent,
    /// now `requires_payment_method` with `last_payment_error`, is in the error), as on Stripe.
    mutating func confirmPaymentIntent(_ id: String, _ p: Params, request: RequestInfo) throws(StripeError) -> JSONObject {
        try p.allowOnly(["payment_method", "payment_method_data", "return_url", "receipt_email", "expand", "off_session",
                         "client_secret", "error_on_requires_action", "use_stripe_sdk", "mandate_data",
                         "payment_method_options", "payment_method_types", "setup_future_usage", "shipping"])
        var pi = try get("payment_intent", id)
        if let secret = try p.string("client_secret"), secret != pi.string("client_secret") {
            throw .invalid("client_secret", "The client_secret provided does not match the client_secret associated with the PaymentIntent.")
        }
        try requireConfirmable(pi)
        if p.has("payment_method") && p.has("payment_method_data") {
            throw .invalid("payment_method_data", "You may only specify one of these parameters: payment_method, payment_method_data.",
                           code: "parameters_exclusive")
        }
        let pm: JSONObject
        if let data = try p.object("payment_method_data") {
            // A card Stripe refuses outright (an invalid or live number) is a 402 on the PaymentIntent.
            do { pm = try createPaymentMethod(data) } catch {
                var e = error
                e.extra["payment_intent"] = try? render(pi, version: request.version ?? settings.defaultVersion)
                throw e
            }
        } else if let pmID = try p.string("payment_method") {
            pm = try resolvePaymentMethod(pmID)
        } else if let existing = pi.string("payment_method"), let stored = objects[existing] {
            pm = stored
        } else {
            throw StripeError(status: 400, type: "invalid_request_error", code: "payment_intent_unexpected_state",
                              message: "You cannot confirm this PaymentIntent because it's missing a payment method. Pass payment_method.",
                              param: "payment_method")
        }
        try requireCompatible(pi, pm)
        if let returnURL = try p.string("return_url") { pi["_return_url"] = .string(returnURL) }
        if let email = try p.string("receipt_email") { pi["receipt_email"] = .string(email) }
        // Stripe.js asks to handle next actions itself (a 3-D Secure modal instead of a full-page redirect).
        pi["_use_stripe_sdk"] = try p.bool("use_stripe_sdk") == true ? .bool(true) : nil
        update(pi)
        let outcome = attemptPayment(id, with: pm, request: request)
        try throwIfDeclined(outcome, id, version: request.version)
        return objects[id]!
    }

    /// Refuses a PaymentMethod whose type the PaymentIntent does not accept (explicit `payment_method_types`).
    func requireCompatible(_ pi: JSONObject, _ pm: JSONObject) throws(StripeError) {
        guard pi["automatic_payment_methods"]?.isNull ?? true,
              let allowed = pi["payment_method_types"]?.array?.compactMap(\.string),
              let type = pm.string("type"), !allowed.contains(type) else { return }
        throw .invalid("payment_method",
                       "The PaymentMethod provided (\(type)) is not allowed for this PaymentIntent; allowed: \(allowed.joined(separator: ", ")).",
                       code: "payment_intent_incompatible_payment_method")
    }

    func requireConfirmable(_ pi: JSONObject) throws(StripeError) {
        let status = pi.string("status") ?? ""
        guard ["requires_payment_method", "requires_confirmation", "requires_action"].contains(status) else {
            throw .unexpectedState("You cannot confirm this PaymentIntent because it has a status of \(status). Only a PaymentIntent with one of the following statuses may be confirmed: requires_confirmation, requires_payment_method, requires_action.")
        }
    }

    /// The 402 Stripe answers a declined confirmation with.
    func throwIfDeclined(_ outcome: PaymentOutcome, _ id: String, version: APIVersion? = nil) throws(StripeError) {
        guard outcome == .declined, let pi = objects[id], let error = pi.object("last_payment_error") else { return }
        var e = StripeError(status: 402, type: "card_error", code: error.string("code"), declineCode: error.string("decline_code"),
                            message: error.string("message") ?? TestCard.declined, param: error.string("param"))
        e.extra["payment_intent"] = try? render(pi, version: version ?? settings.defaultVersion)
        e.extra["charge"] = error["charge"]
        e.extra["payment_method"] = error["payment_method"]
        throw e
    }

    /// Confirms PaymentIntent `id` with `pm` and applies the outcome the test method dictates, emitting
    /// the events and updating a linked Checkout Session or invoice.
    mutating func attemptPayment(_ id: String, with pm: JSONObject, request: RequestInfo?) -> PaymentOutcome {
        guard var pi = objects[id] else { return .failed }
        pi["payment_method"] = .string(pm.id)
        pi["last_payment_error"] = nil
        pi["next_action"] = nil
        update(pi)
        switch behavior(of: pm) {
        case .succeed:
            succeed(id, request: request)
            return .succeeded
        case .decline(let code, let declineCode, let message):
            return decline(id, pm: pm, code: code, declineCode: declineCode, type: "card_error", message: message, request: request)
        case .authenticate:
            let path = "\(settings.baseURL)/_emulator/payment_intents/\(id)/authenticate"
            let page = "\(settings.baseURL)/3ds/\(id)"
            modify(id) { pi in
                pi["status"] = "requires_action"
                if let returnURL = pi.string("_return_url"), pi["_use_stripe_sdk"]?.bool != true {
                    // The bank's page: a browser sent there completes or fails the challenge, then returns.
                    pi["next_action"] = ["type": "redirect_to_url",
                                         "redirect_to_url": ["url": .string(page), "return_url": .string(returnURL)]]
                } else {
                    pi["next_action"] = ["type": "use_stripe_sdk",
                                         "use_stripe_sdk": ["type": "three_d_secure_redirect", "stripe_js": .string(path),
                                                            "source": .string(pm.id)]]
                }
            }
            emit("payment_intent.requires_action", objects[id]!, request: request)
            return .requiresAction
        case .async:
            let settleDelay = settings.asyncSettleMs
            modify(id) { pi in
                pi["status"] = "processing"
                if let delay = settleDelay { pi["_settle_at_ms"] = .int(IDs.nowMilliseconds() + delay) }
            }
            emit("payment_intent.processing", objects[id]!, request: request)
            paymentIntentChanged(id, .processing, request: request)
            return .processing
        }
    }

    /// The charge goes through.
    mutating func succeed(_ id: String, request: RequestInfo?) {
        guard var pi = objects[id] else { return }
        let pm = pi.string("payment_method").flatMap { objects[$0] }
        let charge = makeCharge(pi, pm: pm, failure: nil)
        emit("charge.succeeded", charge, request: request)
        pi["status"] = "succeeded"
        pi["amount_received"] = pi["amount"]
        pi["latest_charge"] = .string(charge.id)
        pi["next_action"] = nil
        pi["last_payment_error"] = nil
        pi["_settle_at_ms"] = nil
        update(pi)
        emit("payment_intent.succeeded", pi, request: request)
        paymentIntentChanged(id, .succeeded, request: request)
        openDisputeIfTestCard(id, request: request)
    }

    /// The payment fails: back to `requires_payment_method` with `last_payment_error`.
    @discardableResult
    mutating func decline(_ id: String, pm: JSONObject?, code: String, declineCode: String?, type: String, message: String,
                          request: RequestInfo?) -> PaymentOutcome {
        guard var pi = objects[id] else { return .failed }
        var error: JSONObject = ["type": .string(type), "code": .string(code), "message": .string(message)]
        if let declineCode { error["decline_code"] = .string(declineCode) }
        if code == "incorrect_cvc" { error["param"] = "cvc" }
        error["doc_url"] = .string("https://stripe.com/docs/error-codes/\(code.replacing("_", with: "-"))")
        if let pm { error["payment_method"] = (try? render(pm, version: settings.defaultVersion)) ?? nil }
        if type == "card_error" {
            let charge = makeCharge(pi, pm: pm, failure: (code: declineCode ?? code, message: message))
            emit("charge.failed", charge, request: request)
            error["charge"] = .string(charge.id)
            pi["latest_charge"] = .string(charge.id)
        }
        pi["status"] = "requires_payment_method"
        pi["payment_method"] = nil
        pi["next_action"] = nil
        pi["_settle_at_ms"] = nil
        pi["last_payment_error"] = .object(error)
        update(pi)
        emit("payment_intent.payment_failed", pi, request: request)
        paymentIntentChanged(id, .failed, request: request)
        return .declined
    }

    /// `POST /v1/payment_intents/{id}/cancel`.
    mutating func cancelPaymentIntent(_ id: String, _ p: Params, request: RequestInfo?) throws(StripeError) -> JSONObject {
        try p.allowOnly(["cancellation_reason", "expand"])
        let pi = try get("payment_intent", id)
        let reason = try p.string("cancellation_reason")
        if let reason, !["duplicate", "fraudulent", "requested_by_customer", "abandoned"].contains(reason) {
            throw .invalid("cancellation_reason", "Invalid cancellation_reason: must be one of duplicate, fraudulent, requested_by_customer or abandoned.")
        }
        if pi.string("_invoice") != nil {
            throw .unexpectedState("You cannot cancel this PaymentIntent because it was created by an invoice.")
        }
        let status = pi.string("status") ?? ""
        guard ["requires_payment_method", "requires_confirmation", "requires_action", "requires_capture"].contains(status) else {
            throw .unexpectedState("You cannot cancel this PaymentIntent because it has a status of \(status). Only a PaymentIntent with one of the following statuses may be canceled: requires_payment_method, requires_capture, requires_confirmation, requires_action.")
        }
        cancel(id, reason: reason, request: request)
        return objects[id]!
    }

    mutating func cancel(_ id: String, reason: String?, request: RequestInfo?) {
        modify(id) { pi in
            pi["status"] = "canceled"
            pi["canceled_at"] = .int(IDs.now())
            pi["cancellation_reason"] = JSON(reason)
            pi["next_action"] = nil
        }
        emit("payment_intent.canceled", objects[id]!, request: request)
    }

    /// Completes or fails 3-D Secure on a `requires_action` PaymentIntent (the test helper).
    mutating func authenticate(_ id: String, success: Bool, request: RequestInfo?) throws(StripeError) -> PaymentOutcome {
        let pi = try get("payment_intent", id)
        guard pi.string("status") == "requires_action" else {
            throw .unexpectedState("PaymentIntent \(id) has status \(pi.string("status") ?? "?"); only requires_action can be authenticated.")
        }
        if success {
            succeed(id, request: request)
            return .succeeded
        }
        let pm = pi.string("payment_method").flatMap { objects[$0] }
        return decline(id, pm: pm, code: "payment_intent_authentication_failure", declineCode: nil, type: "invalid_request_error",
                       message: "The provided PaymentMethod has failed authentication. You can provide payment_method_data or a new PaymentMethod to attempt to fulfill this PaymentIntent again.",
                       request: request)
    }

    /// Ends the processing of an asynchronous payment (the test helper, or the timer).
    mutating func settle(_ id: String, success: Bool, request: RequestInfo?) throws(StripeError) -> PaymentOutcome {
        let pi = try get("payment_intent", id)
        guard pi.string("status") == "processing" else {
            throw .unexpectedState("PaymentIntent \(id) has status \(pi.string("status") ?? "?"); only processing can be settled.")
        }
        if success {
            succeed(id, request: request)
            return .succeeded
        }
        let pm = pi.string("payment_method").flatMap { objects[$0] }
        decline(id, pm: pm, code: "payment_method_provider_decline", declineCode: "debit_not_authorized", type: "card_error",
                message: "The customer's bank account could not be debited.", request: request)
        return .failed
    }

    /// The redirect Stripe.js would make after a confirmation or authentication, when a return_url is known.
    func redirectURL(for id: String) -> String? {
        guard let pi = objects[id], let returnURL = pi.string("_return_url") else { return nil }
        let status = switch pi.string("status") {
        case "succeeded": "succeeded"
        case "processing": "pending"
        default: "failed"
        }
        let separator = returnURL.contains("?") ? "&" : "?"
        return "\(returnURL)\(separator)payment_intent=\(id)&payment_intent_client_secret=\(pi.string("client_secret") ?? "")&redirect_status=\(status)"
    }

    /// A charge for one attempt.
    private mutating func makeCharge(_ pi: JSONObject, pm: JSONObject?, failure: (code: String, message: String)?) -> JSONObject {
        var details: JSONObject = ["type": JSON(pm?.string("type"))]
        if let type = pm?.string("type"), let sub = pm?[type] { details[type] = sub }
        let ok = failure == nil
        let charge: JSONObject = [
            "id": .string(IDs.make("ch_")), "object": "charge", "amount": pi["amount"] ?? 0,
            "amount_captured": ok ? (pi["amount"] ?? 0) : 0, "amount_refunded": 0, "balance_transaction": nil,
            "captured": .bool(ok), "created": .int(IDs.now()), "currency": pi["currency"] ?? nil,
            "customer": pi["customer"] ?? nil, "description": pi["description"] ?? nil,
            "failure_code": JSON(failure?.code), "failure_message": JSON(failure?.message), "livemode": false,
            "metadata": pi["metadata"] ?? [:],
            "outcome": [
                "network_status": ok ? "approved_by_network" : "declined_by_network",
                "reason": JSON(failure?.code), "risk_level": "normal",
                "seller_message": ok ? "Payment complete." : "The bank did not return any further details with this decline.",
                "type": ok ? "authorized" : "issuer_declined",
            ],
            "paid": .bool(ok), "payment_intent": .string(pi.id), "payment_method": JSON(pm?.id),
            "payment_method_details": .object(details), "receipt_url": nil, "refunded": false, "disputed": false,
            "status": ok ? "succeeded" : "failed",
        ]
        insert(charge)
        return charge
    }
}
