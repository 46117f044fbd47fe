import FoundationEssentials

/// An email address with an optional display name (`Shop <shop@example.com>`).
struct MailAddress: Sendable, Equatable {
    var name: String?
    var address: String

    /// Parses `Name <addr>` or a bare `addr`; nil if the address is implausible or contains CR/LF.
    static func parse(_ text: String) -> MailAddress? {
        let t = text.trimmingCharacters(in: .whitespaces)
        guard !t.contains("\r"), !t.contains("\n") else { return nil }
        if let open = t.lastIndex(of: "<"), t.hasSuffix(">") {
            let addr = String(t[t.index(after: open)..<t.index(before: t.endIndex)])
            var name = t[..<open].trimmingCharacters(in: .whitespaces)
            if name.hasPrefix("\""), name.hasSuffix("\""), name.count >= 2 { name = String(name.dropFirst().dropLast()) }
            guard isPlausible(addr) else { return nil }
            return MailAddress(name: name.isEmpty ? nil : name, address: addr)
        }
        return isPlausible(t) ? MailAddress(name: nil, address: t) : nil
    }

    static func isPlausible(_ s: String) -> Bool {
        let parts = s.split(separator: "@", omittingEmptySubsequences: false)
        return parts.count == 2 && !parts[0].isEmpty && !parts[1].isEmpty
            && !s.unicodeScalars.contains { $0.value <= 0x20 || "<>()[],;:\"\\".unicodeScalars.contains($0) }
    }

    /// The header form: the display name quoted (ASCII) or RFC 2047-encoded (non-ASCII).
    var header: String {
        guard let name else { return address }
        if name.unicodeScalars.allSatisfy({ $0.isASCII && $0.value >= 0x20 }) {
            let quoted = name.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            return "\"\(quoted)\" <\(address)>"
        }
        return MIME.encodedWord(name) + " <\(address)>"
    }

    /// The domain part, for Message-IDs.
    var domain: String { String(address.split(separator: "@").last ?? "localhost") }
}

/// A multipart/alternative email (plain text + HTML), UTF-8, ready for SMTP (CRLF line endings).
struct MailMessage: Sendable {
    var from: MailAddress
    var to: MailAddress
    var subject: String
    var text: String
    var html: String
    /// Without angle brackets.
    var messageID: String
    /// Unix milliseconds.
    var date: Int64

    /// The message bytes. Deterministic: the same inputs give the same bytes, so a resend is identical.
    func render() -> [UInt8] {
        let boundary = "=_shop_" + String(UInt64(truncatingIfNeeded: MIME.fnv1a(messageID)), radix: 16)
        var lines = [
            "Date: " + MIME.rfc5322Date(milliseconds: date),
            "From: " + from.header,
            "To: " + to.header,
            "Subject: " + MIME.headerText(subject),
            "Message-ID: <\(messageID)>",
            "MIME-Version: 1.0",
            "Content-Type: multipart/alternative; boundary=\"\(boundary)\"",
            "",
            "This is a multi-part message in MIME format.",
            "--" + boundary,
            "Content-Type: text/plain; charset=utf-8",
            "Content-Transfer-Encoding: base64",
            "",
        ]
        lines += MIME.base64Lines(Array(text.utf8))
        lines += ["--" + boundary, "Content-Type: text/html; charset=utf-8", "Content-Transfer-Encoding: base64", ""]
        lines += MIME.base64Lines(Array(html.utf8))
        lines += ["--" + boundary + "--", ""]
        return Array(lines.joined(separator: "\r\n").utf8)
    }
}

/// MIME helpers: RFC 2047 encoded words, base64 bodies, RFC 5322 dates.
enum MIME {
    /// A header value as is when printable ASCII, else as RFC 2047 `=?UTF-8?B?...?=` words (each at most
    /// 75 characters, split on character boundaries), folded onto continuation lines.
    static func headerText(_ s: String) -> String {
        let clean = s.replacingOccurrences(of: "\r", with: " ").replacingOccurrences(of: "\n", with: " ")
        if clean.unicodeScalars.allSatisfy({ $0.isASCII && $0.value >= 0x20 && $0.value != 0x7F }), !clean.contains("=?") {
            return clean
        }
        return encodedWord(clean)
    }

    /// One or more encoded words separated by CRLF SP (folding); decoders join adjacent words.
    static func encodedWord(_ s: String) -> String {
        // 75 - len("=?UTF-8?B?") - len("?=") = 63 base64 chars -> at most 45 bytes of UTF-8 per word.
        var words: [String] = []
        var chunk: [UInt8] = []
        for ch in s {
            let bytes = Array(String(ch).utf8)
            if chunk.count + bytes.count > 45 {
                words.append("=?UTF-8?B?" + Data(chunk).base64EncodedString() + "?=")
                chunk = []
            }
            chunk += bytes
        }
        if !chunk.isEmpty || words.isEmpty { words.append("=?UTF-8?B?" + Data(chunk).base64EncodedString() + "?=") }
        return words.joined(separator: "\r\n ")
    }

    /// Base64 in lines of 76 characters.
    static func base64Lines(_ bytes: [UInt8]) -> [String] {
        let all = Data(bytes).base64EncodedString()
        var out: [String] = []
        var i = all.startIndex
        while i < all.endIndex {
            let j = all.index(i, offsetBy: 76, limitedBy: all.endIndex) ?? all.endIndex
            out.append(String(all[i..<j]))
            i = j
        }
        return out
    }

    /// `Tue, 19 Nov 2026 14:03:05 +0000` (always UTC).
    static func rfc5322Date(milliseconds: Int64) -> String {
        let seconds = milliseconds / 1000
        let days = Int(seconds / 86_400), rem = Int(seconds % 86_400)
        // Civil-from-days (Howard Hinnant's algorithm).
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        let year = yoe + era * 400 + (month <= 2 ? 1 : 0)
        let weekday = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"][((days % 7) + 7) % 7]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        func two(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }
        return "\(weekday), \(day) \(months[month - 1]) \(year) \(two(rem / 3600)):\(two(rem / 60 % 60)):\(two(rem % 60)) +0000"
    }

    /// FNV-1a, for a boundary that is stable per message and cannot occur in base64 text.
    static func fnv1a(_ s: String) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in s.utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        return h
    }
}
