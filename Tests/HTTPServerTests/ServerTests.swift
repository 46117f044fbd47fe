import HTTPServer
import Testing
import Transport

@Suite("Server over loopback")
struct ServerTests {
    @Test("port 0 binds a real port; two requests share one keep-alive connection")
    func keepAlive() async throws {
        try await withServer(handler: echoHandler) { server in
            #expect(server.port > 0)
            let client = try await RawClient.connect(port: server.port)
            await client.send("GET /one HTTP/1.1\r\nHost: t\r\n\r\n")
            let first = try #require(await client.readResponse())
            #expect(first.status == 200)
            #expect(first.text.hasPrefix("GET /one "))
            #expect(first.header("connection") == "keep-alive")
            #expect(first.header("date")?.hasSuffix("GMT") == true)
            #expect(server.connectionCount == 1)

            await client.send("GET /two HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
            let second = try #require(await client.readResponse())
            #expect(second.text.hasPrefix("GET /two "))
            #expect(second.header("connection") == "close")
            #expect(await client.readUntilClosed().closed)
        }
    }

    @Test("pipelined requests are answered in order")
    func pipelined() async throws {
        try await withServer(handler: echoHandler) { server in
            let client = try await RawClient.connect(port: server.port)
            await client.send("GET /a HTTP/1.1\r\nHost: t\r\n\r\nGET /b HTTP/1.1\r\nHost: t\r\n\r\nGET /c HTTP/1.1\r\nHost: t\r\n\r\n")
            for path in ["/a", "/b", "/c"] {
                let response = try #require(await client.readResponse())
                #expect(response.text.hasPrefix("GET \(path) "))
            }
        }
    }

    @Test("HTTP/1.0 without keep-alive closes after the response")
    func http10() async throws {
        try await withServer(handler: echoHandler) { server in
            let client = try await RawClient.connect(port: server.port)
            await client.send("GET /old HTTP/1.0\r\n\r\n")
            let response = try #require(await client.readResponse())
            #expect(response.status == 200)
            #expect(response.header("connection") == "close")
            #expect(await client.readUntilClosed().closed)
        }
    }

    @Test("HEAD gets headers without a body, and the connection stays in sync")
    func head() async throws {
        var router = HTTPRouter()
        router.get("/thing") { _, _ in .text(.ok, "twelve bytes") }
        try await withServer(router: router) { server in
            let client = try await RawClient.connect(port: server.port)
            await client.send("HEAD /thing HTTP/1.1\r\nHost: t\r\n\r\nGET /thing HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
            // RawClient reads Content-Length bytes of body, so a HEAD answer must be parsed by hand.
            let (raw, closed) = await client.readUntilClosed()
            #expect(closed)
            let text = String(decoding: raw, as: UTF8.self)
            let parts = text.split(separator: "HTTP/1.1 200 OK")
            #expect(parts.count == 2)
            #expect(parts.first?.contains("Content-Length: 12\r\n") == true)
            #expect(parts.first?.hasSuffix("\r\n\r\n") == true)
            #expect(parts.last?.hasSuffix("\r\n\r\ntwelve bytes") == true)
        }
    }

    @Test("unknown paths get 404 JSON; wrong methods get 405 with Allow")
    func notFoundAndMethodNotAllowed() async throws {
        var router = HTTPRouter()
        router.get("/v1/items") { _, _ in .json(.ok, Array("[]".utf8)) }
        router.post("/v1/items") { _, _ in .json(.created, Array("{}".utf8)) }
        try await withServer(router: router) { server in
            let client = try await RawClient.connect(port: server.port)
            await client.send("GET /v1/nothing HTTP/1.1\r\nHost: t\r\n\r\n")
            let missing = try #require(await client.readResponse())
            #expect(missing.status == 404)
            #expect(missing.header("content-type") == "application/json")
            #expect(missing.text.contains(#""code":"not_found""#))

            await client.send("DELETE /v1/items HTTP/1.1\r\nHost: t\r\n\r\n")
            let wrong = try #require(await client.readResponse())
            #expect(wrong.status == 405)
            #expect(wrong.header("allow") == "GET, HEAD, POST")
            #expect(wrong.text.contains(#""code":"method_not_allowed""#))

            await client.send("POST /v1/items HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\n\r\n{}")
            #expect(try #require(await client.readResponse()).status == 201)
        }
    }

    @Test("a sane X-Request-Id is echoed; others are replaced by a generated one")
    func requestID() async throws {
        try await withServer(handler: echoHandler) { server in
            let client = try await RawClient.connect(port: server.port)
            await client.send("GET /id HTTP/1.1\r\nHost: t\r\nX-Request-Id: req-42.a_b\r\n\r\n")
            let echoed = try #require(await client.readResponse())
            #expect(echoed.header("x-request-id") == "req-42.a_b")
            #expect(echoed.text == "GET /id req-42.a_b")

            for bad in [String(repeating: "a", count: 129), "has space", "quo\"te", ""] {
                await client.send("GET /id HTTP/1.1\r\nHost: t\r\nX-Request-Id: \(bad)\r\n\r\n")
                let replaced = try #require(await client.readResponse())
                let id = try #require(replaced.header("x-request-id"))
                #expect(id != bad)
                #expect(id.count == 32 && id.allSatisfy(\.isHexDigit))
                #expect(replaced.text == "GET /id \(id)")
            }

            await client.send("GET /id HTTP/1.1\r\nHost: t\r\n\r\n")
            let first = try #require(await client.readResponse()).header("x-request-id")
            await client.send("GET /id HTTP/1.1\r\nHost: t\r\n\r\n")
            let second = try #require(await client.readResponse()).header("x-request-id")
            #expect(first != nil && first != second)
        }
    }

    @Test("a malformed request gets a 400 JSON and a closed connection; other connections carry on")
    func malformedThenGood() async throws {
        try await withServer(handler: echoHandler) { server in
            let bad = try await RawClient.connect(port: server.port)
            await bad.send("GARBAGE\r\n\r\n")
            let refused = try #require(await bad.readResponse())
            #expect(refused.status == 400)
            #expect(refused.header("connection") == "close")
            #expect(refused.header("x-request-id")?.count == 32)
            #expect(refused.text.hasPrefix(#"{"error":{"code":"bad_request","message":"#))
            #expect(await bad.readUntilClosed().closed)

            let good = try await RawClient.connect(port: server.port)
            await good.send("GET /fine HTTP/1.1\r\nHost: t\r\n\r\n")
            #expect(try #require(await good.readResponse()).status == 200)
        }
    }

    /// A request the server must refuse, and the status it must answer with.
    struct Refusal: Sendable, CustomTestStringConvertible {
        let name: String
        let request: String
        let status: Int
        var testDescription: String { "\(name) → \(status)" }
    }

    static let refusals: [Refusal] = [
        Refusal(name: "body too large", request: "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 2000000\r\n\r\n", status: 413),
        Refusal(name: "HTTP/2.0", request: "GET / HTTP/2.0\r\nHost: t\r\n\r\n", status: 505),
        Refusal(name: "unknown method", request: "BREW / HTTP/1.1\r\nHost: t\r\n\r\n", status: 501),
        Refusal(name: "long URI", request: "GET /\(String(repeating: "u", count: 9000)) HTTP/1.1\r\nHost: t\r\n\r\n", status: 414),
        Refusal(name: "large header", request: "GET / HTTP/1.1\r\nHost: t\r\nX-Big: \(String(repeating: "h", count: 17_000))\r\n\r\n", status: 431),
        Refusal(name: "gzip, chunked", request: "POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", status: 400),
        Refusal(name: "CL + TE", request: "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", status: 400),
    ]

    @Test("refusals reach the client with the right status", arguments: refusals)
    func refusalsOverTheWire(refusal: Refusal) async throws {
        try await withServer(handler: echoHandler) { server in
            let client = try await RawClient.connect(port: server.port)
            await client.send(refusal.request)
            let response = try #require(await client.readResponse())
            #expect(response.status == refusal.status)
            #expect(response.text.hasPrefix(#"{"error":{"code":""#))
            #expect(await client.readUntilClosed().closed)
        }
    }

    @Test("chunked uploads and Expect: 100-continue reach the handler")
    func uploads() async throws {
        let handler: HTTPServer.Handler = { request in .text(.ok, "got \(request.body.count): \(String(decoding: request.body, as: UTF8.self))") }
        try await withServer(handler: handler) { server in
            let client = try await RawClient.connect(port: server.port)
            await client.send("POST /u HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n")
            #expect(try #require(await client.readResponse()).text == "got 5: abcde")

            await client.send("POST /u HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n")
            let interim = try #require(await client.readResponse())
            #expect(interim.status == 100)
            await client.send("hello")
            #expect(try #require(await client.readResponse()).text == "got 5: hello")
        }
    }
}
