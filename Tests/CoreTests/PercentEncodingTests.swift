import Core
import Testing

@Suite("Percent-encoding")
struct PercentEncodingTests {
    @Test("a component keeps only unreserved bytes; Stripe's form style keeps brackets and sends space as +")
    func encode() {
        #expect(PercentEncoding.encode("a-Z_0.~") == "a-Z_0.~")
        #expect(PercentEncoding.encode("ord 1/é[0]") == "ord%201%2F%C3%A9%5B0%5D")
        #expect(PercentEncoding.encode("ord 1/é[0]", .stripeForm) == "ord+1%2F%C3%A9[0]")
        #expect(PercentEncoding.encode("a+b&c=d#e") == "a%2Bb%26c%3Dd%23e")
    }

    @Test("decode inverts encode, in both styles")
    func roundTrip() {
        for text in ["", "plain", "a b+c", "metadata[order_id]", "é€😀", "%41", "x=1&y=2"] {
            #expect(PercentEncoding.decode(Substring(PercentEncoding.encode(text)), plusAsSpace: false) == text)
            #expect(PercentEncoding.decode(Substring(PercentEncoding.encode(text, .stripeForm)), plusAsSpace: true) == text)
        }
    }

    @Test("+ is a space only in forms")
    func plus() {
        #expect(PercentEncoding.decode("a+b%20c", plusAsSpace: true) == "a b c")
        #expect(PercentEncoding.decode("a+b%20c", plusAsSpace: false) == "a+b c")
    }

    // The stand-in's copy kept a malformed escape literally and read `%+f` and `%-0` as bytes (through
    // `UInt8(_:radix:)`, which takes a sign); the server's refused them. The stricter rule is the one.
    @Test("a malformed escape or invalid UTF-8 is refused, never guessed", arguments: ["%", "%4", "a%zz", "%+f", "%-0", "%%41", "%C3", "%FF"])
    func malformed(_ text: String) {
        #expect(PercentEncoding.decode(Substring(text), plusAsSpace: true) == nil)
        #expect(PercentEncoding.decode(Substring(text), plusAsSpace: false) == nil)
    }
}
