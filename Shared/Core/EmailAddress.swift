/// The one plausibility check for an email address, used by the gateway and fulfillment on an order's
/// address and by the notifier on every address it sends from or to.
public enum EmailAddress {
    /// The longest address SMTP carries (RFC 5321 §4.5.3.1.3, a path of 256 octets less the brackets).
    public static let maxLength = 254
    /// The longest local part (RFC 5321 §4.5.3.1.1).
    public static let maxLocalPartLength = 64

    /// One `@`, a non-empty local part of at most 64 bytes, at most 254 bytes in all, no spaces, control
    /// characters or the specials `<>()[],;:"\`, and a domain of non-empty labels that neither start nor
    /// end with `-`. A customer's address must have a dotted domain; `allowingSingleLabelDomain` lets a
    /// configured sender such as `shop@localhost` pass. Deliverability is the mail server's business: this
    /// catches typos, junk and header injection.
    public static func isPlausible(_ address: String, allowingSingleLabelDomain: Bool = false) -> Bool {
        let utf8 = address.utf8
        guard (3...maxLength).contains(utf8.count),
              !utf8.contains(where: { $0 <= 0x20 || $0 == 0x7F || specials.contains($0) }) else { return false }
        // Bytes, not Characters: "@" (or ".") followed by a combining mark is one Character that is not
        // "@", so a Character split let "a@\u{5AC}b@example.com" pass with two @ (found by the mail fuzz target).
        let parts = utf8.split(separator: UInt8(ascii: "@"), omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, parts[0].count <= maxLocalPartLength else { return false }
        let labels = parts[1].split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        return labels.count >= (allowingSingleLabelDomain ? 1 : 2)
            && labels.allSatisfy { !$0.isEmpty && $0.first != UInt8(ascii: "-") && $0.last != UInt8(ascii: "-") }
    }

    private static let specials: Set<UInt8> = Set("<>()[],;:\"\\".utf8)
}
