/// HTML text, for the gateway's pages and the notifier's HTML emails.
public enum HTML {
    /// Escapes text for an HTML text node or a quoted attribute value.
    ///
    /// Works per Unicode scalar, not per `Character`: a `"` followed by a combining mark is one grapheme
    /// cluster (`"\u{301}`), which a per-Character switch would not recognise as a quote, yet an HTML
    /// parser sees the quote byte and ends the attribute there.
    public static func escape(_ text: String) -> String {
        var out = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out.append(contentsOf: "&amp;".unicodeScalars)
            case "<": out.append(contentsOf: "&lt;".unicodeScalars)
            case ">": out.append(contentsOf: "&gt;".unicodeScalars)
            case "\"": out.append(contentsOf: "&quot;".unicodeScalars)
            case "'": out.append(contentsOf: "&#39;".unicodeScalars)
            default: out.append(scalar)
            }
        }
        return String(out)
    }
}
