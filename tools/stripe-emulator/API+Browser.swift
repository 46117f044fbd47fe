import HTTPServer

/// What a browser reaches: the emulated Stripe.js (`/js.stripe.com/v3/`), the frames it mounts
/// (`/elements/...`: the Payment Element, embedded Checkout and the 3-D Secure challenge), and the few
/// `/v1/` calls Stripe.js makes with a publishable key and a client secret instead of a secret key.
///
/// The frames are served from the stand-in's origin, not the shop's, so card numbers never touch the
/// shop's page, just as with Stripe. The assets are files in `Assets/`, embedded at build time.
extension API {
    /// A `/v1/` call made by Stripe.js with `key=pk_test_...`: the same ledger operation as the secret-key
    /// call, but only for the routes Stripe allows a publishable key, and only with the object's client
    /// secret.
    typealias BrowserOperation = @Sendable (inout Ledger, Call) throws -> JSON

    /// Content types of the embedded assets, by extension.
    private static let assetTypes = ["js": "text/javascript; charset=utf-8", "css": "text/css; charset=utf-8",
                                     "html": "text/html; charset=utf-8"]

    /// The frames' policy: their own origin only. Any page may frame them (`frame-ancestors` is not set),
    /// as any shop may mount Stripe's.
    static let framePolicy = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
        + "frame-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'"

    /// One embedded asset as an HTTP response.
    static func asset(_ name: String) -> HTTPResponse? {
        guard let text = Assets.files[name], let ext = name.split(separator: ".").last.map(String.init),
              let type = assetTypes[ext] else { return nil }
        var response = HTTPResponse(status: .ok, headers: ["Content-Type": type, "Cache-Control": "no-cache",
                                                           "X-Content-Type-Options": "nosniff"],
                                    body: Array(text.utf8))
        if ext == "html" {
            response.headers.set("Content-Security-Policy", framePolicy)
            response.headers.set("Referrer-Policy", "no-referrer")
        } else {
            response.headers.set("Access-Control-Allow-Origin", "*")
        }
        return response
    }

    mutating func registerBrowser() {
        // Stripe.js itself. The same script for `/v3/` and `/v3`.
        for path in ["/js.stripe.com/v3/", "/js.stripe.com/v3"] {
            router.get(path) { _, _ in Self.asset("stripe.js")! }
        }
        router.get("/elements/{name}") { _, path in
            guard let name = path["name"], name != "stripe.js", let response = Self.asset(name) else {
                return .error(status: .notFound, code: .notFound, message: "no such asset")
            }
            return response
        }
        // The bank's page for a `redirect_to_url` next action (a full-page 3-D Secure redirect).
        router.get("/3ds/{id}") { _, _ in Self.asset("3ds-challenge.html")! }

        browser(.get, "/v1/payment_intents/{id}") { l, c in
            try c.params.allowOnly(["client_secret", "expand"])
            let pi = try l.browserPaymentIntent(c.id, secret: c.params.string("client_secret"))
            return try l.publishableView(pi, version: c.version)
        }
        browser(.post, "/v1/payment_intents/{id}/confirm") { l, c in
            _ = try l.browserPaymentIntent(c.id, secret: c.params.string("client_secret"))
            do throws(StripeError) {
                return try l.publishableView(try l.confirmPaymentIntent(c.id, c.params, request: c.info), version: c.version)
            } catch {
                throw l.publishable(error, version: c.version)
            }
        }
        browser(.post, "/v1/payment_pages/{id}/init") { l, c in
            try c.params.allowOnly(["client_secret"])
            let session = try l.browserCheckoutSession(c.id, secret: c.params.string("client_secret"))
            return .object(["checkout_session": try l.checkoutPageView(session, version: c.version)])
        }
        browser(.post, "/v1/payment_pages/{id}/confirm") { l, c in
            try c.params.allowOnly(["client_secret", "email", "payment_method_data", "payment_method"])
            _ = try l.browserCheckoutSession(c.id, secret: c.params.string("client_secret"))
            let pm: JSONObject
            if let data = try c.params.object("payment_method_data") {
                pm = try l.createPaymentMethod(data)
            } else if let id = try c.params.string("payment_method") {
                pm = try l.resolvePaymentMethod(id)
            } else {
                throw StripeError.missing("payment_method_data")
            }
            let (outcome, piID) = try l.completeCheckoutSession(c.id, with: pm, email: try c.params.string("email"), request: c.info)
            if outcome == .declined {
                do throws(StripeError) { try l.throwIfDeclined(outcome, piID) } catch { throw l.publishable(error, version: c.version) }
            }
            return .object([
                "checkout_session": try l.checkoutPageView(l.get("checkout.session", c.id), version: c.version),
                "payment_intent": try l.publishableView(l.get("payment_intent", piID), version: c.version),
            ])
        }
    }

    /// Registers a `/v1/` route for publishable-key calls (see ``handleBrowser(_:key:)``).
    mutating func browser(_ method: HTTPMethod, _ pattern: String, _ operation: @escaping BrowserOperation) {
        let emulator = self.emulator, defaultVersion = self.defaultVersion
        browserRouter.on(method, pattern) { request, path in
            let requestID = IDs.request()
            var version = defaultVersion
            if let header = request.headers["Stripe-Version"], let v = APIVersion(header) { version = v }
            let params: Params
            do throws(FormDecoder.Failure) {
                let pairs = method == .post ? try FormDecoder.pairs(String(decoding: request.body, as: UTF8.self))
                                            : try FormDecoder.pairs(request.query ?? "")
                var values = try FormDecoder.decode(pairs)
                values.remove("key")
                params = Params(values)
            } catch {
                return Self.browserAnswer(StripeError.invalid(error.param, error.message).response, requestID: requestID)
            }
            let call = Call(params: params, version: version, info: RequestInfo(requestID: requestID, idempotencyKey: nil),
                            id: path["id"] ?? "", expand: [])
            let outcome = await emulator.perform { ledger in try operation(&ledger, call) }
            switch outcome.result {
            case .success(let body): return Self.browserAnswer(.json(.ok, body.bytes), requestID: requestID)
            case .failure(let e): return Self.browserAnswer(e.response, requestID: requestID)
            }
        }
    }

    /// The publishable key of a `/v1/` request that carries no `Authorization` header: Stripe.js sends it
    /// as the `key` parameter (in the query of a GET, the form body of a POST).
    static func publishableKey(_ request: HTTPRequest) -> String? {
        guard request.headers["Authorization"] == nil else { return nil }
        let text = request.method == .post ? String(decoding: request.body, as: UTF8.self) : (request.query ?? "")
        return (try? FormDecoder.pairs(text))?.first { $0.name == "key" }?.value
    }

    /// Answers a publishable-key call: test keys only, allowed routes only. Every answer may be read by
    /// any origin, as Stripe's API allows for the calls Stripe.js makes.
    func handleBrowser(_ request: HTTPRequest, key: String) async -> HTTPResponse {
        guard key.hasPrefix("pk_test_"), key.count > 8 else {
            let shown = key.isEmpty ? "(none)" : "\(key.prefix(8))****"
            let message = key.hasPrefix("pk_live_")
                ? "This stand-in only does test mode: use a publishable test key (pk_test_...), not \(shown)."
                : "Invalid API Key provided: \(shown). Stripe.js needs a publishable test key (pk_test_...)."
            return Self.browserAnswer(StripeError.unauthorized(message).response, requestID: IDs.request())
        }
        switch browserRouter.resolve(request.method, path: request.path) {
        case .handler:
            return await browserRouter.handle(request)
        default:
            let e = StripeError(status: 401, type: "invalid_request_error", code: "secret_key_required",
                                message: "This API call cannot be made with a publishable API key. Please use a secret API key. You can find a list of your API keys at https://dashboard.stripe.com/account/apikeys.")
            return Self.browserAnswer(e.response, requestID: IDs.request())
        }
    }

    /// A CORS preflight for `/v1/`: Stripe.js's calls are simple requests, but a shop's own code may
    /// send `Stripe-Version`.
    static func preflight() -> HTTPResponse {
        HTTPResponse(status: .noContent, headers: [
            "Access-Control-Allow-Origin": "*", "Access-Control-Allow-Methods": "GET, POST",
            "Access-Control-Allow-Headers": "Content-Type, Stripe-Version", "Access-Control-Max-Age": "600",
        ])
    }

    private static func browserAnswer(_ response: HTTPResponse, requestID: String) -> HTTPResponse {
        var r = response
        r.headers.set("Access-Control-Allow-Origin", "*")
        r.headers.set("Request-Id", requestID)
        r.headers.set("Cache-Control", "no-cache, no-store")
        return r
    }
}

extension Ledger {
    /// The PaymentIntent a browser names, when it also holds its client secret.
    func browserPaymentIntent(_ id: String, secret: String?) throws(StripeError) -> JSONObject {
        guard let secret else { throw .missing("client_secret") }
        let pi = try get("payment_intent", id)
        guard pi.string("client_secret") == secret else {
            throw .invalid("client_secret", "The client_secret provided does not match any associated PaymentIntent on this account.")
        }
        return pi
    }

    /// The Checkout Session a browser names, when it holds the client secret issued with it (Stripe clears
    /// `client_secret` once a session completes or expires; the page must still say which it is).
    func browserCheckoutSession(_ id: String, secret: String?) throws(StripeError) -> JSONObject {
        guard let secret else { throw .missing("client_secret") }
        let session = try get("checkout.session", id)
        guard (session.string("_issued_client_secret") ?? session.string("client_secret")) == secret else {
            throw .invalid("client_secret", "The client_secret provided does not match this Checkout Session.")
        }
        return session
    }

    /// The fields of a PaymentIntent that a publishable key may read (no metadata, no customer).
    func publishableView(_ pi: JSONObject, version: APIVersion) throws(StripeError) -> JSON {
        guard case .object(let full) = try render(pi, version: version) else { return .null }
        var view = JSONObject()
        for key in ["id", "object", "amount", "automatic_payment_methods", "canceled_at", "cancellation_reason",
                    "capture_method", "client_secret", "confirmation_method", "created", "currency", "description",
                    "last_payment_error", "livemode", "next_action", "payment_method", "payment_method_types",
                    "receipt_email", "setup_future_usage", "shipping", "status"] {
            if let value = full[key] { view[key] = value }
        }
        return .object(view)
    }

    /// A card error answered to a browser carries the publishable view of its PaymentIntent.
    func publishable(_ error: StripeError, version: APIVersion) -> StripeError {
        var e = error
        if let id = error.extra["payment_intent"]?.object?.string("id") ?? error.extra["payment_intent"]?.string,
           let pi = objects[id] {
            e.extra["payment_intent"] = (try? publishableView(pi, version: version)) ?? nil
        }
        return e
    }

    /// What the embedded Checkout page shows: status, lines, total, the prefilled email, and where the
    /// customer goes once it is complete.
    func checkoutPageView(_ session: JSONObject, version: APIVersion) throws(StripeError) -> JSON {
        var view: JSONObject = [
            "id": .string(session.id), "object": "checkout.session",
            "status": session["status"] ?? nil, "payment_status": session["payment_status"] ?? nil,
            "amount_total": session["amount_total"] ?? nil, "currency": session["currency"] ?? nil,
            "customer_email": session["customer_email"] ?? nil, "expires_at": session["expires_at"] ?? nil,
            "redirect_on_completion": session["redirect_on_completion"] ?? nil,
            "return_url": JSON(checkoutRedirectURL(session.id)), "livemode": false,
            "payment_method_types": session["payment_method_types"] ?? nil,
        ]
        let lines: [JSON] = (session["_line_items"]?.array ?? []).compactMap { item in
            guard let o = item.object else { return nil }
            return ["description": o["description"] ?? nil, "quantity": o["quantity"] ?? nil,
                    "amount_total": o["amount_total"] ?? nil, "currency": o["currency"] ?? nil]
        }
        view["line_items"] = .array(lines)
        return .object(view)
    }
}
