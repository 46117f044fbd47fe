import Core
import Testing

@Suite("HTML.escape")
struct HTMLEscapeTests {
    @Test("every markup character is escaped, also when a combining mark joins it into one Character", arguments: [
        ("\"\u{301}", "&quot;\u{301}"),
        ("'\u{308}x", "&#39;\u{308}x"),
        ("<\u{338}", "&lt;\u{338}"),
        ("a\"b<c>d&e'f", "a&quot;b&lt;c&gt;d&amp;e&#39;f"),
        ("Dragon 龙 👩🏽‍💻", "Dragon 龙 👩🏽‍💻"),
    ])
    func escapes(input: String, expected: String) {
        let escaped = HTML.escape(input)
        #expect(escaped.unicodeScalars.elementsEqual(expected.unicodeScalars))
        #expect(!escaped.unicodeScalars.contains { "\"'<>".unicodeScalars.contains($0) })
    }
}
