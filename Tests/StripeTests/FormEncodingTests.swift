import Stripe
import Testing

@Suite("Form encoding")
struct FormEncodingTests {
    @Test("nested objects, arrays of objects, arrays of arrays, in insertion order")
    func nesting() {
        var p = FormParams()
        p.set("z", "last-first")
        p.set("a", ["b": ["c": "deep"], "list": [1, 2]])
        p.set("line_items", [["price": "price_1", "quantity": 2], ["price": "price_2", "quantity": 1]])
        p.set("matrix", [[1, 2], [3]])
        #expect(p.encoded == "z=last-first&a[b][c]=deep&a[list][0]=1&a[list][1]=2"
            + "&line_items[0][price]=price_1&line_items[0][quantity]=2&line_items[1][price]=price_2&line_items[1][quantity]=1"
            + "&matrix[0][0]=1&matrix[0][1]=2&matrix[1][0]=3")
        #expect(p.pairs.first! == ("z", "last-first"))
        #expect(p.pairs.count == 11)
    }

    @Test("booleans, integers, and absent or empty values left out")
    func scalars() {
        var p = FormParams()
        p.set("yes", true)
        p.set("no", false)
        p.set("nested", ["enabled": false])
        p.set("negative", -5)
        p.set("zero", 0)
        p.set("absent", nil)
        p.set("empty_object", .object(FormParams()))
        p.set("empty_array", .array([]))
        p.set("empty_string", "")
        #expect(p.encoded == "yes=true&no=false&nested[enabled]=false&negative=-5&zero=0&empty_string=")
        #expect(FormParams().encoded == "")
        #expect(FormParams().isEmpty)
        let nilInLiteral: FormValue = ["a": "1"]
        #expect(nilInLiteral == .object(FormParams([("a", "1")])))
    }

    @Test("escaping: space as +, &, =, braces, unicode, reserved characters; brackets literal")
    func escaping() {
        func enc(_ value: String) -> String {
            var p = FormParams()
            p.set("k", .string(value))
            return String(p.encoded.dropFirst(2))
        }
        #expect(enc("a b") == "a+b")
        #expect(enc("a&b=c") == "a%26b%3Dc")
        #expect(enc("{CHECKOUT_SESSION_ID}") == "%7BCHECKOUT_SESSION_ID%7D")
        #expect(enc("caf\u{e9} \u{2713} \u{9ed1}") == "caf%C3%A9+%E2%9C%93+%E9%BB%91")
        #expect(enc("\u{1F600}") == "%F0%9F%98%80")
        #expect(enc("a+b/c?d#e%f") == "a%2Bb%2Fc%3Fd%23e%25f")
        #expect(enc("-._~") == "-._~")
        #expect(enc("*'()!$,;:@") == "%2A%27%28%29%21%24%2C%3B%3A%40")
        #expect(enc("[x]") == "[x]")
        #expect(enc("line\r\nbreak\t") == "line%0D%0Abreak%09")
        #expect(enc("nul\u{0}") == "nul%00")

        var keys = FormParams()
        keys.set("metadata", ["order id": "1", "a&b": "2", "x[y]": "3"])
        #expect(keys.encoded == "metadata[order+id]=1&metadata[a%26b]=2&metadata[x[y]]=3")
    }

    @Test("ordered metadata pairs keep their order and duplicates")
    func metadataPairs() {
        let p = FormParams([("b", "2"), ("a", "1"), ("b", "3")])
        #expect(p.encoded == "b=2&a=1&b=3")
        #expect(p == FormParams([("b", "2"), ("a", "1"), ("b", "3")]))
        #expect(p != FormParams([("a", "1"), ("b", "2"), ("b", "3")]))
    }
}

@Suite("API versions")
struct APIVersionTests {
    @Test("embedded ui_mode: embedded before 2026-03-25.dahlia, embedded_page from it")
    func uiMode() {
        #expect(StripeAPIVersion.pinned.embeddedCheckoutUIMode == "embedded")
        #expect(StripeAPIVersion("2026-02-25.clover").embeddedCheckoutUIMode == "embedded")
        #expect(StripeAPIVersion("2026-03-24.clover").embeddedCheckoutUIMode == "embedded")
        #expect(StripeAPIVersion("2026-03-25.dahlia").embeddedCheckoutUIMode == "embedded_page")
        #expect(StripeAPIVersion("2026-03-25").embeddedCheckoutUIMode == "embedded_page")
        #expect(StripeAPIVersion("2026-05-01.dahlia").embeddedCheckoutUIMode == "embedded_page")
        #expect(StripeAPIVersion("2024-06-20").embeddedCheckoutUIMode == "embedded")

        let p = StripeClient.checkoutSessionParams(version: StripeAPIVersion("2026-03-25.dahlia"), currency: "cny", lines: [],
                                                   returnURL: "r", metadata: [], paymentMethodTypes: [], customerEmail: nil, expiresAt: nil)
        #expect(p.encoded == "mode=payment&ui_mode=embedded_page&return_url=r")
    }

    @Test("invoice secret: payment_intent up to 2025-02-24.acacia, confirmation_secret from 2025-03-31.basil")
    func invoiceSecret() {
        let acacia = StripeAPIVersion("2025-02-24.acacia")
        #expect(acacia.invoiceSecret == .paymentIntent)
        #expect(acacia.invoiceSecretExpansion == "payment_intent")
        #expect(StripeAPIVersion("2025-03-30").invoiceSecret == .paymentIntent)
        let basil = StripeAPIVersion("2025-03-31.basil")
        #expect(basil.invoiceSecret == .confirmationSecret)
        #expect(basil.invoiceSecretExpansion == "confirmation_secret")
        #expect(StripeAPIVersion.pinned.invoiceSecret == .confirmationSecret)
        #expect(StripeAPIVersion("2020-08-27").invoiceSecretExpansion == "payment_intent")
    }

    @Test("the pinned version is well formed and sits between basil and dahlia")
    func pinned() {
        #expect(StripeAPIVersion.isWellFormed(StripeAPIVersion.pinned.name))
        #expect(StripeAPIVersion.pinned.date >= "2025-03-31")
        #expect(StripeAPIVersion.pinned.date < "2026-03-25")
        #expect(StripeAPIVersion.pinned.description == StripeAPIVersion.pinned.name)
        #expect(StripeAPIVersion("2025-03-31.basil").date == "2025-03-31")
    }

    @Test("well-formed and malformed version names", arguments: [
        ("2025-03-31.basil", true), ("2026-03-25.dahlia", true), ("2017-08-15", true), ("2024-09-30.acacia", true),
        ("", false), ("basil", false), ("2025-3-31.basil", false), ("25-03-31", false), ("2025-03-31-01", false),
        ("2025/03/31", false), ("2025-03-3a", false), ("\u{FF12}\u{FF10}\u{FF12}\u{FF15}-03-31", false), (" 2025-03-31", false),
        ("2025-03-31.", false), ("2025-03-31.basil pie", false), ("2025-03-31..basil", false),
    ])
    func wellFormed(_ name: String, _ ok: Bool) {
        #expect(StripeAPIVersion.isWellFormed(name) == ok, "\(name)")
    }
}
