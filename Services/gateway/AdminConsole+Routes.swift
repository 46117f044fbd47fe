import HTTPServer
import Messages
import Wire

extension AdminConsole {
    /// Every route of the console listener. Anything else there is a 404; none of these exist on the
    /// public listener.
    func router() -> HTTPRouter {
        var r = HTTPRouter(logger: logger)
        let metrics = gateway.metrics
        func on(_ method: HTTPMethod, _ pattern: String, _ handler: @escaping @Sendable (HTTPRequest, PathParameters) async -> HTTPResponse) {
            r.on(method, pattern) { request, parameters in
                let started = ContinuousClock.now
                // Defence in depth besides SameSite=Strict and the CSRF token: a browser that says a POST
                // comes from another site (login CSRF included) is refused before anything runs.
                let crossSite = method == .post && ["cross-site", "same-site"].contains(request.headers["Sec-Fetch-Site"]?.lowercased() ?? "")
                let response = crossSite
                    ? APIError(status: .forbidden, code: "permission_denied", message: "the console takes no requests from other sites",
                               reason: "cross_site").response
                    : await handler(request, parameters)
                metrics.request(method: request.method.rawValue, route: pattern, status: response.status.code, duration: .now - started)
                return response
            }
        }
        registerAPI { method, pattern, need, handler in
            on(method, pattern) { request, parameters in
                switch apiGate(request, need) {
                case .failure(let error):
                    var response = error.response
                    if error.status == .unauthorized { response.headers.set("WWW-Authenticate", "Bearer") }
                    return response
                case .success(let credential):
                    return await handler(request, parameters, credential)
                }
            }
        }

        // Pages: without a credential, to the login page.
        func page(_ method: HTTPMethod, _ pattern: String, write: Bool = false,
                  _ handler: @escaping @Sendable (HTTPRequest, PathParameters, Credential, [(name: String, value: String)]) async -> HTTPResponse) {
            on(method, pattern) { request, parameters in
                guard let credential = credential(request) else {
                    return method == .get ? .redirect(to: "/admin/login") : AdminPages.login(message: "Your session ended: log in again.",
                                                                                              status: .unauthorized)
                }
                var form: [(name: String, value: String)] = []
                if method == .post {
                    form = Self.form(request)
                    guard Self.csrfMatches(credential, given: form.first { $0.name == "csrf" }?.value) else {
                        return AdminPages.problem(APIError(status: .forbidden, code: "permission_denied",
                                                           message: "the form's CSRF token is missing or stale: reload the page",
                                                           reason: "csrf_token_missing"), who: credential.who)
                    }
                    if write, credential.who.role != .write {
                        return AdminPages.problem(APIError(status: .forbidden, code: "permission_denied", message: "this needs a write token"),
                                                  who: credential.who)
                    }
                }
                var response = await handler(request, parameters, credential, form)
                // The only per-viewer value in a page: its own session's CSRF token, in its own forms.
                if response.headers["Content-Type"]?.hasPrefix("text/html") == true {
                    let html = String(decoding: response.body, as: UTF8.self)
                    response.body = Array(html.replacing("{{csrf}}", with: credential.session?.csrf ?? "").utf8)
                }
                return response
            }
        }

        on(.get, "/admin") { _, _ in .redirect(to: "/admin/orders") }
        on(.get, "/admin/") { _, _ in .redirect(to: "/admin/orders") }
        on(.get, "/admin/login") { request, _ in
            credential(request) != nil ? .redirect(to: "/admin/orders") : AdminPages.login()
        }
        on(.post, "/admin/login") { request, _ in await login(request) }
        page(.post, "/admin/logout") { _, _, credential, _ in
            if let session = credential.session { sessions.end(session.id) }
            var response = HTTPResponse.redirect(to: "/admin/login")
            response.headers.add("Set-Cookie", cookie(value: "", maxAge: 0))
            return response
        }
        page(.get, "/admin/orders") { request, _, credential, _ in
            let items = request.queryItems
            if let text = request.queryValue("email"), text.hasPrefix("ord_"), text.count < 100 {
                return .redirect(to: "/admin/orders/" + AdminPages.formEncode([("", text)]).dropFirst())
            }
            do throws(APIError) {
                let query = try Self.orderQuery(request)
                let p: AdminOrderPage = try await gateway.call(.fulfillment, AdminMessages.ordersList, query, request)
                let d: AdminDailyReply = try await gateway.call(.fulfillment, AdminMessages.ordersDaily, AdminDailyQuery(days: 30), request)
                return AdminPages.orders(p, query: query, rawQuery: items, days: d.days, now: Envelope.now(), who: credential.who)
            } catch {
                return AdminPages.problem(error, who: credential.who)
            }
        }
        page(.get, "/admin/orders/{order_id}") { request, p, credential, _ in
            do throws(APIError) {
                let detail = try await orderDetail(p["order_id"] ?? "", request)
                let message = request.queryValue("notice")
                return AdminPages.order(detail, who: credential.who, notice: message, error: request.queryValue("error") == "1")
            } catch {
                return AdminPages.problem(error, who: credential.who)
            }
        }
        page(.post, "/admin/orders/{order_id}/refund", write: true) { request, p, credential, form in
            let orderID = p["order_id"] ?? ""
            func field(_ name: String) -> String? { form.first { $0.name == name }?.value.nilIfEmpty }
            var body = AdminRefundBody(reason: field("reason"), restock: field("restock") == "1")
            if let raw = field("amount") {
                guard let amount = Int(raw), amount > 0 else { return back(orderID, "The amount must be a positive whole number of minor units.", error: true) }
                body.amount = amount
            }
            let answer = await refund(orderID, body, credential, request, key: Self.idempotencyKey(request, formValue: field("request_id")))
            if answer.outcome.result == "ok", let reply = try? RawJSON(validating: answer.outcome.body).decode(RefundReply.self) {
                return back(orderID, "Refund \(reply.refundID): \(Money.format(reply.amount, currency: reply.currency)) \(reply.status).", error: false)
            }
            return back(orderID, "Refund refused: " + Self.message(answer.outcome), error: true)
        }
        // One-button actions on an order: run, then back to the order with what came of it.
        let orderActions: [(String, String, String, @Sendable (AdminConsole, String, Credential, HTTPRequest, String?) async -> ActionAnswer)] = [
            ("cancel", "Order canceled.", "Not canceled: ", { await $0.cancel($1, $2, $3, key: $4) }),
            ("resend-email", "The customer's last email is being sent again.", "Not sent: ", { await $0.resendEmail($1, $2, $3, key: $4) }),
        ]
        for (name, done, refused, run) in orderActions {
            page(.post, "/admin/orders/{order_id}/\(name)", write: true) { request, p, credential, form in
                let orderID = p["order_id"] ?? ""
                let answer = await run(self, orderID, credential, request,
                                       Self.idempotencyKey(request, formValue: form.first { $0.name == "request_id" }?.value))
                return answer.outcome.result == "ok" ? back(orderID, done, error: false)
                    : back(orderID, refused + Self.message(answer.outcome), error: true)
            }
        }
        page(.get, "/admin/stock") { request, _, credential, _ in
            do throws(APIError) {
                let list: AdminStockList = try await gateway.call(.fulfillment, AdminMessages.stock, AdminEmpty(), request)
                return AdminPages.stock(list.products, who: credential.who, notice: request.queryValue("notice"))
            } catch {
                return AdminPages.problem(error, who: credential.who)
            }
        }
        page(.post, "/admin/stock", write: true) { request, _, credential, form in
            func field(_ name: String) -> String { form.first { $0.name == name }?.value ?? "" }
            guard let stock = Int(field("stock")) else {
                return .redirect(to: "/admin/stock?" + AdminPages.formEncode([("notice", "The stock must be a whole number.")]))
            }
            let answer = await setStock(AdminStockRequest(sku: field("sku"), stock: stock), credential, request,
                                        key: Self.idempotencyKey(request, formValue: field("request_id").nilIfEmpty))
            let text = answer.outcome.result == "ok" ? "\(field("sku")): stock set to \(stock)." : "Not changed: " + Self.message(answer.outcome)
            return .redirect(to: "/admin/stock?" + AdminPages.formEncode([("notice", text)]))
        }
        page(.post, "/admin/catch-up", write: true) { request, _, credential, form in
            let answer = await catchUp(AdminCatchUpRequest(), credential, request,
                                       key: Self.idempotencyKey(request, formValue: form.first { $0.name == "request_id" }?.value))
            var text = "Catch-up failed: " + Self.message(answer.outcome)
            if answer.outcome.result == "ok", let reply = try? RawJSON(validating: answer.outcome.body).decode(AdminCatchUpReply.self) {
                text = "Catch-up: \(reply.listed) events listed, \(reply.recorded) new, \(reply.alreadySeen) already known."
            }
            return .redirect(to: "/admin/health?" + AdminPages.formEncode([("notice", text)]))
        }
        page(.get, "/admin/stripe-events/{event_id}") { request, p, credential, _ in
            do throws(APIError) {
                let event: AdminStripeEvent = try await gateway.call(.payments, AdminMessages.stripeEvent,
                                                                     AdminStripeEventRef(eventID: p["event_id"] ?? ""), request)
                return AdminPages.stripeEvent(event, who: credential.who)
            } catch {
                return AdminPages.problem(error, who: credential.who)
            }
        }
        page(.get, "/admin/dead-letters") { request, _, credential, _ in
            do throws(APIError) {
                // The notifier's part is shown as missing rather than hiding the outboxes' dead letters.
                let failed: AdminNotificationFailures? = try? await gateway.call(.notifier, AdminMessages.notificationFailures,
                                                                                 AdminEmpty(), request)
                return AdminPages.deadLetters(try await deadLetters(request), failed: failed?.failures, who: credential.who,
                                              notice: request.queryValue("notice"))
            } catch {
                return AdminPages.problem(error, who: credential.who)
            }
        }
        page(.post, "/admin/notifications/retry", write: true) { request, _, credential, form in
            func field(_ name: String) -> String { form.first { $0.name == name }?.value ?? "" }
            let answer = await retryNotification(AdminNotificationRef(eventID: field("event_id"), channel: field("channel").nilIfEmpty),
                                                 credential, request, key: Self.idempotencyKey(request, formValue: field("request_id").nilIfEmpty))
            let text = answer.outcome.result == "ok" ? "The \(field("channel")) of event \(field("event_id")) is being sent again."
                : "Not retried: " + Self.message(answer.outcome)
            return .redirect(to: "/admin/dead-letters?" + AdminPages.formEncode([("notice", text)]))
        }
        page(.post, "/admin/dead-letters/replay", write: true) { request, _, credential, form in
            func field(_ name: String) -> String { form.first { $0.name == name }?.value ?? "" }
            let answer = await replay(service: field("service"), eventID: field("event_id"), credential, request,
                                      key: Self.idempotencyKey(request, formValue: field("request_id").nilIfEmpty))
            let text = answer.outcome.result == "ok" ? "Event \(field("event_id")) is pending again." : "Not replayed: " + Self.message(answer.outcome)
            return .redirect(to: "/admin/dead-letters?" + AdminPages.formEncode([("notice", text)]))
        }
        page(.get, "/admin/health") { request, _, credential, _ in
            let (facts, missing) = await healthFacts(request)
            let reply = AdminHealthReply(services: facts, unreachable: missing,
                                         webhookFailuresLastHour: gateway.metrics.webhookFailuresLastHour().sorted { $0.key < $1.key }
                                             .map { AdminCountByName(name: $0.key, count: $0.value) }, now: Envelope.now())
            let readiness = await gateway.readiness(request, detailed: true)
            return AdminPages.health(reply, readiness: String(decoding: readiness.body, as: UTF8.self), who: credential.who,
                                     notice: request.queryValue("notice"))
        }
        page(.get, "/admin/audit") { request, _, credential, _ in
            do throws(APIError) {
                let page: AdminAuditPage = try await gateway.call(.fulfillment, AdminMessages.auditList, AdminAuditQuery(limit: 200), request)
                return AdminPages.audit(page.entries, who: credential.who)
            } catch {
                return AdminPages.problem(error, who: credential.who)
            }
        }
        on(.get, "/admin/assets/admin.css") { _, _ in Pages.asset(AdminPages.css, type: "text/css; charset=utf-8") }
        on(.get, "/admin/assets/admin.js") { _, _ in Pages.asset(AdminPages.script, type: "text/javascript; charset=utf-8") }
        return r
    }

    /// After an action: back to the order page with what happened (Post/Redirect/Get, so a reload does
    /// not post again).
    func back(_ orderID: String, _ text: String, error: Bool) -> HTTPResponse {
        .redirect(to: "/admin/orders/\(AdminPages.formEncode([("", orderID)]).dropFirst())?"
            + AdminPages.formEncode([("notice", text)] + (error ? [("error", "1")] : [])))
    }

    /// An action's error message, from its stored JSON answer.
    static func message(_ outcome: Outcome) -> String {
        struct Body: Decodable { struct E: Decodable { var code: String; var message: String }; var error: E }
        guard let body = try? RawJSON(validating: outcome.body).decode(Body.self) else { return outcome.result }
        return "\(body.error.message) (\(body.error.code))"
    }

    /// An `application/x-www-form-urlencoded` body, decoded as a query string is.
    static func form(_ request: HTTPRequest) -> [(name: String, value: String)] {
        guard request.body.count <= 16 * 1024 else { return [] }
        return HTTPRequest(method: .get, target: "/?" + String(decoding: request.body, as: UTF8.self)).queryItems
    }

    /// The session cookie: HttpOnly, SameSite=Strict, only under /admin, Secure when the console is
    /// served over https.
    func cookie(value: String, maxAge: Int) -> String {
        "\(AdminSessions.cookieName)=\(value); Path=/admin; Max-Age=\(maxAge); HttpOnly; SameSite=Strict" + (secureCookies ? "; Secure" : "")
    }

    /// `POST /admin/login`: a token in, a session cookie out. Attempts are limited per client address, so
    /// guessing is slow even before the token's 256 bits make it hopeless.
    func login(_ request: HTTPRequest) async -> HTTPResponse {
        let client = gateway.policy.clientAddress(request)
        if let wait = limiter.take("admin-login", client: client, perMinute: config.loginAttemptsPerMinute) {
            logger.warn("console login rate limited", ["client.address": client, "trace.id": request.requestID])
            var response = AdminPages.login(message: "Too many attempts: wait a minute.", status: .tooManyRequests)
            response.headers.set("Retry-After", "\(max(1, Int(wait.components.seconds) + 1))")
            return response
        }
        let token = Self.form(request).first { $0.name == "token" }?.value ?? ""
        guard let who = tokens.authenticate(token) else {
            logger.warn("console login refused", ["client.address": client, "trace.id": request.requestID])
            return AdminPages.login(message: "That token is not valid.", status: .unauthorized)
        }
        let (id, _) = sessions.create(for: who)
        logger.info("console login", ["admin.actor": who.name, "client.address": client, "trace.id": request.requestID])
        var response = HTTPResponse.redirect(to: "/admin/orders")
        response.headers.add("Set-Cookie", cookie(value: id, maxAge: Int(sessions.ttl.components.seconds)))
        response.headers.set("Cache-Control", "no-store")
        return response
    }
}

extension String {
    var nilIfEmpty: String? { isEmpty ? nil : self }
}
