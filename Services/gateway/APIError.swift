import HTTPServer
import Logging
import Wire

/// An error as the public API answers it: a status and
/// `{"error":{"code","message"[,"field"][,"reason"][,"order_id"]}}`.
///
/// Every error the gateway sends goes through ``init(_:)`` (errors from the services, by the one table
/// below) or one of the named constructors (the gateway's own validation). Messages are scrubbed of
/// secret-shaped tokens before they leave.
struct APIError: Error, Sendable, CustomStringConvertible {
    var status: HTTPStatus
    /// The wire error code (`invalid_argument`, `payment_declined`, ...).
    var code: String
    var message: String
    /// The request field at fault (`items[0].quantity`, `email`, `session_id`).
    var field: String?
    /// A finer cause within `code` (Stripe's decline code, the signature check that failed, ...).
    var reason: String?
    /// Set when an order was created before a later step failed, so the client can retry paying for it.
    var orderID: String?
    /// With `orderID` after a failed creation: the new order's token, which paying for it later needs.
    var orderToken: String?
    /// `Retry-After` in seconds of a 429 (default 60).
    var retryAfter: Int?

    var description: String { "\(status.code) \(code): \(message)" }

    /// The one table from wire error codes to HTTP statuses.
    ///
    /// | code | status |
    /// |---|---|
    /// | invalid_argument, invalid_signature, invalid_payload | 400 |
    /// | unauthenticated | 401 |
    /// | payment_declined | 402 |
    /// | permission_denied | 403 |
    /// | not_found | 404 |
    /// | conflict | 409 |
    /// | unprocessable | 422 |
    /// | internal (and any code the gateway does not know) | 500 |
    /// | resource_exhausted (a cap on open orders) | 429 + Retry-After |
    /// | upstream_failed | 502 |
    /// | unavailable, deadline_exceeded, unknown_type (a peer that does not handle the request yet) | 503 |
    static func status(forWireCode code: WireError.Code) -> HTTPStatus {
        switch code {
        case .invalidArgument, .invalidSignature, .invalidPayload: .badRequest
        case .unauthenticated: .unauthorized
        case .paymentDeclined: .paymentRequired
        case .permissionDenied: .forbidden
        case .notFound: .notFound
        case .conflict: .conflict
        case .unprocessable: .unprocessableContent
        case .upstreamFailed: .badGateway
        case .resourceExhausted: .tooManyRequests
        case .unavailable, .deadlineExceeded, .unknownType: .serviceUnavailable
        default: .internalServerError
        }
    }

    /// The public form of a service's error.
    init(_ wire: WireError) {
        let status = Self.status(forWireCode: wire.code)
        switch wire.code {
        case .unknownType:
            self.init(status: status, code: "unavailable", message: "this operation is not available right now")
        case .unavailable, .deadlineExceeded:
            self.init(status: status, code: wire.code.rawValue, message: "a service is unavailable; try again shortly")
        case _ where status == .internalServerError:
            // Internal details stay in the services' logs.
            self.init(status: status, code: "internal", message: "internal error")
        default:
            self.init(status: status, code: wire.code.rawValue, message: Redactor.scrub(wire.message), reason: wire.reason)
        }
    }

    /// The public form of a failed call.
    init(_ upstream: UpstreamError) { self.init(upstream.error) }

    init(status: HTTPStatus, code: String, message: String, field: String? = nil, reason: String? = nil,
         orderID: String? = nil, retryAfter: Int? = nil) {
        self.retryAfter = retryAfter
        self.status = status
        self.code = code
        self.message = message
        self.field = field
        self.reason = reason
        self.orderID = orderID
    }

    /// 400 `invalid_argument` naming `field`: the request's shape is wrong (not JSON, missing field,
    /// wrong type).
    static func badRequest(_ message: String, field: String? = nil) -> APIError {
        APIError(status: .badRequest, code: "invalid_argument", message: message, field: field)
    }

    /// 401 `unauthenticated`: the order token this operation needs was not sent.
    static func tokenRequired(orderID: String) -> APIError {
        APIError(status: .unauthorized, code: "unauthenticated",
                 message: "this needs the order's token, in the '\(Gateway.orderTokenHeader)' header (it was returned when the order was created)",
                 field: Gateway.orderTokenHeader, reason: "order_token_required", orderID: orderID)
    }

    /// 422 `unprocessable` naming `field`: well-formed, but a value is not acceptable.
    static func unprocessable(_ message: String, field: String) -> APIError {
        APIError(status: .unprocessableContent, code: "unprocessable", message: message, field: field)
    }

    /// The HTTP response. 503s carry `Retry-After`; no error is ever cached.
    var response: HTTPResponse {
        var w = JSONWriter(reservingCapacity: 96 + message.utf8.count)
        w.beginObject()
        w.key("error")
        w.beginObject()
        w.field("code", code)
        w.field("message", Redactor.scrub(message))
        if let field { w.field("field", field) }
        if let reason { w.field("reason", reason) }
        if let orderID { w.field("order_id", orderID) }
        if let orderToken { w.field("order_token", orderToken) }
        w.endObject()
        w.endObject()
        var response = HTTPResponse(status: status, headers: ["Content-Type": "application/json", "Cache-Control": "no-store"],
                                    body: w.bytes)
        if status == .serviceUnavailable { response.headers.set("Retry-After", "1") }
        // Open orders free up as they are paid or expire: a minute is a fair first wait.
        if status == .tooManyRequests { response.headers.set("Retry-After", "\(retryAfter ?? 60)") }
        return response
    }
}
