/// Keeps secrets out of logs and error bodies.
///
/// Two layers: metadata whose key names a secret is replaced whole, and any string is scanned for the
/// shapes of Stripe secret keys (`sk_...`, `rk_...`), webhook secrets (`whsec_...`) and client secrets
/// (`pi_..._secret_...`, `seti_..._secret_...`, `cs_..._secret_...`) order tokens (`otk_...`) and console tokens (`adm_...`), which are
/// replaced by `[redacted]`, as is the user-info of any URL (`smtp://user:password@host` becomes
/// `smtp://[redacted]@host`).
public enum Redactor {
    /// Key fragments that mark a metadata value as secret.
    static let secretKeyFragments = ["secret", "password", "passwd", "api_key", "apikey", "authorization", "token", "signature"]

    /// The value to log for `key`: `[redacted]` if the key names a secret, else the scrubbed value.
    public static func value(forKey key: String, _ value: String) -> String {
        namesSecret(key) ? "[redacted]" : scrub(value)
    }

    /// Whether a metadata key contains one of ``secretKeyFragments``, ignoring ASCII case. Runs on every
    /// key of every log line, so it compares bytes rather than going through `String.contains`.
    static func namesSecret(_ key: String) -> Bool {
        let bytes = Array(key.utf8)
        for fragment in secretKeyFragments {
            let f = fragment.utf8
            guard bytes.count >= f.count else { continue }
            outer: for start in 0...(bytes.count - f.count) {
                var i = start
                for c in f {
                    var b = bytes[i]
                    if b >= UInt8(ascii: "A") && b <= UInt8(ascii: "Z") { b += 32 }
                    if b != c { continue outer }
                    i += 1
                }
                return true
            }
        }
        return false
    }

    /// Replaces every secret-shaped token in `text`. A token is a run of ASCII letters, digits and `_`.
    public static func scrub(_ text: String) -> String {
        let text = withoutUserInfo(text)
        let utf8 = text.utf8
        guard utf8.count >= 6 else { return text }
        var bytes: [UInt8] = []
        var copied = 0  // Bytes of `text` already handled in `bytes` (only once a secret was found).
        var found = false
        let all = Array(utf8)
        var i = 0
        while i < all.count {
            guard isTokenByte(all[i]) else { i += 1; continue }
            var end = i
            while end < all.count && isTokenByte(all[end]) { end += 1 }
            if isSecret(all[i..<end]) {
                if !found { bytes.reserveCapacity(all.count); found = true }
                bytes.append(contentsOf: all[copied..<i])
                bytes.append(contentsOf: "[redacted]".utf8)
                copied = end
            }
            i = end
        }
        guard found else { return text }
        bytes.append(contentsOf: all[copied...])
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Replaces the user-info of every `scheme://user[:password]@host` in `text` by `[redacted]`.
    static func withoutUserInfo(_ text: String) -> String {
        let all = Array(text.utf8)
        guard all.contains(UInt8(ascii: "@")) else { return text }
        var out: [UInt8] = []
        var copied = 0
        var i = 0
        while i + 3 <= all.count {
            guard all[i] == UInt8(ascii: ":"), all[i + 1] == UInt8(ascii: "/"), all[i + 2] == UInt8(ascii: "/") else { i += 1; continue }
            let start = i + 3
            var end = start
            var at: Int?
            // The authority ends at the path, query or fragment, or where the URL itself ends in prose.
            while end < all.count {
                let b = all[end]
                if b == UInt8(ascii: "/") || b == UInt8(ascii: "?") || b == UInt8(ascii: "#") || b <= 0x20 || b == UInt8(ascii: "\"")
                    || b == UInt8(ascii: "'") || b == UInt8(ascii: "<") || b == UInt8(ascii: ">") { break }
                if b == UInt8(ascii: "@") { at = end }
                end += 1
            }
            if let at, at > start {
                out.append(contentsOf: all[copied..<start])
                out.append(contentsOf: "[redacted]".utf8)
                copied = at
            }
            i = end
        }
        guard copied > 0 else { return text }
        out.append(contentsOf: all[copied...])
        return String(decoding: out, as: UTF8.self)
    }

    private static func isTokenByte(_ b: UInt8) -> Bool {
        (b >= UInt8(ascii: "a") && b <= UInt8(ascii: "z")) || (b >= UInt8(ascii: "A") && b <= UInt8(ascii: "Z"))
            || (b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9")) || b == UInt8(ascii: "_")
    }

    private static func isSecret(_ token: ArraySlice<UInt8>) -> Bool {
        func hasPrefix(_ p: StaticString) -> Bool {
            let n = p.utf8CodeUnitCount
            guard token.count >= n else { return false }
            return p.withUTF8Buffer { token.prefix(n).elementsEqual($0) }
        }
        if hasPrefix("sk_") || hasPrefix("rk_") { return token.count > 8 }
        if hasPrefix("whsec_") { return true }
        if hasPrefix("otk_") { return token.count > 8 }  // order tokens (Crypto.OrderToken)
        if hasPrefix("adm_") { return token.count > 8 }  // operator console tokens (gateway admin-token)
        let marker = Array("_secret_".utf8)
        guard token.count >= marker.count else { return false }
        var start = token.startIndex
        while start + marker.count <= token.endIndex {
            if token[start..<(start + marker.count)].elementsEqual(marker) { return true }
            start += 1
        }
        return false
    }
}
