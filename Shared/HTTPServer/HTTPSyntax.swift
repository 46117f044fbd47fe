/// Byte classes from RFC 9110/9112, shared by the parser, the serializer and the request-id check.
enum HTTPSyntax {
    static let cr: UInt8 = 0x0D
    static let lf: UInt8 = 0x0A
    static let sp: UInt8 = 0x20
    static let htab: UInt8 = 0x09
    static let colon = UInt8(ascii: ":")

    /// `tchar`: the characters of a token (method, header name).
    static let tchar: [Bool] = {
        var table = [Bool](repeating: false, count: 256)
        for b in UInt8(ascii: "0")...UInt8(ascii: "9") { table[Int(b)] = true }
        for b in UInt8(ascii: "a")...UInt8(ascii: "z") { table[Int(b)] = true }
        for b in UInt8(ascii: "A")...UInt8(ascii: "Z") { table[Int(b)] = true }
        for b in "!#$%&'*+-.^_`|~".utf8 { table[Int(b)] = true }
        return table
    }()

    @inline(__always) static func isTokenByte(_ b: UInt8) -> Bool { tchar[Int(b)] }

    /// Whether `bytes` is a non-empty token.
    static func isToken(_ bytes: some Collection<UInt8>) -> Bool {
        !bytes.isEmpty && bytes.allSatisfy(isTokenByte)
    }

    /// `field-vchar` plus SP and HTAB: what may appear inside a field value (obs-text included).
    @inline(__always) static func isFieldValueByte(_ b: UInt8) -> Bool {
        b == htab || b == sp || (b >= 0x21 && b != 0x7F)
    }

    /// `OWS`.
    @inline(__always) static func isWhitespace(_ b: UInt8) -> Bool { b == sp || b == htab }

    /// Visible ASCII without `#`: what a request-target may contain (fragments are never sent).
    @inline(__always) static func isTargetByte(_ b: UInt8) -> Bool {
        b >= 0x21 && b <= 0x7E && b != UInt8(ascii: "#")
    }

    /// Characters of `uri-host [ ":" port ]`: unreserved, pct-encoded, sub-delims, `:`, `[`, `]`.
    @inline(__always) static func isHostByte(_ b: UInt8) -> Bool {
        switch b {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
             UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        default:
            return "-._~%!$&'()*+,;=:[]".utf8.contains(b)
        }
    }

    /// Value of an ASCII hex digit, or nil.
    @inline(__always) static func hexValue(_ b: UInt8) -> Int? {
        switch b {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): Int(b - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): Int(b - UInt8(ascii: "a") + 10)
        case UInt8(ascii: "A")...UInt8(ascii: "F"): Int(b - UInt8(ascii: "A") + 10)
        default: nil
        }
    }

    /// ASCII lowercase of one byte.
    @inline(__always) static func lower(_ b: UInt8) -> UInt8 {
        b >= UInt8(ascii: "A") && b <= UInt8(ascii: "Z") ? b | 0x20 : b
    }

    /// Case-insensitive ASCII comparison, without allocating.
    static func equalsIgnoringCase(_ a: String, _ b: String) -> Bool {
        var x = a.utf8.makeIterator(), y = b.utf8.makeIterator()
        while true {
            switch (x.next(), y.next()) {
            case (nil, nil): return true
            case let (p?, q?) where lower(p) == lower(q): continue
            default: return false
            }
        }
    }

    /// The comma-separated elements of a list-valued field (`Connection`, `Transfer-Encoding`),
    /// trimmed, lowercased, empty elements dropped.
    static func listElements(_ value: String) -> [String] {
        value.split(separator: ",").compactMap { element in
            let trimmed = element.utf8.drop(while: isWhitespace).reversed().drop(while: isWhitespace).reversed()
            return trimmed.isEmpty ? nil : String(decoding: trimmed.map(lower), as: UTF8.self)
        }
    }
}
