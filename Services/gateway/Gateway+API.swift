import Crypto
import FoundationEssentials
import HTTPServer
import Messages
import Wire

/// The JSON API: orders and their payments, the catalog, the publishable configuration.
extension Gateway {
    // MARK: - Creating an order and its payment

    /// `POST /api/orders`, `POST /api/checkout/sessions`, `POST /api/invoices`: validates the body,
    /// has fulfillment create (and price) the order, then has payments create the Stripe object for
    /// `flow` from fulfillment's order, never from what the browser sent.
    func createOrder(_ request: HTTPRequest, flow: PaymentFlow) async -> HTTPResponse {
        await Self.respond { () async throws(APIError) -> HTTPResponse in
            let body = try OrderBody.parse(request)
            let key = try Self.idempotencyKey(request)
            if let limited = rateLimited("orders", perMinute: policy.limits.ordersPerMinute, request) { throw limited }
            // The order's capability, shown to this browser once; fulfillment keeps only its hash. A replay
            // of the same request (same Idempotency-Key) gets a token of its own for the same order.
            let token = OrderToken.make()
            let order: Order = try await call(.fulfillment, OrderMessages.create,
                                              CreateOrderRequest(items: body.items, email: body.email, flow: flow,
                                                                 idempotencyKey: key, tokenHash: OrderToken.hash(token),
                                                                 clientAddress: policy.clientAddress(request)),
                                              request)
            do throws(APIError) {
                return try await createPayment(for: order, request, status: .created, token: token)
            } catch {
                // The order exists; let the client pay for it later (/order/pay) instead of starting over,
                // which needs the token too.
                var failure = error
                failure.orderID = order.orderID
                failure.orderToken = token
                throw failure
            }
        }
    }

    /// `POST /api/orders/{order_id}/payment`: the payment object of an existing, still payable order
    /// again (after a failed attempt, or to remount a checkout page). payments makes the same request
    /// with the same order idempotent, so this returns the same PaymentIntent, Checkout Session or invoice
    /// while it is usable. Only for the holder of the order's token: the client secret it returns lets
    /// anyone pay, and see what Stripe shows about the payment.
    func resumePayment(_ request: HTTPRequest, orderID: String) async -> HTTPResponse {
        await Self.respond { () async throws(APIError) -> HTTPResponse in
            let id = try Self.validID(orderID, field: "order_id")
            guard let hash = try Self.orderTokenHash(request) else { throw .tokenRequired(orderID: id) }
            let order: Order = try await call(.fulfillment, OrderMessages.get, GetOrderRequest(orderID: id, tokenHash: hash), request)
            switch order.status {
            case .awaitingPayment, .paymentFailed:
                return try await createPayment(for: order, request, status: .ok)
            default:
                throw APIError(status: .conflict, code: "conflict",
                               message: "order \(order.orderID) is \(order.status.rawValue) and cannot be paid now",
                               reason: "order_\(order.status.rawValue)", orderID: order.orderID)
            }
        }
    }

    /// The header that carries an order's token.
    static let orderTokenHeader = "Order-Token"

    /// The hash of the request's order token, nil when it sent none; a malformed token is a 400 (nothing
    /// a client sends is looked up before its shape is checked).
    static func orderTokenHash(_ request: HTTPRequest) throws(APIError) -> String? {
        guard let token = request.headers[orderTokenHeader] else { return nil }
        guard OrderToken.isWellFormed(token) else {
            throw .badRequest("'\(orderTokenHeader)' is not an order token (otk_ and 64 hex digits)", field: orderTokenHeader)
        }
        return OrderToken.hash(token)
    }

    /// Has payments create the Stripe object for the order's flow and answers with what the browser needs
    /// (and, on creation, the order's token).
    private func createPayment(for order: Order, _ request: HTTPRequest, status: HTTPStatus,
                               token: String? = nil) async throws(APIError) -> HTTPResponse {
        var payment = CreatePaymentRequest(orderID: order.orderID, amount: order.amount, currency: order.currency,
                                           email: order.email,
                                           lines: order.items.map { PaymentLine(name: $0.name, quantity: $0.quantity, unitAmount: $0.unitAmount) })
        var w = JSONWriter()
        w.beginObject()
        w.field("order_id", order.orderID)
        if let token { w.field("order_token", token) }
        w.field("flow", order.flow.rawValue)
        switch order.flow {
        case .paymentIntent:
            let reply: CreatePaymentReply = try await call(.payments, PaymentMessages.createPaymentIntent, payment, request)
            w.field("amount", Int64(order.amount))
            w.field("currency", order.currency)
            w.field("status", order.status.rawValue)
            w.field("payment_intent_id", reply.paymentIntentID ?? "")
            w.field("client_secret", reply.clientSecret)
        case .checkoutSession:
            payment.returnURL = baseURL() + "/stripe_return?session_id={CHECKOUT_SESSION_ID}"
            payment.expiresAt = Self.sessionExpiry(orderExpiresAtMs: order.expiresAt)
            let reply: CreatePaymentReply = try await call(.payments, PaymentMessages.createCheckoutSession, payment, request)
            w.field("amount", Int64(order.amount))
            w.field("currency", order.currency)
            w.field("session_id", reply.checkoutSessionID ?? "")
            w.field("client_secret", reply.clientSecret)
            if let expires = reply.expiresAt { w.field("expires_at", expires) } else { w.key("expires_at"); w.null() }
        case .invoice:
            let reply: CreatePaymentReply = try await call(.payments, PaymentMessages.createInvoice, payment, request)
            w.field("amount", Int64(order.amount))
            w.field("currency", order.currency)
            w.field("invoice_id", reply.invoiceID ?? "")
            w.field("client_secret", reply.clientSecret)
        }
        w.endObject()
        return .privateJSON(status, w)
    }

    /// A Checkout Session should expire with its order, but Stripe allows 30 min to 24 h from now; outside
    /// that window payments' default applies.
    static func sessionExpiry(orderExpiresAtMs: Int64, now: Int64 = Int64(Date().timeIntervalSince1970)) -> Int64? {
        let seconds = orderExpiresAtMs / 1000
        // A margin on both ends: the request takes time to reach Stripe.
        guard seconds >= now + 31 * 60, seconds <= now + 24 * 3600 - 60 else { return nil }
        return seconds
    }

    /// The optional `Idempotency-Key` header: 1 to 255 visible ASCII characters.
    static func idempotencyKey(_ request: HTTPRequest) throws(APIError) -> String? {
        guard let key = request.headers["Idempotency-Key"] else { return nil }
        let utf8 = key.utf8
        guard (1...255).contains(utf8.count), utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
            throw .badRequest("Idempotency-Key must be 1 to 255 visible ASCII characters", field: "Idempotency-Key")
        }
        return key
    }

    /// An id from a path or query: 1 to 255 letters, digits, `_` or `-` (Stripe's and fulfillment's ids
    /// all are), so nothing odd reaches logs or the services.
    static func validID(_ value: String?, field: String) throws(APIError) -> String {
        guard let value, !value.isEmpty else { throw .badRequest("'\(field)' is required", field: field) }
        let utf8 = value.utf8
        guard utf8.count <= 255, utf8.allSatisfy({ b in
            (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == UInt8(ascii: "_") || b == UInt8(ascii: "-")
        }) else {
            throw .badRequest("'\(field)' is not a valid id", field: field)
        }
        return value
    }

    // MARK: - Reading

    /// `GET /api/orders/{order_id}`: the order's public status (lines, total, the steps it went through),
    /// which is all an order id shows, since ids travel in URLs, emails and logs. With the order's token
    /// (`Order-Token`) also its personal data and the notes of each step (decline messages, review reasons).
    func getOrder(_ request: HTTPRequest, orderID: String) async -> HTTPResponse {
        await Self.respond { () async throws(APIError) -> HTTPResponse in
            let id = try Self.validID(orderID, field: "order_id")
            let hash = try Self.orderTokenHash(request)
            let order: Order = try await call(.fulfillment, OrderMessages.get, GetOrderRequest(orderID: id, tokenHash: hash), request)
            var w = JSONWriter()
            Self.write(order, to: &w, detailed: hash != nil)
            return .privateJSON(.ok, w)
        }
    }

    /// The order as the API shows it; `detailed` (the token was shown) adds the email and the steps' notes.
    static func write(_ order: Order, to w: inout JSONWriter, detailed: Bool = false) {
        w.beginObject()
        w.field("order_id", order.orderID)
        w.field("status", order.status.rawValue)
        w.field("flow", order.flow.rawValue)
        if detailed { w.field("email", order.email) }
        w.field("amount", Int64(order.amount))
        w.field("currency", order.currency)
        if let refunded = order.refundedAmount { w.field("refunded_amount", Int64(refunded)) }
        // A dispute is between the cardholder and the merchant: not for whoever holds an order id.
        if detailed, let disputed = order.disputed { w.field("disputed", disputed) }
        if detailed, let dispute = order.dispute {
            w.key("dispute")
            w.beginObject()
            w.field("dispute_id", dispute.disputeID)
            w.field("status", dispute.status)
            w.field("amount", Int64(dispute.amount))
            w.field("currency", dispute.currency)
            if let reason = dispute.reason { w.field("reason", reason) }
            if let dueBy = dispute.dueBy { w.field("due_by", dueBy) }
            w.field("funds_withdrawn", dispute.fundsWithdrawn)
            w.field("funds_reinstated", dispute.fundsReinstated)
            w.endObject()
        }
        w.key("items")
        w.beginArray()
        for line in order.items {
            w.beginObject()
            w.field("sku", line.sku)
            w.field("name", line.name)
            w.field("quantity", Int64(line.quantity))
            w.field("unit_amount", Int64(line.unitAmount))
            w.field("amount", Int64(line.amount))
            w.endObject()
        }
        w.endArray()
        w.field("created_at", order.createdAt)
        w.field("expires_at", order.expiresAt)
        w.key("history")
        w.beginArray()
        for step in order.history {
            w.beginObject()
            w.field("status", step.status.rawValue)
            w.field("at", step.at)
            if detailed, let note = step.note { w.field("note", note) }
            w.endObject()
        }
        w.endArray()
        w.endObject()
    }

    /// `GET /api/catalog`.
    func catalog(_ request: HTTPRequest) async -> HTTPResponse {
        await Self.respond { () async throws(APIError) -> HTTPResponse in
            let reply: CatalogReply = try await call(.fulfillment, OrderMessages.catalogList, EmptyPayload(), request)
            var w = JSONWriter()
            w.beginObject()
            w.key("products")
            w.beginArray()
            for p in reply.products {
                w.beginObject()
                w.field("sku", p.sku)
                w.field("name", p.name)
                if let d = p.description { w.field("description", d) }
                w.field("unit_amount", Int64(p.unitAmount))
                w.field("currency", p.currency)
                w.field("available", Int64(p.available))
                w.endObject()
            }
            w.endArray()
            w.endObject()
            return .privateJSON(.ok, w)
        }
    }

    /// `GET /config`: what Stripe.js needs. The publishable key is meant for browsers.
    func config(_ request: HTTPRequest) async -> HTTPResponse {
        await Self.respond { () async throws(APIError) -> HTTPResponse in
            let reply = try await paymentsConfig(request)
            var w = JSONWriter()
            w.beginObject()
            w.field("publishableKey", reply.publishableKey)
            w.field("checkoutUiMode", reply.checkoutUIMode)
            w.field("mode", reply.mode)
            w.field("returnUrl", baseURL() + "/payment/return")
            w.endObject()
            var response = HTTPResponse.json(.ok, w)
            response.headers.set("Cache-Control", "public, max-age=60")
            return response
        }
    }

    /// `GET /api/checkout/session-status?session_id=`: the session as Stripe sees it (asked by payments)
    /// and the order's own status.
    func sessionStatus(_ request: HTTPRequest) async -> HTTPResponse {
        await Self.respond { () async throws(APIError) -> HTTPResponse in
            let id = try Self.validID(request.queryValue("session_id"), field: "session_id")
            let verdict: VerifyReply = try await call(.payments, PaymentMessages.verifyCheckoutSession,
                                                      VerifyCheckoutSessionRequest(sessionID: id), request)
            let order: Order = try await call(.fulfillment, OrderMessages.get, GetOrderRequest(orderID: verdict.orderID), request)
            var w = JSONWriter()
            w.beginObject()
            w.field("status", verdict.status)
            if let paymentStatus = verdict.paymentStatus { w.field("payment_status", paymentStatus) } else {
                w.key("payment_status"); w.null()
            }
            w.field("order_id", order.orderID)
            w.field("order_status", order.status.rawValue)
            w.endObject()
            return .privateJSON(.ok, w)
        }
    }
}
