/// Percent-encoding (RFC 3986 §2.1) of URL components and form bodies, the one copy every module uses:
/// the HTTP server's paths and queries, the Stripe client's form bodies, the notifier's links and the
/// stand-in's form decoder.
public enum PercentEncoding {
    /// Which bytes besides the unreserved ones (`A-Z a-z 0-9 - . _ ~`) an encoding leaves alone.
    public struct Style: Sendable, Equatable {
        /// A space becomes `+` (`application/x-www-form-urlencoded`) instead of `%20`.
        public var spaceAsPlus: Bool
        /// `[` and `]` stay literal, as Stripe's official clients send nested parameter names.
        public var literalBrackets: Bool

        public init(spaceAsPlus: Bool, literalBrackets: Bool) {
            self.spaceAsPlus = spaceAsPlus
            self.literalBrackets = literalBrackets
        }

        /// A URL component: only unreserved bytes stay, everything else is `%XX`.
        public static let component = Style(spaceAsPlus: false, literalBrackets: false)
        /// Stripe's form encoding: space as `+`, brackets literal.
        public static let stripeForm = Style(spaceAsPlus: true, literalBrackets: true)
    }

    /// Encodes `text`'s UTF-8 bytes: unreserved bytes (and what `style` keeps) as they are, the rest as
    /// `%XX` with upper-case hex digits.
    public static func encode(_ text: String, _ style: Style = .component) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count)
        for b in text.utf8 {
            switch b {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."),
                 UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.append(b)
            case UInt8(ascii: "[") where style.literalBrackets, UInt8(ascii: "]") where style.literalBrackets:
                out.append(b)
            case UInt8(ascii: " ") where style.spaceAsPlus:
                out.append(UInt8(ascii: "+"))
            default:
                out.append(UInt8(ascii: "%"))
                out.append(hexDigits[Int(b >> 4)])
                out.append(hexDigits[Int(b & 0x0F)])
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Decodes `%XX` escapes (and `+` as a space when `plusAsSpace`). Returns nil for a malformed escape
    /// (`%`, `%4`, `%zz`, `%+f`) or decoded bytes that are not valid UTF-8: a caller refuses such input
    /// rather than guess what was meant.
    public static func decode(_ text: Substring, plusAsSpace: Bool) -> String? {
        let utf8 = text.utf8
        guard utf8.contains(UInt8(ascii: "%")) || (plusAsSpace && utf8.contains(UInt8(ascii: "+"))) else {
            return String(text)
        }
        var out: [UInt8] = []
        out.reserveCapacity(utf8.count)
        var i = utf8.startIndex
        while i != utf8.endIndex {
            let b = utf8[i]
            if b == UInt8(ascii: "%") {
                let h = utf8.index(after: i)
                guard h != utf8.endIndex else { return nil }
                let l = utf8.index(after: h)
                guard l != utf8.endIndex, let hi = hexValue(utf8[h]), let lo = hexValue(utf8[l]) else { return nil }
                out.append(hi << 4 | lo)
                i = utf8.index(after: l)
                continue
            }
            out.append(plusAsSpace && b == UInt8(ascii: "+") ? UInt8(ascii: " ") : b)
            i = utf8.index(after: i)
        }
        return String(validating: out, as: UTF8.self)
    }

    private static let hexDigits: [UInt8] = Array("0123456789ABCDEF".utf8)

    @inline(__always) private static func hexValue(_ b: UInt8) -> UInt8? {
        switch b {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): b - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): b - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): b - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
