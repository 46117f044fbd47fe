/// How a PaymentIntent changed, for the objects that follow it (its Checkout Session or invoice).
enum PaymentChange: Sendable {
    case processing, succeeded, failed
}

extension Ledger {
    /// `POST /v1/checkout/sessions`: embedded mode only (`ui_mode` spelled per API version), `mode=payment`.
    mutating func createCheckoutSession(_ p: Params, version: APIVersion, request: RequestInfo) throws(StripeError) -> JSONObject {
        try p.allowOnly(["mode", "ui_mode", "return_url", "success_url", "cancel_url", "line_items", "metadata",
                         "payment_intent_data", "payment_method_types", "expires_at", "customer_email", "customer",
                         "client_reference_id", "redirect_on_completion", "expand", "locale", "billing_address_collection",
                         "submit_type", "allow_promotion_codes", "automatic_tax", "phone_number_collection",
                         "customer_creation", "adaptive_pricing"])
        let mode = try p.requiredString("mode")
        guard mode == "payment" else {
            throw .invalid("mode", "This stand-in supports only mode=payment (got \(mode)).")
        }
        let uiMode = try p.string("ui_mode") ?? version.uiModes[0]
        guard version.uiModes.contains(uiMode) else {
            throw .invalid("ui_mode", "Invalid ui_mode: must be one of \(version.uiModes.joined(separator: ", ")) (API version \(version)).")
        }
        guard uiMode == version.embeddedUIMode else {
            throw .invalid("ui_mode", "This stand-in supports only embedded Checkout: ui_mode=\(version.embeddedUIMode) for API version \(version).")
        }
        for key in ["success_url", "cancel_url"] where p.has(key) {
            throw .invalid(key, "You cannot use `\(key)` with `ui_mode=\(uiMode)`; use `return_url` instead.")
        }
        let redirect = try p.string("redirect_on_completion") ?? "always"
        guard ["always", "if_required", "never"].contains(redirect) else {
            throw .invalid("redirect_on_completion", "Invalid redirect_on_completion: must be one of always, if_required or never.")
        }
        let returnURL = try p.string("return_url")
        if redirect == "never" {
            if returnURL != nil { throw .invalid("return_url", "You cannot pass `return_url` when `redirect_on_completion=never`.") }
        } else {
            guard let returnURL else {
                throw StripeError(status: 400, type: "invalid_request_error", code: "parameter_missing",
                                  message: "Missing required param: return_url (required in embedded mode unless redirect_on_completion=never).",
                                  param: "return_url")
            }
            guard returnURL.hasPrefix("http://") || returnURL.hasPrefix("https://") else {
                throw .invalid("return_url", "Not a valid URL", code: "url_invalid")
            }
        }

        let (items, currency, total) = try lineItems(p)
        let metadata = try p.metadata() ?? JSONObject()
        var intentData = JSONObject()
        if let d = try p.object("payment_intent_data") {
            try d.allowOnly(["metadata", "description", "receipt_email", "setup_future_usage", "capture_method",
                             "statement_descriptor", "statement_descriptor_suffix", "shipping"])
            intentData["metadata"] = .object(try d.metadata() ?? JSONObject())
            if let desc = try d.string("description") { intentData["description"] = .string(desc) }
            if let email = try d.string("receipt_email") { intentData["receipt_email"] = .string(email) }
        }
        let types = try p.stringArray("payment_method_types")
        for (i, t) in (types ?? []).enumerated() where !Self.paymentMethodTypes.contains(t) {
            throw .invalid("payment_method_types[\(i)]", "Invalid payment_method_types[\(i)]: \(t) is not supported.")
        }
        let now = IDs.now()
        let expiresAt = try p.int("expires_at") ?? now + 86_400
        // Stripe's window: 30 minutes to 24 hours after creation (a few seconds of slack for the caller's clock).
        if expiresAt < now + 1_800 - 10 {
            throw .invalid("expires_at", "The `expires_at` timestamp must be at least 30 minutes from Checkout Session creation.")
        }
        if expiresAt > now + 86_400 + 10 {
            throw .invalid("expires_at", "The `expires_at` timestamp must be less than 24 hours from Checkout Session creation.")
        }
        if let customer = try p.string("customer") { _ = try get("customer", customer, param: "customer") }

        let id = "cs_test_" + IDs.random(58)
        var session: JSONObject = [
            "id": .string(id), "object": "checkout.session", "after_expiration": nil,
            "allow_promotion_codes": .bool(try p.bool("allow_promotion_codes") ?? false),
            "amount_subtotal": .int(total), "amount_total": .int(total),
            "automatic_tax": ["enabled": false, "liability": nil, "status": nil],
            "billing_address_collection": JSON(try p.string("billing_address_collection")), "cancel_url": nil,
            "client_reference_id": JSON(try p.string("client_reference_id")),
            "client_secret": .string(IDs.clientSecret(for: id)), "created": .int(now), "currency": .string(currency),
            "custom_fields": [],
            "custom_text": ["after_submit": nil, "shipping_address": nil, "submit": nil, "terms_of_service_acceptance": nil],
            "customer": JSON(try p.string("customer")), "customer_creation": "if_required", "customer_details": nil,
            "customer_email": JSON(try p.string("customer_email")), "expires_at": .int(expiresAt), "invoice": nil,
            "livemode": false, "locale": JSON(try p.string("locale")), "metadata": .object(metadata), "mode": "payment",
            "payment_intent": nil,
            "payment_method_types": .array((types ?? ["card", "link", "us_bank_account"]).map(JSON.string)),
            "payment_status": "unpaid", "redirect_on_completion": .string(redirect), "return_url": JSON(returnURL),
            "shipping_options": [],
            "status": "open", "success_url": nil,
            "total_details": ["amount_discount": 0, "amount_shipping": 0, "amount_tax": 0],
            "ui_mode": .string(uiMode), "url": nil,
            "_line_items": .array(items), "_payment_intent_data": .object(intentData),
        ]
        // Stripe clears `client_secret` once the session completes or expires; the embedded page still
        // needs to recognise the secret it was mounted with, to say which.
        session["_issued_client_secret"] = session["client_secret"]
        insert(session)
        return session
    }

    /// Validates `line_items` (inline `price_data` only) and builds Stripe's line item objects.
    private func lineItems(_ p: Params) throws(StripeError) -> (items: [JSON], currency: String, total: Int64) {
        guard let raw = try p.array("line_items"), !raw.isEmpty else { throw .missing("line_items") }
        var items: [JSON] = []
        var currency: String?
        var total: Int64 = 0
        for (i, value) in raw.enumerated() {
            guard let o = value.object else { throw .invalid("line_items[\(i)]", "Invalid line_items[\(i)]: must be a hash.") }
            let item = Params(o, prefix: "line_items[\(i)]")
            try item.allowOnly(["price_data", "price", "quantity", "adjustable_quantity", "tax_rates", "dynamic_tax_rates"])
            if let price = try item.string("price") { throw .noSuch("price", price, param: item.name("price")) }
            guard let priceData = try item.object("price_data") else { throw .missing(item.name("price_data")) }
            try priceData.allowOnly(["currency", "unit_amount", "product_data", "product", "tax_behavior", "unit_amount_decimal"])
            guard let c = try priceData.currency() else { throw .missing(priceData.name("currency")) }
            guard let unit = try priceData.amount("unit_amount", allowZero: true) else { throw .missing(priceData.name("unit_amount")) }
            let name: String
            if let product = try priceData.object("product_data") {
                name = try product.requiredString("name")
            } else if let productID = try priceData.string("product") {
                name = productID
            } else {
                throw .missing(priceData.name("product_data"))
            }
            guard let quantity = try item.int("quantity") else { throw .missing(item.name("quantity")) }
            guard quantity >= 1 else { throw .invalid(item.name("quantity"), "Invalid quantity: must be at least 1.") }
            if let currency, currency != c {
                throw .invalid(priceData.name("currency"), "All line items must use the same currency (\(currency)).")
            }
            currency = c
            let amount = unit * quantity
            total += amount
            items.append([
                "id": .string(IDs.make("li_")), "object": "item", "amount_discount": 0, "amount_subtotal": .int(amount),
                "amount_tax": 0, "amount_total": .int(amount), "currency": .string(c), "description": .string(name),
                "price": [
                    "id": .string(IDs.make("price_")), "object": "price", "active": false, "currency": .string(c),
                    "livemode": false, "product": .string(IDs.make("prod_")), "type": "one_time",
                    "unit_amount": .int(unit), "billing_scheme": "per_unit",
                ],
                "quantity": .int(quantity),
            ])
        }
        return (items, currency ?? "usd", total)
    }

    /// `POST /v1/checkout/sessions/{id}/expire` and the scheduler: only an open session expires.
    mutating func expireCheckoutSession(_ id: String, request: RequestInfo?) throws(StripeError) -> JSONObject {
        let session = try get("checkout.session", id)
        guard session.string("status") == "open" else {
            throw .unexpectedState("Only Checkout Sessions with a status in [\"open\"] can be expired.",
                                   code: "checkout_session_unexpected_state")
        }
        // An unfinished PaymentIntent of the session is canceled with it, as on Stripe.
        if let piID = session.string("payment_intent"), let pi = objects[piID],
           ["requires_payment_method", "requires_confirmation", "requires_action"].contains(pi.string("status") ?? "") {
            cancel(piID, reason: "abandoned", request: request)
        }
        modify(id) { s in
            s["status"] = "expired"
            s["client_secret"] = nil
        }
        emit("checkout.session.expired", objects[id]!, request: request)
        return objects[id]!
    }

    /// The customer pays in the embedded form (the test helper): creates the session's PaymentIntent on
    /// the first attempt (carrying `payment_intent_data.metadata`), then confirms it with `pm`.
    mutating func completeCheckoutSession(_ id: String, with pm: JSONObject, email: String?,
                                          request: RequestInfo?) throws(StripeError) -> (outcome: PaymentOutcome, paymentIntent: String) {
        var session = try get("checkout.session", id)
        guard session.string("status") == "open" else {
            throw .unexpectedState("Checkout Session \(id) has status \(session.string("status") ?? "?"); only an open session can be paid.",
                                   code: "checkout_session_unexpected_state")
        }
        let allowed = session["payment_method_types"]?.array?.compactMap(\.string) ?? []
        if let type = pm.string("type"), !allowed.isEmpty, !allowed.contains(type) {
            throw .invalid("payment_method", "This Checkout Session does not accept \(type) (allowed: \(allowed.joined(separator: ", "))).")
        }
        let email = email ?? session.string("customer_email")
        var piID = session.string("payment_intent")
        if piID == nil || objects[piID!]?.string("status") != "requires_payment_method" {
            let data = session.object("_payment_intent_data") ?? JSONObject()
            let newID = IDs.make("pi_")
            let pi: JSONObject = [
                "id": .string(newID), "object": "payment_intent", "amount": session["amount_total"] ?? 0,
                "amount_capturable": 0, "amount_received": 0, "automatic_payment_methods": nil,
                "canceled_at": nil, "cancellation_reason": nil, "capture_method": "automatic_async",
                "client_secret": .string(IDs.clientSecret(for: newID)), "confirmation_method": "automatic",
                "created": .int(IDs.now()), "currency": session["currency"] ?? "usd", "customer": session["customer"] ?? nil,
                "description": data["description"] ?? nil, "last_payment_error": nil, "latest_charge": nil,
                "livemode": false, "metadata": data["metadata"] ?? [:], "next_action": nil, "payment_method": nil,
                "payment_method_types": session["payment_method_types"] ?? ["card"],
                "receipt_email": data["receipt_email"] ?? JSON(email), "setup_future_usage": nil, "shipping": nil,
                "statement_descriptor": nil, "status": "requires_payment_method",
                "_checkout_session": .string(id),
            ]
            insert(pi)
            emit("payment_intent.created", pi, request: request)
            piID = newID
        }
        session["payment_intent"] = .string(piID!)
        if let email { session["customer_details"] = ["email": .string(email), "name": nil, "phone": nil, "address": nil,
                                                       "tax_exempt": "none", "tax_ids": []] }
        update(session)
        return (attemptPayment(piID!, with: pm, request: request), piID!)
    }

    /// Where the embedded form sends the customer after completion: `return_url` with
    /// `{CHECKOUT_SESSION_ID}` replaced by the session id.
    func checkoutRedirectURL(_ id: String) -> String? {
        guard let session = objects[id], let url = session.string("return_url") else { return nil }
        return url.replacing("{CHECKOUT_SESSION_ID}", with: id)
    }

    /// Keeps a PaymentIntent's Checkout Session or invoice in step with it, emitting their events.
    mutating func paymentIntentChanged(_ piID: String, _ change: PaymentChange, request: RequestInfo?) {
        guard let pi = objects[piID] else { return }
        if let sessionID = pi.string("_checkout_session"), let session = objects[sessionID] {
            let status = session.string("status"), paid = session.string("payment_status")
            switch change {
            case .processing where status == "open":
                modify(sessionID) { $0["status"] = "complete"; $0["client_secret"] = nil }
                emit("checkout.session.completed", objects[sessionID]!, request: request)
            case .succeeded where status == "open":
                modify(sessionID) { $0["status"] = "complete"; $0["payment_status"] = "paid"; $0["client_secret"] = nil }
                emit("checkout.session.completed", objects[sessionID]!, request: request)
            case .succeeded where status == "complete" && paid == "unpaid":
                modify(sessionID) { $0["payment_status"] = "paid" }
                emit("checkout.session.async_payment_succeeded", objects[sessionID]!, request: request)
            case .failed where status == "complete" && paid == "unpaid":
                emit("checkout.session.async_payment_failed", session, request: request)
            default:
                break  // a failed attempt on an open session: the customer may try again
            }
        }
        if let invoiceID = pi.string("_invoice") { invoicePaymentChanged(invoiceID, change, request: request) }
    }
}
