import HTTPServer
import Testing

@Suite("Parser: headers")
struct HeaderTests {
    @Test("headers keep their order, lose surrounding whitespace and are found in any case")
    func lookup() throws {
        let request = try #require(parse(
            "GET / HTTP/1.1\r\nHost: a\r\nX-One:  first \t\r\nx-two:second\r\nX-ONE: again\r\nEmpty:\r\n\r\n").request)
        #expect(request.headers.fields.map(\.name) == ["Host", "X-One", "x-two", "X-ONE", "Empty"])
        #expect(request.headers["x-one"] == "first")
        #expect(request.headers["X-TWO"] == "second")
        #expect(request.headers.values("X-One") == ["first", "again"])
        #expect(request.headers["empty"] == "")
        #expect(request.headers["missing"] == nil)
    }

    @Test("obsolete line folding is refused with 400")
    func obsFold() {
        #expect(refusal("GET / HTTP/1.1\r\nHost: a\r\nX-Long: one\r\n two\r\n\r\n") == 400)
        #expect(refusal("GET / HTTP/1.1\r\nHost: a\r\nX-Long: one\r\n\ttwo\r\n\r\n") == 400)
        #expect(refusal("GET / HTTP/1.1\r\n Host: a\r\n\r\n") == 400)
    }

    @Test("whitespace before the colon is refused with 400")
    func whitespaceBeforeColon() {
        #expect(refusal("GET / HTTP/1.1\r\nHost : a\r\n\r\n") == 400)
        #expect(refusal("GET / HTTP/1.1\r\nHost: a\r\nContent-Length\t: 0\r\n\r\n") == 400)
    }

    @Test("malformed header lines are refused with 400", arguments: [
        "Bad[Name]: x", ": no name", "NoColon", "X-Nul: a\u{0}b", "X-Del: a\u{7F}b", "X-Ctl: a\u{1}b", "Na me: x",
    ])
    func malformedField(line: String) {
        #expect(refusal("GET / HTTP/1.1\r\nHost: a\r\n\(line)\r\n\r\n") == 400)
    }

    @Test("non-ASCII bytes in a value are kept (obs-text)")
    func obsText() throws {
        let request = try #require(parse("GET / HTTP/1.1\r\nHost: a\r\nX-Name: Zo\u{EB}\r\n\r\n").request)
        #expect(request.headers["x-name"] == "Zo\u{EB}")
    }

    @Test("a header section over the limit gets 431, even before it ends")
    func headerSectionTooLarge() {
        let big = "GET / HTTP/1.1\r\nHost: a\r\nX-Big: " + String(repeating: "b", count: 17 * 1024) + "\r\n\r\n"
        let error = parse(big).error
        #expect(error?.status == .headerFieldsTooLarge)
        #expect(error?.code == .headersTooLarge)
        #expect(refusal("GET / HTTP/1.1\r\nHost: a\r\nX-Big: " + String(repeating: "b", count: 17 * 1024)) == 431)

        var limits = HTTPRequestParser.Limits()
        limits.maxHeaderBytes = 64
        let manySmall = "GET / HTTP/1.1\r\n" + (0..<10).map { "X-\($0): v\r\n" }.joined() + "Host: a\r\n\r\n"
        #expect(refusal(manySmall, limits: limits) == 431)
        // 9 + 8 + 2 bytes: exactly at the limit of 19 is fine.
        limits.maxHeaderBytes = 19
        #expect(parse("GET / HTTP/1.1\r\nHost: a\r\nX-1: v\r\n\r\n", limits: limits).request != nil)
        limits.maxHeaderBytes = 18
        #expect(refusal("GET / HTTP/1.1\r\nHost: a\r\nX-1: v\r\n\r\n", limits: limits) == 431)
    }

    @Test("more than the maximum number of headers gets 431")
    func tooManyHeaders() {
        let hundred = (1..<100).map { "X-\($0): v\r\n" }.joined()
        #expect(parse("GET / HTTP/1.1\r\nHost: a\r\n\(hundred)\r\n").request?.headers.count == 100)
        let error = parse("GET / HTTP/1.1\r\nHost: a\r\n\(hundred)X-Extra: v\r\n\r\n").error
        #expect(error?.status == .headerFieldsTooLarge)
    }

    @Test("HTTP/1.1 needs exactly one Host header")
    func hostRules() {
        #expect(refusal("GET / HTTP/1.1\r\n\r\n") == 400)
        #expect(refusal("GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n") == 400)
        #expect(refusal("GET / HTTP/1.1\r\nHost: a\r\nhost: b\r\n\r\n") == 400)
        #expect(refusal("GET / HTTP/1.0\r\nHost: a\r\nHost: b\r\n\r\n") == 400)
        #expect(refusal("GET / HTTP/1.1\r\nHost: a b\r\n\r\n") == 400)
        #expect(refusal("GET / HTTP/1.1\r\nHost: a/b\r\n\r\n") == 400)
        #expect(parse("GET / HTTP/1.0\r\n\r\n").request != nil)
        #expect(parse("GET / HTTP/1.1\r\nHost: shop.example:8443\r\n\r\n").request != nil)
        #expect(parse("GET / HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n").request != nil)
        #expect(parse("GET / HTTP/1.1\r\nHost:\r\n\r\n").request != nil)
    }
}
