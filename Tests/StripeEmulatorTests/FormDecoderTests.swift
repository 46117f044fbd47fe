import Testing
@testable import stripe_emulator

/// The stand-in's form decoder: every body decodes to one tree or is refused with a 400 naming the
/// parameter. The refusals below were found by the `form` fuzz target (Fuzz/form).
@Suite("FormDecoder")
struct FormDecoderTests {
    func decode(_ body: String) throws(FormDecoder.Failure) -> JSONObject {
        try FormDecoder.decode(FormDecoder.pairs(body))
    }

    func refusal(_ body: String) -> FormDecoder.Failure? {
        do {
            _ = try decode(body)
            return nil
        } catch {
            return error
        }
    }

    // The stand-in's own percent-decoder kept a malformed escape literally and read `%+f` as 0x0F; it
    // now uses the shared one, which refuses both.
    @Test("a malformed percent-escape is refused naming the parameter", arguments: ["a=%zz", "a=%4", "a=%+f", "a%=1", "a=%FF", "a=1&b[%]=2"])
    func malformedEscape(_ body: String) {
        let failure = refusal(body)
        #expect(failure?.message.contains("percent-encoding") == true, "\(body) -> \(String(describing: failure))")
    }

    @Test("Stripe's shapes decode: nested objects, arrays by index or by [], empty values")
    func shapes() throws {
        let o = try decode("amount=2000&metadata[order_id]=o1&expand[]=a&expand[]=b&items[1][q]=2&items[0][q]=1&description=")
        #expect(o["amount"] == .string("2000"))
        #expect(o["metadata"] == .object(["order_id": .string("o1")]))
        #expect(o["expand"] == .array([.string("a"), .string("b")]))
        #expect(o["items"] == .array([.object(["q": .string("1")]), .object(["q": .string("2")])]))
        #expect(o["description"] == .string(""))
        #expect(try decode("x[][a]=1&x[][a]=2")["x"] == .array([.object(["a": .string("1")]), .object(["a": .string("2")])]))
    }

    @Test("deep brackets are refused, not recursed into until the stack overflows")
    func depth() throws {
        // The reproducer of the crash: a name nested 100 000 levels deep killed the stand-in.
        let deep = "a" + String(repeating: "[a]", count: 100_000) + "=1"
        let failure = try #require(refusal(deep))
        #expect(failure.message.contains("nested more than \(FormDecoder.maxDepth) levels deep"))
        let limit = "a" + String(repeating: "[a]", count: FormDecoder.maxDepth) + "=1"
        #expect(refusal(limit) == nil)
        #expect(refusal("a" + String(repeating: "[a]", count: FormDecoder.maxDepth + 1) + "=1") != nil)
        #expect(refusal(String(repeating: "%5B", count: 50_000)) != nil)
    }

    @Test("ambiguous bodies are refused with a message naming the parameter", arguments: [
        ("a=1&a=2", "a is given more than once"),
        ("x[0]=a&x[0]=b", "x[0] is given more than once"),
        ("a=1&a[b]=2", "a[b] is both a value and an object or array"),
        ("a[b]=2&a=1", "a is both a value and an object or array"),
        ("x[0]=a&x[]=b", "x[] mixes [<index>] with []"),
        ("x[1]=a&x[]=b", "x[] mixes [<index>] with []"),
        ("x[]=a&x[k]=b", "x[k] mixes [] with [<name>]"),
        ("x[0]=a&x[k]=b", "x[k] mixes [<index>] with [<name>]"),
        ("x[k]=a&x[01]=b&x[1]=c", "x[1] mixes [<name>] with [<index>]"),
        ("=1", "empty name"),
        ("a=1&=2", "empty name"),
    ])
    func ambiguous(body: String, message: String) throws {
        let failure = try #require(refusal(body))
        #expect(failure.message.contains(message), "\(failure.message)")
        #expect(!failure.message.isEmpty)
    }

    @Test("indexes are canonical decimals; other keys name object members")
    func indexes() throws {
        #expect(FormDecoder.isIndex("0") && FormDecoder.isIndex("12") && FormDecoder.isIndex("999999999"))
        #expect(!FormDecoder.isIndex("01") && !FormDecoder.isIndex("+1") && !FormDecoder.isIndex("-1")
                && !FormDecoder.isIndex("1000000000") && !FormDecoder.isIndex(""))
        #expect(try decode("x[01]=a&x[%2B1]=b")["x"] == .object(["01": .string("a"), "+1": .string("b")]))
    }
}
