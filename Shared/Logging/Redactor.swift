/// Keeps secrets out of logs and error bodies.
///
/// Two layers: metadata whose key names a secret is replaced whole, and any string is scanned for the
/// shapes of Stripe secret keys (`sk_...`, `rk_...`), webhook secrets (`whsec_...`) and client secrets
/// (`pi_..._secret_...`, `seti_..._secret_...`, `cs_..._secret_...`), which are replaced by `[redacted]`.
public enum Redactor {
    /// Key fragments that mark a metadata value as secret.
    static let secretKeyFragments = ["secret", "password", "passwd", "api_key", "apikey", "authorization", "token", "signature"]

    /// The value to log for `key`: `[redacted]` if the key names a secret, else the scrubbed value.
    public static func value(forKey key: String, _ value: String) -> String {
        let lower = key.lowercased()
        for fragment in secretKeyFragments where lower.contains(fragment) { return "[redacted]" }
        return scrub(value)
    }

    /// Replaces every secret-shaped token in `text`.
    public static func scrub(_ text: String) -> String {
        // Fast path: nothing that could start a secret.
        let utf8 = text.utf8
        guard utf8.count >= 6, mightContainSecret(utf8) else { return text }
        var out = ""
        out.reserveCapacity(text.count)
        var token = ""
        func flush() {
            out += isSecret(token) ? "[redacted]" : token
            token = ""
        }
        for ch in text {
            if ch.isLetter || ch.isNumber || ch == "_" {
                token.append(ch)
            } else {
                flush()
                out.append(ch)
            }
        }
        flush()
        return out
    }

    private static func mightContainSecret(_ utf8: String.UTF8View) -> Bool {
        var previous: UInt8 = 0
        for b in utf8 {
            // "k_" (sk_, rk_), "c_" (whsec_), "t_" (_secret_): cheap pre-filter before the token scan.
            if b == UInt8(ascii: "_") && (previous == UInt8(ascii: "k") || previous == UInt8(ascii: "c") || previous == UInt8(ascii: "t")) {
                return true
            }
            previous = b
        }
        return false
    }

    /// Whether one word-like token is a secret.
    public static func isSecret(_ token: String) -> Bool {
        if token.hasPrefix("sk_") || token.hasPrefix("rk_") { return token.count > 8 }
        if token.hasPrefix("whsec_") { return true }
        if token.contains("_secret_") { return true }
        return false
    }
}
