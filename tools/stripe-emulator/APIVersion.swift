/// A Stripe API version (`2025-03-31.basil`) and the differences between versions that the stand-in
/// reproduces. Versions compare by their date.
struct APIVersion: Sendable, Hashable, Comparable, CustomStringConvertible {
    let name: String

    /// `YYYY-MM-DD` with an optional `.release` suffix; nil when malformed.
    init?(_ name: String) {
        let date = name.prefix(10)
        let parts = date.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
              parts.allSatisfy({ $0.allSatisfy(\.isNumber) }),
              name.count == 10 || name.dropFirst(10).first == "." else { return nil }
        self.name = name
    }

    private init(trusted name: String) { self.name = name }

    var date: Substring { name.prefix(10) }
    var description: String { name }

    static func < (a: APIVersion, b: APIVersion) -> Bool { a.date < b.date }

    /// Invoices: `payment_intent` up to acacia; `confirmation_secret` (and no `payment_intent`) from basil.
    static let basil = APIVersion(trusted: "2025-03-31.basil")
    /// Checkout `ui_mode`: `embedded` before dahlia, `embedded_page` from it.
    static let dahlia = APIVersion(trusted: "2026-03-25.dahlia")

    var usesConfirmationSecret: Bool { self >= .basil }
    var embeddedUIMode: String { self >= .dahlia ? "embedded_page" : "embedded" }
    var uiModes: [String] { self >= .dahlia ? ["hosted_page", "embedded_page", "elements"] : ["hosted", "embedded", "custom"] }
}
