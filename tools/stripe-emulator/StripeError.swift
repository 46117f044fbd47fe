import HTTPServer

/// An error in Stripe's shape: the HTTP status plus
/// `{"error":{"type","code","decline_code","message","param",...}}`.
///
/// Types and statuses follow Stripe: `invalid_request_error` (400, 404 for a missing resource, 401 for a
/// bad key), `card_error` (402), `idempotency_error` (400), `api_error` (500).
struct StripeError: Error, Sendable {
    var status: Int
    var type: String
    var code: String?
    var declineCode: String?
    var message: String
    var param: String?
    /// Extra fields Stripe adds to card errors (`payment_intent`, `payment_method`, `charge`).
    var extra: JSONObject = JSONObject()

    var json: JSON {
        var error: JSONObject = ["type": .string(type), "message": .string(message)]
        if let code {
            error["code"] = .string(code)
            error["doc_url"] = .string("https://stripe.com/docs/error-codes/\(code.replacing("_", with: "-"))")
        }
        if let declineCode { error["decline_code"] = .string(declineCode) }
        if let param { error["param"] = .string(param) }
        for (k, v) in extra.pairs { error[k] = v }
        return ["error": .object(error)]
    }

    var response: HTTPResponse { .json(HTTPStatus(status), json.bytes) }

    // MARK: - The errors the emulator raises

    static func missing(_ param: String) -> StripeError {
        StripeError(status: 400, type: "invalid_request_error", code: "parameter_missing",
                    message: "Missing required param: \(param).", param: param)
    }

    static func notInteger(_ param: String) -> StripeError {
        StripeError(status: 400, type: "invalid_request_error", code: "parameter_invalid_integer",
                    message: "Invalid integer: \(param) must be an integer.", param: param)
    }

    static func empty(_ param: String) -> StripeError {
        StripeError(status: 400, type: "invalid_request_error", code: "parameter_invalid_empty",
                    message: "You passed an empty string for '\(param)'. We assume empty values are an attempt to unset a parameter; however '\(param)' cannot be unset.",
                    param: param)
    }

    static func unknown(_ param: String) -> StripeError {
        StripeError(status: 400, type: "invalid_request_error", code: "parameter_unknown",
                    message: "Received unknown parameter: \(param)", param: param)
    }

    /// A value Stripe refuses without a more specific code.
    static func invalid(_ param: String?, _ message: String, code: String? = nil) -> StripeError {
        StripeError(status: 400, type: "invalid_request_error", code: code, message: message, param: param)
    }

    static func noSuch(_ kind: String, _ id: String, param: String? = "id") -> StripeError {
        StripeError(status: 404, type: "invalid_request_error", code: "resource_missing",
                    message: "No such \(kind): '\(id)'", param: param)
    }

    static func unexpectedState(_ message: String, code: String = "payment_intent_unexpected_state") -> StripeError {
        StripeError(status: 400, type: "invalid_request_error", code: code, message: message)
    }

    static func unauthorized(_ message: String) -> StripeError {
        StripeError(status: 401, type: "invalid_request_error", code: nil, message: message)
    }

    static func idempotency(_ message: String) -> StripeError {
        StripeError(status: 400, type: "idempotency_error", code: nil, message: message)
    }

    static func unrecognizedURL(_ method: String, _ path: String) -> StripeError {
        StripeError(status: 404, type: "invalid_request_error", code: nil,
                    message: "Unrecognized request URL (\(method): \(path)). This stand-in implements only the part of the Stripe API the shop uses; see docs/STRIPE-EMULATOR.md.")
    }

    static func internalError(_ message: String) -> StripeError {
        StripeError(status: 500, type: "api_error", code: nil, message: message)
    }
}
