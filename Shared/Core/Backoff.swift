/// Capped exponential backoff with jitter, the one rule behind every retry loop: the event relay, the
/// notifier's deliveries and the Stripe client.
public enum Backoff {
    /// The delay before retry `attempt` (1-based): `min(base * 2^(attempt-1), cap)`, jittered into
    /// [half, full]. An attempt below 1 counts as the first; the exponent stops at 30.
    /// - Parameter jitter: where in [half, full] the delay falls, from 0 (half) to 1 (full); random by default.
    public static func delay(attempt: Int, base: Duration, cap: Duration,
                             jitter: Double = Double.random(in: 0...1)) -> Duration {
        let exponent = attempt <= 1 ? 0 : min(attempt - 1, 30)
        let raw = min(base * (1 << exponent), cap)
        return raw * (0.5 + 0.5 * min(max(jitter, 0), 1))
    }
}
