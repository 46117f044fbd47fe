import Crypto
import HTTPServer
import Messages
import Wire

extension AdminConsole {
    /// `/admin/api/...`: JSON for scripts (bearer token) and the pages' script (session + CSRF token).
    func registerAPI(_ on: (HTTPMethod, String, Need, @escaping @Sendable (HTTPRequest, PathParameters, Credential) async -> HTTPResponse) -> Void) {
        on(.get, "/admin/api/orders", .read) { request, _, _ in
            await Gateway.respond { () async throws(APIError) -> HTTPResponse in
                let page: AdminOrderPage = try await gateway.call(.fulfillment, AdminMessages.ordersList, try Self.orderQuery(request), request)
                return .adminJSON(.ok, page)
            }
        }
        on(.get, "/admin/api/orders/{order_id}", .read) { request, p, _ in
            await Gateway.respond { () async throws(APIError) -> HTTPResponse in
                .adminJSON(.ok, try await orderDetail(p["order_id"] ?? "", request))
            }
        }
        on(.post, "/admin/api/orders/{order_id}/refunds", .write) { request, p, credential in
            let body: AdminRefundBody
            do { body = try RawJSON(validating: request.body.isEmpty ? Array("{}".utf8) : request.body).decode(AdminRefundBody.self) } catch {
                return APIError.badRequest("the body must be JSON: {\"amount\"?, \"reason\"?, \"restock\"?}").response
            }
            return await refund(p["order_id"] ?? "", body, credential, request, key: Self.idempotencyKey(request)).response
        }
        on(.post, "/admin/api/orders/{order_id}/cancel", .write) { request, p, credential in
            await cancel(p["order_id"] ?? "", credential, request, key: Self.idempotencyKey(request)).response
        }
        on(.get, "/admin/api/stripe-events/{event_id}", .read) { request, p, _ in
            await Gateway.respond { () async throws(APIError) -> HTTPResponse in
                let event: AdminStripeEvent = try await gateway.call(.payments, AdminMessages.stripeEvent,
                                                                     AdminStripeEventRef(eventID: p["event_id"] ?? ""), request)
                return .adminJSON(.ok, event)
            }
        }
        on(.get, "/admin/api/stats/daily", .read) { request, _, _ in
            await Gateway.respond { () async throws(APIError) -> HTTPResponse in
                let reply: AdminDailyReply = try await gateway.call(.fulfillment, AdminMessages.ordersDaily, AdminDailyQuery(days: 30), request)
                return .adminJSON(.ok, reply)
            }
        }
        on(.get, "/admin/api/health", .read) { request, _, _ in
            let (facts, missing) = await healthFacts(request)
            return .adminJSON(.ok, AdminHealthReply(services: facts, unreachable: missing,
                                                    webhookFailuresLastHour: gateway.metrics.webhookFailuresLastHour()
                                                        .sorted { $0.key < $1.key }.map { AdminCountByName(name: $0.key, count: $0.value) },
                                                    now: Envelope.now()))
        }
        on(.get, "/admin/api/readiness", .read) { request, _, _ in await gateway.readiness(request, detailed: true) }
        on(.get, "/admin/api/metrics", .read) { _, _, _ in
            HTTPResponse(status: .ok, headers: ["Content-Type": "text/plain; version=0.0.4; charset=utf-8", "Cache-Control": "no-store"],
                         body: Array(gateway.metrics.render().utf8))
        }
        on(.get, "/admin/api/dead-letters", .read) { request, _, _ in
            await Gateway.respond { () async throws(APIError) -> HTTPResponse in
                .adminJSON(.ok, AdminDeadLetters(deadLetters: try await deadLetters(request)))
            }
        }
        on(.post, "/admin/api/dead-letters/{service}/{event_id}/replay", .write) { request, p, credential in
            await replay(service: p["service"] ?? "", eventID: p["event_id"] ?? "", credential, request,
                         key: Self.idempotencyKey(request)).response
        }
        on(.get, "/admin/api/notifications/failures", .read) { request, _, _ in
            await Gateway.respond { () async throws(APIError) -> HTTPResponse in
                let list: AdminNotificationFailures = try await gateway.call(.notifier, AdminMessages.notificationFailures, AdminEmpty(), request)
                return .adminJSON(.ok, list)
            }
        }
        on(.post, "/admin/api/notifications/{event_id}/retry", .write) { request, p, credential in
            struct Body: Codable { var channel: String? }
            guard let body = try? RawJSON(validating: request.body.isEmpty ? Array("{}".utf8) : request.body).decode(Body.self) else {
                return APIError.badRequest("the body must be JSON: {\"channel\"?: \"email\" or \"webhook\"}").response
            }
            return await retryNotification(AdminNotificationRef(eventID: p["event_id"] ?? "", channel: body.channel), credential, request,
                                           key: Self.idempotencyKey(request)).response
        }
        on(.post, "/admin/api/orders/{order_id}/resend-email", .write) { request, p, credential in
            await resendEmail(p["order_id"] ?? "", credential, request, key: Self.idempotencyKey(request)).response
        }
        on(.post, "/admin/api/catch-up", .write) { request, _, credential in
            guard let body = try? RawJSON(validating: request.body.isEmpty ? Array("{}".utf8) : request.body).decode(AdminCatchUpRequest.self) else {
                return APIError.badRequest("the body must be JSON: {\"window_seconds\"?}").response
            }
            return await catchUp(body, credential, request, key: Self.idempotencyKey(request)).response
        }
        on(.get, "/admin/api/catalog", .read) { request, _, _ in
            await Gateway.respond { () async throws(APIError) -> HTTPResponse in
                let list: AdminStockList = try await gateway.call(.fulfillment, AdminMessages.stock, AdminEmpty(), request)
                return .adminJSON(.ok, list)
            }
        }
        on(.post, "/admin/api/catalog/{sku}/stock", .write) { request, p, credential in
            struct Body: Codable { var stock: Int }
            guard let body = try? RawJSON(validating: request.body).decode(Body.self) else {
                return APIError.badRequest("the body must be JSON: {\"stock\": units on hand}", field: "stock").response
            }
            return await setStock(AdminStockRequest(sku: p["sku"] ?? "", stock: body.stock), credential, request,
                                  key: Self.idempotencyKey(request)).response
        }
        on(.get, "/admin/api/audit", .read) { request, _, _ in
            await Gateway.respond { () async throws(APIError) -> HTTPResponse in
                var q = AdminAuditQuery()
                if let raw = request.queryValue("limit") {
                    guard let limit = Int(raw), (1...500).contains(limit) else { throw .badRequest("'limit' must be from 1 to 500", field: "limit") }
                    q.limit = limit
                }
                if let raw = request.queryValue("before") {
                    guard let before = Int64(raw) else { throw .badRequest("'before' must be an audit entry id", field: "before") }
                    q.before = before
                }
                q.target = request.queryValue("target")
                let page: AdminAuditPage = try await gateway.call(.fulfillment, AdminMessages.auditList, q, request)
                return .adminJSON(.ok, page)
            }
        }
    }

    /// The answer of an action, for the API.
    struct ActionAnswer: Sendable {
        var outcome: Outcome
        var replayed: Bool

        var response: HTTPResponse {
            var r = HTTPResponse(status: outcome.status, headers: ["Content-Type": "application/json", "Cache-Control": "no-store"],
                                 body: outcome.body)
            if replayed { r.headers.set("Idempotent-Replayed", "true") }
            return r
        }
    }

    static func badKey() -> ActionAnswer {
        let e = APIError.badRequest("'Idempotency-Key' must be 1 to 200 printable ASCII characters", field: "Idempotency-Key")
        return ActionAnswer(outcome: Outcome(status: e.status, body: e.response.body, result: e.code), replayed: false)
    }

    /// Refunds through payments (`payments.refund`, the service message the `payments refund` command
    /// uses). payments' refund request id derives from the audit key, so Stripe's idempotency key does too.
    func refund(_ orderID: String, _ body: AdminRefundBody, _ credential: Credential, _ request: HTTPRequest, key: String?) async -> ActionAnswer {
        guard let key else { return Self.badKey() }
        // The same arguments always give the same text: a retry with another body is told apart (409).
        let parameters = String(decoding: (try? RawJSON(encoding: AdminRefundBody(amount: body.amount, reason: body.reason,
                                                                                   restock: body.restock ?? false)).bytes) ?? [],
                                as: UTF8.self)
        let requestID = "console_" + Hex.encode(Digest.sha256(Array("\(credential.who.name)\n\(key)".utf8))).prefix(40)
        let (result, replayed) = await audited(credential.who, action: "refund", target: "order:" + orderID, parameters: parameters,
                                                key: key, request) {
            await self.outcome(HTTPStatus.created) { () async throws(APIError) -> RefundReply in
                if let amount = body.amount, amount <= 0 { throw .unprocessable("'amount' must be positive minor units", field: "amount") }
                return try await gateway.call(.payments, PaymentMessages.refund,
                                              RefundRequest(orderID: orderID, amount: body.amount, reason: body.reason,
                                                            restock: body.restock ?? false, requestID: String(requestID)),
                                              request, deadline: .seconds(60))
            }
        }
        return ActionAnswer(outcome: result, replayed: replayed)
    }

    /// Cancels through fulfillment (`orders.cancel`, as `fulfillment orders cancel`).
    func cancel(_ orderID: String, _ credential: Credential, _ request: HTTPRequest, key: String?) async -> ActionAnswer {
        guard let key else { return Self.badKey() }
        let (result, replayed) = await audited(credential.who, action: "cancel", target: "order:" + orderID, parameters: "{}",
                                                key: key, request) {
            await self.outcome { () async throws(APIError) -> Order in
                try await gateway.call(.fulfillment, OrderMessages.cancel, CancelOrderRequest(orderID: orderID), request,
                                       deadline: .seconds(60))
            }
        }
        return ActionAnswer(outcome: result, replayed: replayed)
    }

    /// Puts one dead-lettered event of `service`'s outbox back to pending.
    func replay(service: String, eventID: String, _ credential: Credential, _ request: HTTPRequest, key: String?) async -> ActionAnswer {
        guard let key else { return Self.badKey() }
        guard let peer = Peer(rawValue: service), peer != .notifier else {
            let e = APIError(status: .notFound, code: "not_found", message: "only payments and fulfillment have outboxes")
            return ActionAnswer(outcome: Outcome(status: e.status, body: e.response.body, result: e.code), replayed: false)
        }
        let (result, replayed) = await audited(credential.who, action: "replay_dead_letter", target: "event:\(service):\(eventID)",
                                                parameters: "{}", key: key, request) {
            await self.outcome { () async throws(APIError) -> AdminCount in
                try await gateway.call(peer, AdminMessages.replay, AdminEventRef(eventID: eventID), request)
            }
        }
        return ActionAnswer(outcome: result, replayed: replayed)
    }
}

extension AdminConsole {
    /// One audited call of `type` on `peer`: its reply is the action's answer.
    func act<In: Encodable & Sendable, Out: Encodable & Decodable & Sendable>(
        _ credential: Credential, _ request: HTTPRequest, key: String?, action: String, target: String, payload: In,
        peer: Peer, type: String, as: Out.Type, deadline: Duration? = nil
    ) async -> ActionAnswer {
        guard let key else { return Self.badKey() }
        let parameters = String(decoding: (try? RawJSON(encoding: payload).bytes) ?? [], as: UTF8.self)
        let (result, replayed) = await audited(credential.who, action: action, target: target, parameters: parameters, key: key, request) {
            await self.outcome { () async throws(APIError) -> Out in
                try await gateway.call(peer, type, payload, request, deadline: deadline)
            }
        }
        return ActionAnswer(outcome: result, replayed: replayed)
    }

    func retryNotification(_ ref: AdminNotificationRef, _ credential: Credential, _ request: HTTPRequest, key: String?) async -> ActionAnswer {
        await act(credential, request, key: key, action: "retry_notification", target: "event:notifier:\(ref.eventID)", payload: ref,
                  peer: .notifier, type: AdminMessages.retryNotification, as: AdminCount.self)
    }

    func resendEmail(_ orderID: String, _ credential: Credential, _ request: HTTPRequest, key: String?) async -> ActionAnswer {
        await act(credential, request, key: key, action: "resend_email", target: "order:" + orderID, payload: AdminOrderRef(orderID: orderID),
                  peer: .notifier, type: AdminMessages.resendEmail, as: AdminCount.self)
    }

    func catchUp(_ body: AdminCatchUpRequest, _ credential: Credential, _ request: HTTPRequest, key: String?) async -> ActionAnswer {
        await act(credential, request, key: key, action: "catch_up", target: "stripe:events", payload: body, peer: .payments,
                  type: AdminMessages.catchUp, as: AdminCatchUpReply.self, deadline: .seconds(120))
    }

    func setStock(_ body: AdminStockRequest, _ credential: Credential, _ request: HTTPRequest, key: String?) async -> ActionAnswer {
        await act(credential, request, key: key, action: "set_stock", target: "sku:" + body.sku, payload: body, peer: .fulfillment,
                  type: AdminMessages.setStock, as: AdminStock.self)
    }
}

/// `GET /admin/api/health`.
struct AdminHealthReply: Codable, Sendable {
    var services: [AdminHealth]
    var unreachable: [String]
    /// The gateway's own count of webhooks it refused in the last hour (bad signature, too large, ...).
    var webhookFailuresLastHour: [AdminCountByName]
    var now: Int64

    enum CodingKeys: String, CodingKey {
        case services, unreachable, now
        case webhookFailuresLastHour = "webhook_failures_last_hour"
    }
}
