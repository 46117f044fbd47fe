import HTTPServer
import Testing

@Suite("Parser: request line")
struct RequestLineTests {
    @Test("a simple GET parses into its parts")
    func simpleGet() throws {
        let request = try #require(parse("GET /v1/orders/ord_1?expand=items HTTP/1.1\r\nHost: shop.example\r\n\r\n").request)
        #expect(request.method == .get)
        #expect(request.target == "/v1/orders/ord_1?expand=items")
        #expect(request.path == "/v1/orders/ord_1")
        #expect(request.query == "expand=items")
        #expect(request.version == .http1_1)
        #expect(request.headers["host"] == "shop.example")
        #expect(request.body.isEmpty)
        #expect(request.keepAlive)
    }

    @Test("every implemented method is accepted", arguments: HTTPMethod.allCases)
    func knownMethods(method: HTTPMethod) throws {
        let target = method == .options ? "*" : "/"
        let request = try #require(parse("\(method.rawValue) \(target) HTTP/1.1\r\nHost: a\r\n\r\n").request)
        #expect(request.method == method)
    }

    @Test("unknown but well-formed methods get 501", arguments: ["BREW", "CONNECT", "TRACE", "get", "PROPFIND"])
    func unknownMethod(method: String) {
        let error = parse("\(method) / HTTP/1.1\r\nHost: a\r\n\r\n").error
        #expect(error?.status == .notImplemented)
        #expect(error?.code == .notImplemented)
    }

    @Test("a method that is not a token gets 400")
    func malformedMethod() {
        #expect(refusal("GE(T / HTTP/1.1\r\nHost: a\r\n\r\n") == 400)
        #expect(refusal("G\u{7F}T / HTTP/1.1\r\nHost: a\r\n\r\n") == 400)
    }

    @Test("versions other than 1.0 and 1.1 get 505", arguments: ["HTTP/2.0", "HTTP/0.9", "HTTP/1.2", "HTTP/3.0"])
    func unsupportedVersion(version: String) {
        let error = parse("GET / \(version)\r\nHost: a\r\n\r\n").error
        #expect(error?.status == .httpVersionNotSupported)
        #expect(error?.code == .versionNotSupported)
    }

    @Test("malformed versions get 400", arguments: ["HTTP/1", "http/1.1", "HTTP/1.1 ", "HTTP/11.1", "HTTP/a.b", "XTTP/1.1"])
    func malformedVersion(version: String) {
        #expect(refusal("GET / \(version)\r\nHost: a\r\n\r\n") == 400)
    }

    @Test("HTTP/1.0 is accepted")
    func http10() throws {
        let request = try #require(parse("GET / HTTP/1.0\r\n\r\n").request)
        #expect(request.version == .http1_0)
    }

    @Test("malformed request lines get 400", arguments: [
        "GET  / HTTP/1.1", "GET /  HTTP/1.1", "GET / HTTP/1.1 extra", "GET /", "GET", " GET / HTTP/1.1",
        "GET /a b HTTP/1.1", "GET /a#frag HTTP/1.1", "GET relative HTTP/1.1", "GET * HTTP/1.1", "GET /\u{1} HTTP/1.1",
    ])
    func malformedLine(line: String) {
        #expect(refusal("\(line)\r\nHost: a\r\n\r\n") == 400)
    }

    @Test("bare LF line endings are refused with 400")
    func bareLF() {
        #expect(refusal("GET / HTTP/1.1\nHost: a\r\n\r\n") == 400)
        #expect(refusal("GET / HTTP/1.1\r\nHost: a\n\r\n") == 400)
        #expect(refusal("GET / HTTP/1.1\r\nHost: a\r\n\n") == 400)
    }

    @Test("a stray CR inside a line is refused with 400")
    func strayCR() {
        #expect(refusal("GET /\r HTTP/1.1\r\nHost: a\r\n\r\n") == 400)
        #expect(refusal("GET / HTTP/1.1\r\nHost: a\r\r\n\r\n") == 400)
    }

    @Test("OPTIONS * and absolute-form targets are accepted")
    func otherTargetForms() throws {
        let star = try #require(parse("OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n").request)
        #expect(star.path == "*")
        let absolute = try #require(parse("GET http://shop.example/v1/x?y=1 HTTP/1.1\r\nHost: shop.example\r\n\r\n").request)
        #expect(absolute.path == "/v1/x")
        #expect(absolute.query == "y=1")
    }

    @Test("a request line over the limit gets 414, even before its end arrives")
    func longRequestLine() {
        var limits = HTTPRequestParser.Limits()
        limits.maxRequestLineBytes = 32
        let exact = "GET /" + String(repeating: "a", count: 32 - 14) + " HTTP/1.1"
        #expect(exact.utf8.count == 32)
        #expect(parse(exact + "\r\nHost: a\r\n\r\n", limits: limits).request != nil)
        #expect(refusal("GET /a" + String(repeating: "a", count: 32 - 14) + " HTTP/1.1\r\nHost: a\r\n\r\n", limits: limits) == 414)

        let defaults = parse("GET /" + String(repeating: "x", count: 9000))
        #expect(defaults.error?.status == .uriTooLong)
        #expect(defaults.error?.code == .uriTooLong)
    }

    @Test("one or two empty lines before a request are ignored; more get 400")
    func leadingEmptyLines() {
        #expect(parse("\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n").request != nil)
        #expect(parse("\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n").request != nil)
        #expect(refusal("\r\n\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n") == 400)
    }

    @Test("an incomplete request needs more bytes, and a failed parser stays failed")
    func incompleteAndSticky() {
        var parser = HTTPRequestParser()
        #expect(parser.feed(Array("GET / HTTP/1.1\r\nHost: a\r\n".utf8)).isNeedMore)
        #expect(parser.feed(Array("Bad Header: x\r\n\r\n".utf8)).error?.status == .badRequest)
        #expect(parser.feed(Array("GET / HTTP/1.1\r\nHost: a\r\n\r\n".utf8)).error?.status == .badRequest)
    }
}
