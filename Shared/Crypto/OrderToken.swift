/// A capability for one order: whoever holds it may fetch the order's payment again and read its
/// personal data. An order id is not enough, because ids travel in URLs, redirects, emails and proxy logs.
///
/// A token is random, shown once (to the browser that created the order, or in one customer email) and
/// never stored: fulfillment keeps only its SHA-256, so a copy of the database grants nothing.
public enum OrderToken {
    static let prefix = "otk_"

    /// A new token: `otk_` and 64 lowercase hex digits (256 bits from OpenSSL's CSPRNG).
    public static func make() -> String { prefix + Hex.encode(Digest.randomBytes(32)) }

    /// What is stored for `token`: the lowercase hex SHA-256 of its UTF-8 bytes.
    public static func hash(_ token: String) -> String { Hex.encode(Digest.sha256(Array(token.utf8))) }

    /// Whether `text` has a token's shape; anything else is refused before it is hashed or looked up.
    public static func isWellFormed(_ text: some StringProtocol) -> Bool {
        text.utf8.count == prefix.utf8.count + 64 && text.hasPrefix(prefix) && isHex(text.utf8.dropFirst(prefix.utf8.count))
    }

    /// Whether `text` has the shape of a stored hash: 64 lowercase hex digits.
    public static func isHash(_ text: some StringProtocol) -> Bool { text.utf8.count == 64 && isHex(text.utf8) }

    private static func isHex(_ bytes: some Sequence<UInt8>) -> Bool {
        bytes.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
    }
}
