import Stripe
import Wire

extension WireError {
    /// How a Stripe failure travels to the gateway: card declines keep Stripe's customer-facing message
    /// (402); everything else becomes `upstream_failed` (502) with Stripe's code but a message of our own,
    /// so nothing Stripe echoes back (parameters, masked keys) reaches a browser.
    static func from(_ error: StripeError) -> WireError {
        switch error.kind {
        case .card:
            return .paymentDeclined(error.message, reason: error.declineCode ?? error.code)
        case .connection:
            return .upstreamFailed("Stripe could not be reached", reason: "connection", retryable: true)
        case .rateLimit:
            return .upstreamFailed("Stripe is rate limiting requests", reason: error.code ?? "rate_limit", retryable: true)
        case .api:
            return .upstreamFailed("Stripe failed to process the request", reason: error.code ?? "api_error", retryable: true)
        case .authentication, .permission:
            return .upstreamFailed("Stripe refused the API key", reason: error.code ?? error.kind.rawValue)
        case .idempotency:
            return .upstreamFailed("Stripe refused a reused idempotency key", reason: "idempotency_error")
        case .invalidRequest:
            let param = error.param.map { " (parameter \($0))" } ?? ""
            return .upstreamFailed("Stripe rejected the request\(param)", reason: error.code ?? "invalid_request")
        }
    }
}
