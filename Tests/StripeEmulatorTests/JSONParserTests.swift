import Testing
@testable import stripe_emulator

/// The stand-in reads JSON with the services' reader; only its ordered output type is its own.
@Suite("JSONParser")
struct JSONParserTests {
    // The stand-in's own parser took these, which real JSON (and Stripe) refuses.
    @Test("numbers outside JSON's grammar are refused", arguments: ["01", "+1", "1.", ".5", "-", "1e", "0x10", "[01]", #"{"a":+1}"#])
    func badNumbers(_ text: String) {
        #expect(throws: JSONParser.Failure.self) { try JSONParser.parse(text) }
    }

    @Test("a key given twice is refused, never one of them picked")
    func duplicateKey() {
        #expect(throws: JSONParser.Failure.self) { try JSONParser.parse(#"{"amount":100,"amount":1}"#) }
    }

    @Test("objects keep their key order; integers stay integers, other numbers are doubles")
    func values() throws {
        let json = try JSONParser.parse(#" {"id":"pi_1","object":"payment_intent","amount":-0,"big":12345678901234567890,"f":1.5e2,"ok":true,"n":null,"a":[1,"x"]} "#)
        let o = try #require(json.object)
        #expect(o.keys == ["id", "object", "amount", "big", "f", "ok", "n", "a"])
        #expect(o["amount"] == .int(0))
        #expect(o["big"] == .double(12345678901234567890))
        #expect(o["f"] == .double(150))
        #expect(o["ok"] == .bool(true) && o["n"] == .null && o["a"] == .array([.int(1), .string("x")]))
        #expect(try JSONParser.parse(json.serialized) == json, "what the stand-in writes it reads back")
    }
}
