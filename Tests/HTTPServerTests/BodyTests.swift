import HTTPServer
import Testing

@Suite("Parser: bodies")
struct BodyTests {
    @Test("a Content-Length body is read exactly, across feeds")
    func contentLength() throws {
        var parser = HTTPRequestParser()
        #expect(parser.feed(Array("POST /pay HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\n\r\nhello".utf8)).isNeedMore)
        #expect(parser.phase == .body)
        let request = try #require(parser.feed(Array(" world".utf8)).request)
        #expect(String(decoding: request.body, as: UTF8.self) == "hello world")
        #expect(parser.phase == .idle)
    }

    @Test("Content-Length with leading zeros or zero is fine")
    func contentLengthForms() throws {
        let request = try #require(parse("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 002\r\n\r\nok").request)
        #expect(request.body == Array("ok".utf8))
        #expect(parse("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n").request?.body.isEmpty == true)
    }

    @Test("invalid Content-Length values get 400", arguments: ["", "abc", "-1", "+5", "0x10", "5, 5", "5,5", "1 2", "1.0"])
    func invalidContentLength(value: String) {
        #expect(refusal("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: \(value)\r\n\r\n") == 400)
    }

    @Test("repeated Content-Length gets 400, identical or conflicting")
    func repeatedContentLength() {
        #expect(refusal("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nhello") == 400)
        #expect(refusal("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!") == 400)
    }

    @Test("Content-Length and Transfer-Encoding together get 400 (no smuggling)")
    func smuggling() {
        #expect(refusal("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n") == 400)
        #expect(refusal("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n0\r\n\r\n") == 400)
    }

    @Test("Transfer-Encoding other than exactly chunked gets 400", arguments: [
        "gzip, chunked", "chunked, chunked", "identity", "gzip", "chunked;q=1", "x-chunked", "chunked,",
    ])
    func unsupportedTransferEncoding(value: String) {
        #expect(refusal("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: \(value)\r\n\r\n0\r\n\r\n") == 400)
    }

    @Test("two Transfer-Encoding headers, or one on HTTP/1.0, get 400")
    func transferEncodingRules() {
        #expect(refusal("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n") == 400)
        #expect(refusal("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n") == 400)
        #expect(parse("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: Chunked\r\n\r\n0\r\n\r\n").request != nil)
    }

    static let chunked = "POST /upload HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
        + "5;name=value\r\nhello\r\n"
        + "1 ; ext\r\n,\r\n"
        + "6\r\n world\r\n"
        + "0\r\nX-Checksum: abc\r\nX-Other: 1\r\n\r\n"

    @Test("chunked bodies are decoded, extensions and trailers ignored")
    func chunkedDecoding() throws {
        let request = try #require(parse(Self.chunked).request)
        #expect(String(decoding: request.body, as: UTF8.self) == "hello, world")
        #expect(request.headers["x-checksum"] == nil)
    }

    @Test("chunked decoding works byte by byte")
    func chunkedByteByByte() throws {
        var parser = HTTPRequestParser()
        let bytes = Array((Self.chunked + "GET /next HTTP/1.1\r\nHost: a\r\n\r\n").utf8)
        var requests: [HTTPRequest] = []
        for b in bytes {
            switch parser.feed([b]) {
            case .needMore: continue
            case .request(let r): requests.append(r)
            case .error(let e): Issue.record("unexpected error \(e)")
            }
        }
        #expect(requests.count == 2)
        #expect(requests.first.map { String(decoding: $0.body, as: UTF8.self) } == "hello, world")
        #expect(requests.last?.path == "/next")
    }

    @Test("hex chunk sizes in either case")
    func hexSizes() throws {
        let body = String(repeating: "x", count: 26)
        let request = try #require(parse("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n1a\r\n\(body)\r\n0\r\n\r\n").request)
        #expect(request.body.count == 26)
        #expect(parse("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n1A\r\n\(body)\r\n0\r\n\r\n").request?.body.count == 26)
    }

    @Test("malformed chunked framing gets 400")
    func malformedChunks() {
        let bodies = [
            "zz\r\nhello\r\n0\r\n\r\n",          // not hex
            "\r\nhello\r\n0\r\n\r\n",            // no size
            "5\r\nhelloXX0\r\n\r\n",             // data not followed by CRLF
            "5\nhello\r\n0\r\n\r\n",             // bare LF
            "5 x\r\nhello\r\n0\r\n\r\n",         // junk after the size
            "5;a=\u{1}\r\nhello\r\n0\r\n\r\n",   // control character in an extension
            "-5\r\nhello\r\n0\r\n\r\n",          // sign
            "0\r\n folded: x\r\n\r\n",           // obs-fold in trailers
            "0\r\nBad Trailer: x\r\n\r\n",       // trailer name not a token
        ]
        for body in bodies {
            #expect(refusal("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n" + body) == 400, "\(body.debugDescription)")
        }
    }

    @Test("an overlong chunk-size line gets 400")
    func longChunkLine() {
        let ext = ";" + String(repeating: "e", count: 2000)
        #expect(refusal("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\(ext)\r\nhello\r\n0\r\n\r\n") == 400)
    }

    @Test("a huge chunk size cannot overflow: 413")
    func chunkSizeOverflow() {
        let head = "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
        #expect(refusal(head + "FFFFFFFFFFFFFFFFFFFFFFFF\r\n") == 413)
        #expect(refusal(head + "7FFFFFFFFFFFFFFF\r\n") == 413)
        #expect(refusal(head + "00000000000000000000000000005\r\nhello\r\n0\r\n\r\n") == nil)
    }

    @Test("trailers are bounded: 431")
    func trailersBounded() {
        let head = "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n"
        #expect(refusal(head + "X-Big: " + String(repeating: "t", count: 17 * 1024) + "\r\n\r\n") == 431)
        #expect(refusal(head + (0...100).map { "T-\($0): v\r\n" }.joined() + "\r\n") == 431)
    }

    @Test("a body over the limit gets 413 as soon as Content-Length is known")
    func contentLengthTooLarge() {
        var parser = HTTPRequestParser()
        let error = parser.feed(Array("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1048577\r\n\r\n".utf8)).error
        #expect(error?.status == .contentTooLarge)
        #expect(error?.code == .payloadTooLarge)
        #expect(refusal("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999999999999\r\n\r\n") == 413)

        var limits = HTTPRequestParser.Limits()
        limits.maxBodyBytes = 5
        #expect(parse("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello", limits: limits).request != nil)
        #expect(refusal("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 6\r\n\r\nhello!", limits: limits) == 413)
    }

    @Test("a chunked body over the limit gets 413 as it accumulates")
    func chunkedTooLarge() {
        var limits = HTTPRequestParser.Limits()
        limits.maxBodyBytes = 10
        let head = "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
        #expect(parse(head + "5\r\nhello\r\n5\r\nworld\r\n0\r\n\r\n", limits: limits).request?.body.count == 10)
        var parser = HTTPRequestParser(limits: limits)
        #expect(parser.feed(Array((head + "5\r\nhello\r\n5\r\nworld\r\n").utf8)).isNeedMore)
        #expect(parser.feed(Array("1\r\n".utf8)).error?.status == .contentTooLarge)
    }

    @Test("Expect: 100-continue is reported until acknowledged")
    func expectContinue() throws {
        var parser = HTTPRequestParser()
        #expect(parser.feed(Array("POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n".utf8)).isNeedMore)
        #expect(parser.expectsContinue)
        parser.continueSent()
        #expect(!parser.expectsContinue)
        #expect(try #require(parser.feed(Array("ok".utf8)).request).body == Array("ok".utf8))
        #expect(!parser.expectsContinue)
    }
}

@Suite("Parser: 100-continue")
struct ContinueTests {
    @Test("no 100 Continue once body bytes have arrived, even between chunks")
    func noContinueMidBody() {
        var parser = HTTPRequestParser()
        #expect(parser.feed(Array("POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nTransfer-Encoding: chunked\r\n\r\n".utf8)).isNeedMore)
        #expect(parser.expectsContinue)
        #expect(parser.feed(Array("5\r\n".utf8)).isNeedMore)
        #expect(!parser.expectsContinue)
    }

    @Test("no 100 Continue when the body came with the headers")
    func bodyAlreadyThere() {
        var parser = HTTPRequestParser()
        #expect(parser.feed(Array("POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\nab".utf8)).isNeedMore)
        #expect(!parser.expectsContinue)
    }

    @Test("HTTP/1.0 never gets 100 Continue")
    func http10() {
        var parser = HTTPRequestParser()
        #expect(parser.feed(Array("POST / HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n".utf8)).isNeedMore)
        #expect(!parser.expectsContinue)
    }
}
