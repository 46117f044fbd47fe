import HTTPServer
import Testing

@Suite("Parser: keep-alive, pipelining and queries")
struct ConnectionSemanticsTests {
    @Test("keep-alive follows the version and the Connection header", arguments: [
        ("HTTP/1.1", nil, true),
        ("HTTP/1.1", "close", false),
        ("HTTP/1.1", "Keep-Alive, CLOSE", false),
        ("HTTP/1.1", "keep-alive", true),
        ("HTTP/1.1", "upgrade", true),
        ("HTTP/1.0", nil, false),
        ("HTTP/1.0", "keep-alive", true),
        ("HTTP/1.0", "Keep-Alive", true),
        ("HTTP/1.0", "close", false),
    ] as [(String, String?, Bool)])
    func keepAlive(version: String, connection: String?, expected: Bool) throws {
        let header = connection.map { "Connection: \($0)\r\n" } ?? ""
        let request = try #require(parse("GET / \(version)\r\nHost: a\r\n\(header)\r\n").request)
        #expect(request.keepAlive == expected)
    }

    @Test("pipelined requests in one buffer come out one at a time")
    func pipelining() throws {
        var parser = HTTPRequestParser()
        parser.append(Array(("GET /one HTTP/1.1\r\nHost: a\r\n\r\n"
            + "POST /two HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc"
            + "POST /three HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n"
            + "GET /four HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"
            + "GET /fi").utf8))
        let one = try #require(parser.next().request)
        #expect(one.path == "/one")
        #expect(parser.phase == .head)
        let two = try #require(parser.next().request)
        #expect(two.path == "/two" && two.body == Array("abc".utf8))
        let three = try #require(parser.next().request)
        #expect(three.path == "/three" && three.body == Array("hi".utf8))
        let four = try #require(parser.next().request)
        #expect(four.path == "/four" && !four.keepAlive)
        #expect(parser.next().isNeedMore)
        #expect(parser.bufferedByteCount == 7)
        let five = try #require(parser.feed(Array("ve HTTP/1.1\r\nHost: a\r\n\r\n".utf8)).request)
        #expect(five.path == "/five")
        #expect(parser.phase == .idle)
        #expect(parser.bufferedByteCount == 0)
    }

    @Test("the phase tracks where the parser is")
    func phases() {
        var parser = HTTPRequestParser()
        #expect(parser.phase == .idle)
        _ = parser.feed(Array("P".utf8))
        #expect(parser.phase == .head)
        _ = parser.feed(Array("OST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\n\r\n".utf8))
        #expect(parser.phase == .body)
        #expect(parser.feed(Array("x".utf8)).request != nil)
        #expect(parser.phase == .idle)
    }

    @Test("many requests on one parser do not grow its buffer")
    func bufferCompaction() {
        var parser = HTTPRequestParser()
        let request = Array("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 100\r\n\r\n\(String(repeating: "z", count: 100))".utf8)
        for _ in 0..<1000 {
            #expect(parser.feed(request).request != nil)
        }
        #expect(parser.bufferedByteCount == 0)
    }

    @Test("query items are form-decoded, in order, repeats kept")
    func queryItems() throws {
        let request = try #require(parse(
            "GET /search?a=1&b=x+y&c&d=%41%42&e=%E2%82%AC&a=2&bad=%ZZ&=v&plus=%2B HTTP/1.1\r\nHost: a\r\n\r\n").request)
        let items = request.queryItems
        #expect(items.map(\.name) == ["a", "b", "c", "d", "e", "a", "bad", "", "plus"])
        #expect(items.map(\.value) == ["1", "x y", "", "AB", "€", "2", "%ZZ", "v", "+"])
        #expect(request.queryValue("a") == "1")
        #expect(request.queryValue("missing") == nil)
        #expect(parse("GET /x HTTP/1.1\r\nHost: a\r\n\r\n").request?.queryItems.isEmpty == true)
        #expect(parse("GET /x? HTTP/1.1\r\nHost: a\r\n\r\n").request?.query == "")
    }

    @Test("the path stays raw; decodedPath decodes it")
    func rawPath() throws {
        let request = try #require(parse("GET /files/a%20b%2Fc HTTP/1.1\r\nHost: a\r\n\r\n").request)
        #expect(request.path == "/files/a%20b%2Fc")
        #expect(request.decodedPath == "/files/a b/c")
        #expect(parse("GET /bad%G0 HTTP/1.1\r\nHost: a\r\n\r\n").request?.decodedPath == nil)
    }
}
