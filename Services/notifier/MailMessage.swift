import FoundationEssentials

/// An email address with an optional display name (`Shop <shop@example.com>`).
struct MailAddress: Sendable, Equatable {
    var name: String?
    var address: String

    /// Parses `Name <addr>` or a bare `addr`; nil if the address is implausible or contains CR/LF.
    static func parse(_ text: String) -> MailAddress? {
        let t = text.trimmingCharacters(in: .whitespaces)
        // Scalars, not Characters: "\r\n" is one Character, so `t.contains("\r")` is false for "a\r\nb".
        guard !t.unicodeScalars.contains(where: { $0 == "\r" || $0 == "\n" }) else { return nil }
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
        // Split the bytes, not Characters: "@" followed by a combining mark is one Character that is not
        // "@", so a Character split let "a@\u{5AC}b@example.com" through as one local part and a domain.
        let parts = s.utf8.split(separator: UInt8(ascii: "@"), omittingEmptySubsequences: false)
        return parts.count == 2 && !parts[0].isEmpty && !parts[1].isEmpty
            && !s.unicodeScalars.contains { $0.value <= 0x20 || $0.value == 0x7F || "<>()[],;:\"\\".unicodeScalars.contains($0) }
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
    var domain: String { address.utf8.split(separator: UInt8(ascii: "@")).last.map { String(decoding: $0, as: UTF8.self) } ?? "localhost" }
}

/// A multipart/alternative email (plain text + HTML), UTF-8, ready for SMTP (CRLF line endings).
struct MailMessage: Sendable {
    var from: MailAddress
    var to: MailAddress
    var subject: String
    /// The plain-text body, lines ending in LF (sent as CRLF).
    var text: String
    /// The HTML body, lines ending in LF (sent as CRLF).
    var html: String
    /// Without angle brackets.
    var messageID: String
    /// Unix milliseconds.
    var date: Int64

    /// The message bytes. Deterministic: the same inputs give the same bytes, so a resend is identical.
    /// Built as bytes in one buffer: every line ends in CRLF, every LF of the bodies becomes CRLF before
    /// base64 (no string replacing, which on Linux goes through NSString and was a tenth of the notifier's time).
    func render() -> [UInt8] {
        let boundary = "=_shop_" + String(UInt64(truncatingIfNeeded: MIME.fnv1a(messageID)), radix: 16)
        let textBytes = MIME.crlf(text), htmlBytes = MIME.crlf(html)
        var out: [UInt8] = []
        out.reserveCapacity(1024 + (textBytes.count + htmlBytes.count) * 140 / 100)
        func line(_ s: String) {
            out.append(contentsOf: s.utf8)
            out.append(13)
            out.append(10)
        }
        // Every header value passes through `MIME.field`, whatever built it: a CR or LF from an event id,
        // an address made without `parse`, or a display name must never start a header of its own.
        line("Date: " + MIME.rfc5322Date(milliseconds: date))
        line("From: " + MIME.field(from.header))
        line("To: " + MIME.field(to.header))
        line("Subject: " + MIME.field(MIME.headerText(subject)))
        line("Message-ID: <" + MIME.messageID(messageID) + ">")
        line("MIME-Version: 1.0")
        line("Content-Type: multipart/alternative; boundary=\"\(boundary)\"")
        line("")
        line("This is a multi-part message in MIME format.")
        line("--" + boundary)
        line("Content-Type: text/plain; charset=utf-8")
        line("Content-Transfer-Encoding: base64")
        line("")
        MIME.appendBase64Lines(textBytes, to: &out)
        line("--" + boundary)
        line("Content-Type: text/html; charset=utf-8")
        line("Content-Transfer-Encoding: base64")
        line("")
        MIME.appendBase64Lines(htmlBytes, to: &out)
        line("--" + boundary + "--")
        return out
    }
}

/// MIME helpers: RFC 2047 encoded words, base64 bodies, RFC 5322 dates.
enum MIME {
    /// A header value as is when printable ASCII, else as RFC 2047 `=?UTF-8?B?...?=` words (each at most
    /// 75 characters, split on character boundaries), folded onto continuation lines.
    static func headerText(_ s: String) -> String {
        var scalars = String.UnicodeScalarView()
        for u in s.unicodeScalars { scalars.append(u == "\r" || u == "\n" ? " " : u) }
        let clean = String(scalars)
        if clean.unicodeScalars.allSatisfy({ $0.isASCII && $0.value >= 0x20 && $0.value != 0x7F }), !clean.contains("=?") {
            return clean
        }
        return encodedWord(clean)
    }

    /// A header value that cannot break out of its header: the folds `encodedWord` writes (CRLF SP) are
    /// kept, and every other CR, LF or NUL becomes a space.
    static func field(_ value: String) -> String {
        let scalars = Array(value.unicodeScalars)
        var out = String.UnicodeScalarView()
        var i = 0
        while i < scalars.count {
            let u = scalars[i]
            if u == "\r", i + 2 < scalars.count, scalars[i + 1] == "\n", scalars[i + 2] == " " {
                out.append(contentsOf: ["\r", "\n", " "])
                i += 3
                continue
            }
            out.append(u == "\r" || u == "\n" || u == "\0" ? " " : u)
            i += 1
        }
        return String(out)
    }

    /// A Message-ID without its brackets: no whitespace, controls or brackets at all (a msg-id is one
    /// token; a fold there would be a line of its own once its space is dropped).
    static func messageID(_ id: String) -> String {
        var out = String.UnicodeScalarView()
        for u in id.unicodeScalars where u.value > 0x20 && u.value != 0x7F && u != "<" && u != ">" { out.append(u) }
        return String(out)
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

    /// The UTF-8 bytes of `s` with every LF sent as CRLF (an existing CR before it is kept as is).
    static func crlf(_ s: String) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(s.utf8.count + s.utf8.count / 16)
        for b in s.utf8 {
            if b == 10 { out.append(13) }
            out.append(b)
        }
        return out
    }

    private static let base64Alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    /// Appends `bytes` as base64 in lines of 76 characters, each ending in CRLF (RFC 2045).
    static func appendBase64Lines(_ bytes: [UInt8], to out: inout [UInt8]) {
        let table = base64Alphabet
        var column = 0
        var i = 0
        func emit(_ c: UInt8) {
            out.append(c)
            column += 1
            if column == 76 {
                out.append(13)
                out.append(10)
                column = 0
            }
        }
        while i + 3 <= bytes.count {
            let n = UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2])
            emit(table[Int(n >> 18 & 63)]); emit(table[Int(n >> 12 & 63)]); emit(table[Int(n >> 6 & 63)]); emit(table[Int(n & 63)])
            i += 3
        }
        let rest = bytes.count - i
        if rest > 0 {
            let n = UInt32(bytes[i]) << 16 | (rest == 2 ? UInt32(bytes[i + 1]) << 8 : 0)
            emit(table[Int(n >> 18 & 63)]); emit(table[Int(n >> 12 & 63)])
            emit(rest == 2 ? table[Int(n >> 6 & 63)] : UInt8(ascii: "=")); emit(UInt8(ascii: "="))
        }
        if column > 0 {
            out.append(13)
            out.append(10)
        }
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
