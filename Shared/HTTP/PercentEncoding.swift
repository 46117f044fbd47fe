/// Decoding of `%XX` escapes in paths and query strings.
enum PercentEncoding {
    /// Decodes `%XX` escapes (and `+` as space when `plusAsSpace`). Returns nil for a malformed escape or
    /// bytes that are not valid UTF-8.
    static func decode(_ text: Substring, plusAsSpace: Bool) -> String? {
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
                guard l != utf8.endIndex, let hi = HTTPSyntax.hexValue(utf8[h]), let lo = HTTPSyntax.hexValue(utf8[l]) else {
                    return nil
                }
                out.append(UInt8(hi << 4 | lo))
                i = utf8.index(after: l)
                continue
            }
            out.append(plusAsSpace && b == UInt8(ascii: "+") ? HTTPSyntax.sp : b)
            i = utf8.index(after: i)
        }
        return String(validating: out, as: UTF8.self)
    }
}
