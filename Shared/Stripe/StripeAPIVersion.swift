/// The Stripe API version this build pins, and the one place that knows how versions differ
/// (STRIPE-NOTES, "API versions differ in names").
public struct StripeAPIVersion: Sendable, Hashable, CustomStringConvertible {
    /// The version sent as `Stripe-Version` unless `STRIPE_API_VERSION` says otherwise. Before the
    /// `dahlia` rename of the embedded ui_mode, and after `basil` moved the invoice's client secret.
    public static let pinned = StripeAPIVersion("2026-02-25.clover")

    /// e.g. `2025-03-31.basil`.
    public let name: String

    public init(_ name: String) { self.name = name }

    /// A version name is `YYYY-MM-DD` optionally followed by `.<release name>`.
    public static func isWellFormed(_ name: String) -> Bool {
        let halves = name.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        let date = halves.first.map(String.init) ?? ""
        let parts = date.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2 else { return false }
        guard parts.allSatisfy({ $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) }) else { return false }
        // A release name, when there is a dot, is a non-empty run of ASCII letters and digits (`basil`).
        guard halves.count == 2 else { return true }
        let release = halves[1]
        return !release.isEmpty && release.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber) }
    }

    public var description: String { name }

    /// The date part, which orders versions (`2025-03-31`).
    public var date: Substring { name.split(separator: ".", maxSplits: 1).first ?? Substring(name) }

    private func isAtLeast(_ day: String) -> Bool { date >= Substring(day) }

    /// Checkout's embedded `ui_mode`: `embedded`, renamed `embedded_page` from `2026-03-25.dahlia`
    /// (where the old value is rejected). Stripe.js changed `initEmbeddedCheckout` to
    /// `createEmbeddedCheckoutPage` at the same version.
    public var embeddedCheckoutUIMode: String { isAtLeast("2026-03-25") ? "embedded_page" : "embedded" }

    /// How a finalized invoice exposes the client secret of the payment to confirm in the app.
    public enum InvoiceSecret: Sendable, Equatable {
        /// Up to `2025-02-24.acacia`: `invoice.payment_intent` (expand it for its `client_secret`).
        case paymentIntent
        /// From `2025-03-31.basil`: `invoice.confirmation_secret.client_secret` (expand `confirmation_secret`).
        case confirmationSecret
    }

    public var invoiceSecret: InvoiceSecret { isAtLeast("2025-03-31") ? .confirmationSecret : .paymentIntent }

    /// The `expand[]` value that makes the invoice carry its client secret.
    public var invoiceSecretExpansion: String {
        switch invoiceSecret {
        case .paymentIntent: "payment_intent"
        case .confirmationSecret: "confirmation_secret"
        }
    }
}
