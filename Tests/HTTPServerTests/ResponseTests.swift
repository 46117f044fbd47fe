import HTTPServer
import Testing

@Suite("Responses")
struct ResponseTests {
    private func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }

    @Test("error responses use the house JSON shape with escaping")
    func errorJSON() {
        let response = HTTPResponse.error(status: .conflict, code: "order_state", message: "order \"ord_1\" is\npaid")
        #expect(response.status == .conflict)
        #expect(response.headers["content-type"] == "application/json")
        #expect(response.headers["cache-control"] == "no-store")
        #expect(text(response.body) == #"{"error":{"code":"order_state","message":"order \"ord_1\" is\npaid"}}"#)
        #expect(text(HTTPResponse.error(.notImplemented("nope")).body) == #"{"error":{"code":"not_implemented","message":"nope"}}"#)
    }

    @Test("the serializer writes status line, framing headers and body")
    func serialization() {
        let response = HTTPResponse.json(.created, Array(#"{"id":"ord_1"}"#.utf8))
        let wire = text(response.serialized(keepAlive: true, date: "Sun, 06 Nov 1994 08:49:37 GMT"))
        #expect(wire == "HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nContent-Length: 14\r\n"
            + "Date: Sun, 06 Nov 1994 08:49:37 GMT\r\nConnection: keep-alive\r\nX-Content-Type-Options: nosniff\r\n\r\n"
            + #"{"id":"ord_1"}"#)
        #expect(text(response.serialized(keepAlive: false)).contains("\r\nConnection: close\r\n"))
    }

    @Test("HEAD responses keep Content-Length but have no body")
    func headResponse() {
        let wire = text(HTTPResponse.text(.ok, "hello").serialized(keepAlive: true, includeBody: false))
        #expect(wire.contains("Content-Length: 5\r\n"))
        #expect(wire.hasSuffix("\r\n\r\n"))
    }

    @Test("204 and 304 carry neither body nor Content-Length")
    func noBodyStatuses() {
        for status in [HTTPStatus.noContent, .notModified] {
            let wire = text(HTTPResponse(status: status, body: Array("x".utf8)).serialized(keepAlive: true))
            #expect(!wire.contains("Content-Length"))
            #expect(wire.hasSuffix("\r\n\r\n"))
        }
    }

    @Test("handlers cannot break framing or inject headers")
    func sanitizing() {
        var response = HTTPResponse.text(.ok, "abc")
        response.headers.add("Content-Length", "999")
        response.headers.add("Transfer-Encoding", "chunked")
        response.headers.add("X-Evil", "a\r\nSet-Cookie: stolen=1")
        response.headers.add("Bad Name", "x")
        let wire = text(response.serialized(keepAlive: true))
        #expect(wire.contains("Content-Length: 3\r\n"))
        #expect(!wire.contains("999"))
        #expect(!wire.contains("Transfer-Encoding"))
        #expect(!wire.contains("\r\nSet-Cookie"))
        #expect(wire.contains("X-Evil: aSet-Cookie: stolen=1\r\n"))
        #expect(!wire.contains("Bad Name"))
    }

    @Test("helpers set content types and redirects set Location")
    func helpers() {
        #expect(HTTPResponse.text(.ok, "x").headers["content-type"] == "text/plain; charset=utf-8")
        #expect(HTTPResponse.html(.ok, "<p>").headers["content-type"] == "text/html; charset=utf-8")
        let redirect = HTTPResponse.redirect(303, to: "/orders/ord_1")
        #expect(redirect.status == .seeOther)
        #expect(redirect.headers["location"] == "/orders/ord_1")
        #expect(redirect.body.isEmpty)
        #expect(HTTPResponse(headers: ["Connection": "Close"]).closesConnection)
    }

    @Test("dates use the IMF-fixdate format")
    func dates() {
        #expect(HTTPDate.format(secondsSince1970: 784_111_777) == "Sun, 06 Nov 1994 08:49:37 GMT")
        #expect(HTTPDate.format(secondsSince1970: 0) == "Thu, 01 Jan 1970 00:00:00 GMT")
        #expect(HTTPDate.now().hasSuffix(" GMT"))
    }

    @Test("statuses know their reason phrases")
    func statuses() {
        #expect(HTTPStatus(431).reason == "Request Header Fields Too Large")
        #expect(HTTPStatus(599).reason == "Status 599")
        #expect(HTTPStatus.ok == 200)
    }

    @Test("client request ids are accepted only when sane")
    func requestIDs() {
        #expect(RequestID.isAcceptable("abc-123_XYZ.~"))
        #expect(RequestID.isAcceptable(String(repeating: "a", count: 128)))
        #expect(!RequestID.isAcceptable(String(repeating: "a", count: 129)))
        #expect(!RequestID.isAcceptable(""))
        #expect(!RequestID.isAcceptable("has space"))
        #expect(!RequestID.isAcceptable("quote\""))
        #expect(!RequestID.isAcceptable("é"))
        let generated = RequestID.generate()
        #expect(generated.count == 32 && RequestID.isAcceptable(generated))
    }
}
