/// The Stripe API version this build pins, and the one place that knows how versions differ.
public struct StripeAPIVersion: Sendable, Hashable, CustomStringConvertible {
    /// The version sent as `Stripe-Version` unless `STRIPE_API_VERSION` says otherwise.
    public static let pinned = StripeAPIVersion("2026-02-25.clover")

    /// e.g. `2025-03-31.basil`.
    public let name: String
    public init(_ name: String) { self.name = name }
    public var description: String { name }
}
