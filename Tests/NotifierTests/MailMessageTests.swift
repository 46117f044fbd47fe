import Testing
@testable import notifier

/// The notifier's address parser and header writers never let a CR or LF start a header of its own.
/// The cases below were found by the `mail` fuzz target (Fuzz/mail).
@Suite("MailMessage headers")
struct MailMessageTests {
    func head(_ message: MailMessage) -> [String] {
        let text = String(decoding: message.render(), as: UTF8.self)
        let head = text.components(separatedBy: "\r\n\r\n")[0]
        return head.components(separatedBy: "\r\n")
    }

    func names(_ lines: [String]) -> [String] {
        lines.filter { !$0.hasPrefix(" ") }.map { String($0.prefix { $0 != ":" }) }
    }

    let expected = ["Date", "From", "To", "Subject", "Message-ID", "MIME-Version", "Content-Type"]

    @Test("an address with CRLF is refused: \"\\r\\n\" is one Character, so the old contains(\"\\r\") missed it", arguments: [
        "Evil\r\nBcc: victim@example.com <a@example.com>",
        "a@example.com\r\nBcc: victim@example.com",
        "a@example.com\n", "a@example.com\r", "Name\r <a@example.com>",
    ])
    func crlfAddress(text: String) {
        #expect(MailAddress.parse(text) == nil)
    }

    @Test("DEL is not plausible in an address, as fulfillment's and the gateway's checks already said")
    func delete() {
        #expect(MailAddress.parse("s@x.i\u{7F}") == nil)
        #expect(MailAddress.isPlausible("s@x.io"))
    }

    @Test("an @ followed by a combining mark is still an @: two of them are refused (found by the long mail run)")
    func combinedAt() {
        // The reproducer's From chunk, as the harness decodes it: U+FFFD @ U+05AC U+FFFD @ U+024D U+0245.
        let reproducer = String(decoding: [0x40, 0xd6, 0xac, 0xd1, 0x40, 0xc9, 0x8d, 0xc9, 0x85] as [UInt8], as: UTF8.self)
        #expect(MailAddress.parse(reproducer) == nil)
        #expect(MailAddress.parse("a@\u{5AC}b@example.com") == nil)
        #expect(MailAddress.parse("Name <a@\u{301}b@example.com>") == nil)
        #expect(MailAddress(name: nil, address: "a@\u{301}x.example").domain == "\u{301}x.example")
        #expect(MailAddress.parse("a@example.com")?.address == "a@example.com")
    }

    @Test("CR or LF in a message id, subject or an address built without parse never adds a header")
    func injection() {
        let from = MailAddress(name: "Shop", address: "shop@example.com")
        let message = MailMessage(
            from: from, to: MailAddress(name: "N\r\nBcc: x@y.z", address: "a@b.c\r\nBcc: d@e.f"),
            subject: "Hi\r\nBcc: x@y.z", text: "t", html: "h", messageID: "evt_1\r\nBcc: a@b.c.email@example.com", date: 0)
        let lines = head(message)
        #expect(names(lines) == expected, "\(lines)")
        #expect(!lines.contains { $0.contains("\r") || $0.contains("\n") })
        #expect(lines.contains("Message-ID: <evt_1Bcc:a@b.c.email@example.com>"))
    }

    // Found by the mail fuzz target in the first version of the fix: a message id holding CR LF SP kept
    // it as a fold, then lost the space to the msg-id filter, leaving a line ">" of its own.
    @Test("a message id with CR LF SP (a fold) cannot split the Message-ID header")
    func messageIDFold() {
        let message = MailMessage(from: MailAddress(name: nil, address: "shop@localhost"), to: MailAddress(name: nil, address: "a@b.c"),
                                  subject: "s", text: "", html: "", messageID: "Evil\r\nBcc: victim@x.y.c\u{7}N\r\n <", date: 0)
        let lines = head(message)
        #expect(names(lines) == expected, "\(lines)")
        #expect(lines.contains("Message-ID: <EvilBcc:victim@x.y.cN>"))
    }

    @Test("MIME.field keeps encoded-word folds and blanks every other CR, LF and NUL")
    func field() {
        #expect(MIME.field("a\r\n b") == "a\r\n b")
        #expect(MIME.field("a\r\nBcc: x") == "a  Bcc: x")
        #expect(MIME.field("a\rb\nc\u{0}d") == "a b c d")
        let long = MIME.headerText(String(repeating: "é", count: 40))
        #expect(MIME.field(long) == long)
    }
}
