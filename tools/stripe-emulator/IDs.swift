#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Stripe-shaped identifiers and the clock.
enum IDs {
    private static let alphabet = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")

    /// Random base-62 characters.
    static func random(_ count: Int) -> String {
        var g = SystemRandomNumberGenerator()
        return String((0..<count).map { _ in alphabet[Int.random(in: 0..<alphabet.count, using: &g)] })
    }

    /// `pi_3Nxxxx...`: the prefix plus 24 random characters.
    static func make(_ prefix: String) -> String { prefix + random(24) }

    /// A client secret for an object id: `pi_..._secret_...`.
    static func clientSecret(for id: String) -> String { "\(id)_secret_\(random(25))" }

    /// A webhook signing secret.
    static func webhookSecret() -> String { "whsec_" + random(32) }

    /// A request id for the `Request-Id` header.
    static func request() -> String { "req_" + random(14) }

    /// Unix seconds now.
    static func now() -> Int64 { Int64(nowMilliseconds() / 1000) }

    /// Unix milliseconds now.
    static func nowMilliseconds() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
    }
}
