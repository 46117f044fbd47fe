import HTTPServer
import HTTPTesting
import System
import Testing
import Transport

@Suite("Server limits, timeouts and shutdown")
struct ServerLimitTests {
    private func options(_ change: (inout HTTPServer.Options) -> Void) -> HTTPServer.Options {
        var options = fastOptions()
        change(&options)
        return options
    }

    // The header clock starts at accept, so these timeouts leave room for the test task itself to be
    // delayed between connect and its first send when the whole suite runs in parallel on 2 cores.
    @Test("a client that stops mid-headers gets 408 and is closed after the header timeout")
    func slowHeaders() async throws {
        try await withServer(options: options { $0.headerTimeout = .milliseconds(1_000) }, handler: echoHandler) { server in
            let started = ContinuousClock.now
            let client = try await RawClient.connect(port: server.port, initial: "GET / HTTP/1.1\r\nHost: t\r\n")
            let (bytes, closed) = await client.readUntilClosed()
            #expect(closed)
            let response = try #require(RawClient.parse(bytes)?.0, "got \(bytes.count) bytes: \(String(decoding: bytes, as: UTF8.self))")
            #expect(response.status == 408)
            #expect(response.text.contains(#""code":"request_timeout""#))
            #expect(ContinuousClock.now - started < .seconds(3))
        }
    }

    @Test("trickling header bytes does not extend the header deadline (slowloris)")
    func trickle() async throws {
        try await withServer(options: options { $0.headerTimeout = .milliseconds(1_000) }, handler: echoHandler) { server in
            let started = ContinuousClock.now
            let client = try await RawClient.connect(port: server.port, initial: "GET / HTTP/1.1\r\nHost: t\r\nX-Slow: ")
            var answer: HTTPTestResponse?
            for _ in 0..<100 {  // at most ~5 s; the server should hang up after ~1 s
                guard await client.send("a") else { break }
                if let response = await client.readResponse(timeout: .milliseconds(50)) {
                    answer = response
                    break
                }
            }
            #expect(answer?.status == 408)
            #expect(ContinuousClock.now - started < .seconds(4))
            #expect(await client.readUntilClosed().closed)
        }
    }

    @Test("a connection that never sends is closed silently after the header timeout")
    func silentConnection() async throws {
        try await withServer(options: options { $0.headerTimeout = .milliseconds(300) }, handler: echoHandler) { server in
            let client = try await RawClient.connect(port: server.port)
            let (bytes, closed) = await client.readUntilClosed()
            #expect(closed)
            #expect(bytes.isEmpty)
        }
    }

    @Test("an idle keep-alive connection is closed silently after the idle timeout")
    func idleTimeout() async throws {
        try await withServer(options: options { $0.idleTimeout = .milliseconds(300) }, handler: echoHandler) { server in
            let client = try await RawClient.connect(port: server.port)
            await client.send("GET / HTTP/1.1\r\nHost: t\r\n\r\n")
            #expect(try #require(await client.readResponse()).status == 200)
            let (bytes, closed) = await client.readUntilClosed()
            #expect(closed)
            #expect(bytes.isEmpty)
        }
    }

    @Test("a body that stops arriving gets 408 after the body timeout")
    func slowBody() async throws {
        try await withServer(options: options { $0.bodyTimeout = .milliseconds(300) }, handler: echoHandler) { server in
            let client = try await RawClient.connect(port: server.port)
            await client.send("POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\nabc")
            let (bytes, closed) = await client.readUntilClosed()
            #expect(closed)
            #expect(RawClient.parse(bytes)?.0.status == 408)
        }
    }

    @Test("a handler that takes too long gets 504 and the connection closes")
    func handlerTimeout() async throws {
        let gate = Gate()
        let handler: HTTPServer.Handler = { _ in
            await gate.wait()
            return .text(.ok, "late")
        }
        try await withServer(options: options { $0.handlerTimeout = .milliseconds(200) }, handler: handler) { server in
            let client = try await RawClient.connect(port: server.port)
            await client.send("GET / HTTP/1.1\r\nHost: t\r\n\r\n")
            let response = try #require(await client.readResponse())
            #expect(response.status == 504)
            #expect(response.header("connection") == "close")
            #expect(await client.readUntilClosed().closed)
            gate.open()
        }
    }

    @Test("connections over the limit get 503 JSON and are closed; the slot frees up")
    func maxConnections() async throws {
        try await withServer(options: options { $0.maxConnections = 1 }, handler: echoHandler) { server in
            let first = try await RawClient.connect(port: server.port)
            await first.send("GET / HTTP/1.1\r\nHost: t\r\n\r\n")
            #expect(try #require(await first.readResponse()).status == 200)

            let second = try await RawClient.connect(port: server.port)
            await second.send("GET / HTTP/1.1\r\nHost: t\r\n\r\n")
            let refused = try #require(await second.readResponse())
            #expect(refused.status == 503)
            #expect(refused.text.contains(#""code":"unavailable""#))
            #expect(refused.header("connection") == "close")
            #expect(await second.readUntilClosed().closed)

            first.shutdown()
            // The server notices the close on its own thread; retry until the slot is free (bounded).
            var status = 0
            for _ in 0..<100 where status != 200 {
                let next = try await RawClient.connect(port: server.port)
                await next.send("GET / HTTP/1.1\r\nHost: t\r\n\r\n")
                status = await next.readResponse()?.status ?? 0
                if status != 200 { _ = await next.readUntilClosed(timeout: .milliseconds(20)) }
            }
            #expect(status == 200)
        }
    }

    @Test("stop lets an in-flight request finish, closes idle connections and stops accepting")
    func gracefulStop() async throws {
        let started = Gate(), release = Gate()
        let handler: HTTPServer.Handler = { request in
            if request.path == "/slow" {
                started.open()
                await release.wait()
                return .text(.ok, "slow done")
            }
            return .text(.ok, "fast")
        }
        let server = HTTPServer(port: 0, options: fastOptions(), logger: testLogger, handler: handler)
        try server.start()
        let port = server.port

        let idle = try await RawClient.connect(port: port)
        await idle.send("GET /fast HTTP/1.1\r\nHost: t\r\n\r\n")
        #expect(try #require(await idle.readResponse()).text == "fast")

        let busy = try await RawClient.connect(port: port)
        await busy.send("GET /slow HTTP/1.1\r\nHost: t\r\n\r\n")
        await started.wait()

        let stopping = Task { await server.stop() }
        // The idle connection closing shows that stop is under way; by then the listener is closed.
        #expect(await idle.readUntilClosed().closed)
        await #expect(throws: SystemError.self) { _ = try await RawClient.connect(port: port) }

        release.open()
        let response = try #require(await busy.readResponse())
        #expect(response.status == 200)
        #expect(response.text == "slow done")
        #expect(response.header("connection") == "close")
        #expect(await busy.readUntilClosed().closed)
        await stopping.value
        #expect(server.connectionCount == 0)
    }

    @Test("localhost and IPv6 literals bind; other hosts are refused")
    func hosts() async throws {
        try await withServer(host: "localhost", handler: echoHandler) { server in
            let client = try await RawClient.connect(port: server.port)
            await client.send("GET /v4 HTTP/1.1\r\nHost: t\r\n\r\n")
            let response = try #require(await client.readResponse())
            #expect(response.status == 200)
        }
        if ipv6LoopbackAvailable {
            try await withServer(host: "[::1]", handler: echoHandler) { server in
                let client = try await RawClient.connect(port: server.port, ipv6: true)
                await client.send("GET /v6 HTTP/1.1\r\nHost: [::1]\r\n\r\n")
                #expect(try #require(await client.readResponse()).text.hasPrefix("GET /v6 "))
            }
        }
        #expect(throws: SystemError.self) {
            try HTTPServer(host: "shop.example", port: 0, logger: testLogger, handler: echoHandler).start()
        }
        try await withServer(handler: echoHandler) { server in
            #expect(throws: SystemError.self) {
                try HTTPServer(port: server.port, logger: testLogger, handler: echoHandler).start()
            }
        }
    }
}
