import Curl
import Foundation
import Wire

/// A failed Stripe call: decoded leniently from Stripe's error body, or a connection failure.
/// Never carries the secret key or a client secret.
public struct StripeError: Error, Sendable, CustomStringConvertible {
    /// The category callers branch on (the official clients' classes).
    public enum Kind: String, Sendable {
        /// 402: the card was declined; show the message to the customer.
        case card
        /// 400/404 `invalid_request_error`.
        case invalidRequest = "invalid_request"
        /// 400/404 `idempotency_error`: same key, different parameters.
        case idempotency
        /// 401.
        case authentication
        /// 403.
        case permission
        /// 429.
        case rateLimit = "rate_limit"
        /// Any other status: Stripe's own failure.
        case api
        /// No complete response (refused, reset, timed out, TLS failure).
        case connection
    }

    public var kind: Kind
    /// The HTTP status, nil for connection failures.
    public var httpStatus: Int?
    /// Stripe's `error.type` as sent (unknown values kept, never fatal).
    public var type: String?
    public var code: String?
    public var declineCode: String?
    public var message: String
    public var param: String?
    /// `Request-Id` of the last attempt.
    public var requestID: String?
    /// How many attempts were made (1 + retries).
    public var attempts: Int
    /// For connection failures: what curl said.
    public var curlError: CurlError?

    public init(kind: Kind, httpStatus: Int? = nil, type: String? = nil, code: String? = nil, declineCode: String? = nil,
                message: String, param: String? = nil, requestID: String? = nil, attempts: Int = 1, curlError: CurlError? = nil) {
        self.kind = kind; self.httpStatus = httpStatus; self.type = type; self.code = code; self.declineCode = declineCode
        self.message = message; self.param = param; self.requestID = requestID; self.attempts = attempts; self.curlError = curlError
    }

    public var description: String {
        var parts = ["stripe \(kind.rawValue) error"]
        if let httpStatus { parts.append("status \(httpStatus)") }
        if let code { parts.append("code \(code)") }
        if let declineCode { parts.append("decline_code \(declineCode)") }
        if let param { parts.append("param \(param)") }
        if let requestID { parts.append("request \(requestID)") }
        return parts.joined(separator: ", ") + ": " + message
    }

    /// Decodes Stripe's error body `{"error":{...}}` for `status`; lenient about unknown or missing fields,
    /// and about bodies that are not JSON at all (a proxy's HTML page).
    public static func decode(status: Int, body: [UInt8], requestID: String?, attempts: Int) -> StripeError {
        // Field by field, so one field of an unexpected type (or an OAuth-style `"error": "..."`)
        // never loses the others.
        let error = (try? ParsedJSON(parsing: body))?["error"]
        let inner = error.map { e in
            (type: e.lenientString("type"), code: e.lenientString("code"), declineCode: e.lenientString("decline_code"),
             message: e.lenientString("message"), param: e.lenientString("param"))
        }
        // The official clients' mapping (stripe-python `specific_v1_api_error`): by status first; the
        // type only tells an idempotency error from an invalid request on 400/404, and a 400 with code
        // `rate_limit` is the old spelling of a 429.
        let kind: Kind
        switch status {
        case 429: kind = .rateLimit
        case 400 where inner?.code == "rate_limit": kind = .rateLimit
        case 400, 404: kind = inner?.type == "idempotency_error" ? .idempotency : .invalidRequest
        case 401: kind = .authentication
        case 402: kind = .card
        case 403: kind = .permission
        default: kind = .api
        }
        let message = inner?.message ?? "Stripe answered HTTP \(status) without an error message"
        return StripeError(kind: kind, httpStatus: status, type: inner?.type, code: inner?.code,
                           declineCode: inner?.declineCode, message: message, param: inner?.param,
                           requestID: requestID, attempts: attempts)
    }
}
