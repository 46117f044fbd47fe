import HTTPServer

/// The test helpers under `/_emulator/`: what the browser and Stripe.js would do (confirm with a card,
/// pass or fail 3-D Secure, pay in the embedded Checkout form) and what only time would do (let a
/// session expire, settle a bank debit). No authentication: the stand-in listens on loopback. Bodies
/// are JSON or form-encoded; every answer says what happened and lists the events sent (`id`, `type`).
extension API {
    struct HelperCall: Sendable {
        var params: Params
        var id: String
        var version: APIVersion
    }

    typealias Helper = @Sendable (inout Ledger, HelperCall) throws -> JSONObject

    mutating func helper(_ method: HTTPMethod, _ pattern: String, _ operation: @escaping Helper) {
        let emulator = self.emulator, defaultVersion = self.defaultVersion
        router.on(method, pattern) { request, path in
            var values = JSONObject()
            do {
                values = try FormDecoder.decode(FormDecoder.pairs(request.query ?? ""))
                if !request.body.isEmpty {
                    let body: JSONObject
                    if request.headers["Content-Type"]?.lowercased().contains("json") == true {
                        guard let o = try JSONParser.parse(request.body).object else {
                            return StripeError.invalid(nil, "The JSON body must be an object.").response
                        }
                        body = o
                    } else {
                        body = try FormDecoder.decode(FormDecoder.pairs(String(decoding: request.body, as: UTF8.self)))
                    }
                    for (k, v) in body.pairs { values[k] = v }
                }
            } catch let e as FormDecoder.Failure {
                return StripeError.invalid(e.param, e.message).response
            } catch {
                return StripeError.invalid(nil, "The body is not valid JSON: \(error)").response
            }
            let version = request.headers["Stripe-Version"].flatMap(APIVersion.init) ?? defaultVersion
            let call = HelperCall(params: Params(values), id: path["id"] ?? "", version: version)
            let outcome = await emulator.perform { ledger in try operation(&ledger, call) }
            switch outcome.result {
            case .success(var answer):
                answer["events"] = .array(outcome.events.map { ["id": .string($0.id), "type": .string($0.type)] })
                return .json(.ok, JSON.object(answer).bytes)
            case .failure(let e):
                return e.response
            }
        }
    }

    mutating func registerTestHelpers() {
        helper(.post, "/_emulator/payment_intents/{id}/confirm") { l, c in
            try c.params.allowOnly(["card", "payment_method", "return_url"])
            let pi = try l.get("payment_intent", c.id)
            try l.requireConfirmable(pi)
            let pm = try Self.paymentMethod(&l, c.params)
            try l.requireCompatible(pi, pm)
            if let url = try c.params.string("return_url") { l.modify(c.id) { $0["_return_url"] = .string(url) } }
            let outcome = l.attemptPayment(c.id, with: pm, request: nil)
            return try Self.paymentAnswer(l, c, outcome)
        }
        helper(.post, "/_emulator/payment_intents/{id}/authenticate") { l, c in
            // The challenge page sends the client secret it was given; a test may leave it out.
            try c.params.allowOnly(["success", "client_secret"])
            if let secret = try c.params.string("client_secret") { _ = try l.browserPaymentIntent(c.id, secret: secret) }
            let outcome = try l.authenticate(c.id, success: try c.params.bool("success") ?? true, request: nil)
            return try Self.paymentAnswer(l, c, outcome)
        }
        helper(.post, "/_emulator/payment_intents/{id}/settle") { l, c in
            try c.params.allowOnly(["success"])
            let outcome = try l.settle(c.id, success: try c.params.bool("success") ?? true, request: nil)
            return try Self.paymentAnswer(l, c, outcome)
        }
        helper(.post, "/_emulator/checkout/sessions/{id}/complete") { l, c in
            try c.params.allowOnly(["card", "payment_method", "email"])
            _ = try l.get("checkout.session", c.id)
            let pm = try Self.paymentMethod(&l, c.params)
            let (outcome, piID) = try l.completeCheckoutSession(c.id, with: pm, email: try c.params.string("email"), request: nil)
            var answer: JSONObject = [
                "outcome": .string(outcome.rawValue),
                "checkout_session": try l.render(l.get("checkout.session", c.id), version: c.version),
                "payment_intent": try l.render(l.get("payment_intent", piID), version: c.version),
            ]
            if l.object(c.id)?.string("status") == "complete" { answer["return_url"] = JSON(l.checkoutRedirectURL(c.id)) }
            return answer
        }
        helper(.post, "/_emulator/checkout/sessions/{id}/expire") { l, c in
            try c.params.allowOnly([])
            let session = try l.expireCheckoutSession(c.id, request: nil)
            return ["outcome": "expired", "checkout_session": try l.render(session, version: c.version)]
        }
        helper(.post, "/_emulator/invoices/{id}/pay") { l, c in
            try c.params.allowOnly(["card", "payment_method"])
            let invoice = try l.get("invoice", c.id)
            guard invoice.string("status") == "open", let piID = invoice.string("payment_intent") else {
                throw StripeError.invalid(nil, "Invoice \(c.id) is \(invoice.string("status") ?? "?"); only an open invoice with an amount due can be paid (finalize it first).",
                                          code: "invoice_not_editable")
            }
            let pi = try l.get("payment_intent", piID)
            try l.requireConfirmable(pi)
            let pm = try Self.paymentMethod(&l, c.params)
            let outcome = l.attemptPayment(piID, with: pm, request: nil)
            return [
                "outcome": .string(outcome.rawValue),
                "invoice": try l.render(l.get("invoice", c.id), version: c.version),
                "payment_intent": try l.render(l.get("payment_intent", piID), version: c.version),
            ]
        }
        helper(.post, "/_emulator/webhooks") { l, c in
            try c.params.allowOnly(["url", "secret", "events"])
            var events = try c.params.stringArray("events") ?? ["*"]
            if events.count == 1, events[0].contains(",") { events = events[0].split(separator: ",").map(String.init) }
            let endpoint = try l.createWebhookEndpoint(
                Params(["url": .string(try c.params.requiredString("url")), "enabled_events": .array(events.map(JSON.string))]),
                secret: try c.params.string("secret"))
            guard case .object(let o) = try l.render(endpoint, version: c.version, includeSecret: true) else { return [:] }
            return o
        }
        helper(.get, "/_emulator/deliveries") { l, c in
            try c.params.allowOnly(["event", "endpoint", "status", "type"])
            let event = try c.params.string("event"), endpoint = try c.params.string("endpoint")
            let status = try c.params.string("status"), type = try c.params.string("type")
            let records = l.deliveries.values.sorted { $0.seq < $1.seq }.filter { d in
                (event.map { d.eventID == $0 } ?? true) && (endpoint.map { d.endpointID == $0 } ?? true)
                    && (status.map { d.status == $0 } ?? true) && (type.map { d.eventType == $0 } ?? true)
            }
            return ["object": "list", "data": .array(records.map(\.json)), "has_more": false, "url": "/_emulator/deliveries"]
        }
    }

    /// `card=<number>` or `payment_method=pm_...` (a stored id or a Stripe test id).
    private static func paymentMethod(_ l: inout Ledger, _ p: Params) throws -> JSONObject {
        if let number = try p.string("card") { return try l.paymentMethod(forCard: number) }
        if let id = try p.string("payment_method") { return try l.resolvePaymentMethod(id) }
        throw StripeError.missing("card")
    }

    private static func paymentAnswer(_ l: Ledger, _ c: HelperCall, _ outcome: PaymentOutcome) throws -> JSONObject {
        var answer: JSONObject = [
            "outcome": .string(outcome.rawValue),
            "payment_intent": try l.render(l.get("payment_intent", c.id), version: c.version),
        ]
        if let url = l.redirectURL(for: c.id) { answer["redirect_url"] = .string(url) }
        return answer
    }
}
