import Core
import Testing

@Suite("Email address")
struct EmailAddressTests {
    @Test("plausible addresses pass", arguments: ["a@b.co", "li.wei+shop@example.cn", "o'neil@mail.example.com", "x@xn--bcher-kva.de"])
    func plausible(_ address: String) {
        #expect(EmailAddress.isPlausible(address))
    }

    // The three copies disagreed: the gateway let `( ) [ ] : \` through, the notifier had no length or
    // domain-label rule. The stricter rule is the one; these are the edges where they differed.
    @Test("specials, overlong parts and bad domain labels are refused", arguments: [
        "a(b)@example.com", "a[1]@example.com", "a:b@example.com", #"a\b@example.com"#,
        "a@-example.com", "a@example-.com", "a@example..com", "a@example.com.",
        String(repeating: "l", count: 65) + "@example.com",
        "a@" + String(repeating: "d", count: 250) + ".com",
    ])
    func stricter(_ address: String) {
        #expect(!EmailAddress.isPlausible(address))
        #expect(!EmailAddress.isPlausible(address, allowingSingleLabelDomain: true))
    }

    @Test("junk is refused", arguments: ["", "@", "a@", "@b.co", "a@@b.co", "a@b@c.co", "a@\u{5AC}b@c.co", "a@\u{301}b@example.com", "a b@c.co", "a@b.co\r\nBcc: x@y.z", "a<b@c.co", "a,b@c.co", "a;b@c.co", "\"a\"@c.co", "a@b.c\u{7F}"])
    func junk(_ address: String) {
        #expect(!EmailAddress.isPlausible(address, allowingSingleLabelDomain: true))
    }

    @Test("a customer's address needs a dotted domain; a configured sender may be local")
    func singleLabel() {
        #expect(!EmailAddress.isPlausible("shop@localhost"))
        #expect(EmailAddress.isPlausible("shop@localhost", allowingSingleLabelDomain: true))
    }
}
