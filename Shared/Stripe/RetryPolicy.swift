import Core

/// The official clients' retry policy (STRIPE-NOTES, "Retries").
public struct RetryPolicy: Sendable {
    /// Retries after the first attempt (2 by default, like the official clients).
    public var maxRetries: Int
    /// The first backoff (0.5 s); doubles per retry.
    public var initialDelay: Duration
    /// The cap on one backoff (5 s).
    public var maxDelay: Duration

    public init(maxRetries: Int = 2, initialDelay: Duration = .milliseconds(500), maxDelay: Duration = .seconds(5)) {
        self.maxRetries = maxRetries
        self.initialDelay = initialDelay
        self.maxDelay = maxDelay
    }

    /// Whether a response with `status` and the `Stripe-Should-Retry` header value may be retried:
    /// the header decides when present; otherwise 409 and >= 500 retry, every other status does not.
    public func shouldRetry(status: Int, shouldRetryHeader: String?) -> Bool {
        switch shouldRetryHeader?.lowercased() {
        case "true": return true
        case "false": return false
        default: return status == 409 || status >= 500
        }
    }

    /// The delay before retry `n` (1-based): `min(initial * 2^(n-1), max)`, jittered into [half, full],
    /// and never less than `initialDelay`.
    public func delay(beforeRetry n: Int, jitter: Double = Double.random(in: 0...1)) -> Duration {
        max(Backoff.delay(attempt: n, base: initialDelay, cap: maxDelay, jitter: jitter), initialDelay)
    }
}
