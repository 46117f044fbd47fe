import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import System
import Testing
import Transport
import Wire

/// The command line every service shares: serve, health, --help, --version and config validation.
@Suite("Service command line", .serialized)
struct ServiceCommandTests {
    static let services = ["gateway", "payments", "fulfillment", "notifier"]

    @Test("health passes for each running service and names its checks")
    func healthOfEachService() throws {
        let dir = try TemporaryDirectory()
        // A configured payments (keys present; Stripe itself is not called by health).
        let env = ServiceProcess.environment(in: dir, extra: ["STRIPE_SECRET_KEY": "sk_test_health", "STRIPE_WEBHOOK_SECRET": "whsec_health"])
        var running: [ServiceProcess] = []
        for name in ["notifier", "fulfillment", "payments", "gateway"] {
            running.append(try ServiceProcess(name, environment: env, logDirectory: dir))
        }
        for name in Self.services {
            let r = try runCommand(Binaries.path(name), ["health"], environment: env)
            #expect(r.status == 0, "\(name): \(r.stdout) \(r.stderr)")
            #expect(r.stdout.hasPrefix("\(name) ok"), "\(r.stdout)")
            #expect(r.stdout.split(separator: "\n").count == 1)
        }
        let payments = try runCommand(Binaries.path("payments"), ["health"], environment: env)
        #expect(payments.stdout.contains("database ok"))
        #expect(payments.stdout.contains("peer.fulfillment ok"))
        #expect(payments.stdout.contains("stripe ok"))
    }

    @Test("payments without Stripe keys is degraded and says which variable is missing")
    func paymentsUnconfigured() throws {
        let dir = try TemporaryDirectory()
        let env = ServiceProcess.environment(in: dir)
        let payments = try ServiceProcess("payments", environment: env, logDirectory: dir)
        let r = try runCommand(Binaries.path("payments"), ["health"], environment: env)
        #expect(r.status == 0)
        #expect(r.stdout.hasPrefix("payments degraded"))
        #expect(r.stdout.contains("STRIPE_SECRET_KEY is not set"))
        _ = payments
    }

    @Test("health reports a missing socket, a refused socket and a degraded peer distinctly")
    func healthFailureReasons() throws {
        let dir = try TemporaryDirectory()
        let env = ServiceProcess.environment(in: dir)
        let missing = try runCommand(Binaries.path("payments"), ["health"], environment: env)
        #expect(missing.status == 2)
        #expect(missing.stdout.contains("no socket"))

        // A stale socket file: bound once, nobody listening.
        try FileManager.default.createDirectory(atPath: dir.file("s"), withIntermediateDirectories: true)
        let stale = try UnixSocket.listen(path: dir.file("s/payments.sock"))
        close(stale)
        let refused = try runCommand(Binaries.path("payments"), ["health"], environment: env)
        #expect(refused.status == 3)
        #expect(refused.stdout.contains("refused"))

        // The service removes the stale file and serves; its peer (fulfillment) is down: degraded, exit 0.
        let payments = try ServiceProcess("payments", environment: env, logDirectory: dir)
        let degraded = try runCommand(Binaries.path("payments"), ["health"], environment: env)
        #expect(degraded.status == 0)
        #expect(degraded.stdout.contains("payments degraded"))
        #expect(degraded.stdout.contains("peer.fulfillment degraded"))
        _ = payments
    }

    @Test("--help and --version", arguments: services)
    func helpAndVersion(name: String) throws {
        let help = try runCommand(Binaries.path(name), ["--help"], environment: [:])
        #expect(help.status == 0)
        #expect(help.stdout.contains("SHOP_SOCKET_DIR"))
        #expect(help.stdout.contains("\(name) health"))
        let version = try runCommand(Binaries.path(name), ["--version"], environment: [:])
        #expect(version.status == 0)
        #expect(version.stdout.hasPrefix("\(name) 0."))
        let unknown = try runCommand(Binaries.path(name), ["frobnicate"], environment: [:])
        #expect(unknown.status == 64)
        #expect(unknown.stderr.contains("unknown command 'frobnicate'"))
    }

    @Test("malformed configuration stops start-up naming each variable")
    func badConfig() throws {
        let dir = try TemporaryDirectory()
        let env = ServiceProcess.environment(in: dir, extra: [
            "SHOP_MAX_FRAME_BYTES": "lots", "SHOP_LOG_LEVEL": "chatty", "SHOP_CALL_TIMEOUT_MS": "0",
        ])
        let r = try runCommand(Binaries.path("payments"), ["serve"], environment: env)
        #expect(r.status == 78)
        #expect(r.stderr.contains("SHOP_MAX_FRAME_BYTES='lots'"))
        #expect(r.stderr.contains("SHOP_LOG_LEVEL='chatty'"))
        #expect(r.stderr.contains("SHOP_CALL_TIMEOUT_MS='0'"))
        #expect(!FileManager.default.fileExists(atPath: dir.file("d/payments.sqlite")))
    }

    @Test("a socket path over the kernel's limit is refused at start with a clear message")
    func socketPathTooLong() throws {
        let dir = try TemporaryDirectory()
        let long = dir.path + "/" + String(repeating: "x", count: 100)
        let r = try runCommand(Binaries.path("notifier"), ["serve"],
                               environment: ServiceProcess.environment(in: dir, extra: ["SHOP_SOCKET_DIR": long]))
        #expect(r.status == 78)
        #expect(r.stderr.contains("Unix sockets allow at most 107"))
    }

    @Test("the socket directory is 0750 and the socket 0660")
    func permissions() throws {
        let dir = try TemporaryDirectory()
        let service = try ServiceProcess("notifier", environment: ServiceProcess.environment(in: dir), logDirectory: dir)
        let dirMode = try FileManager.default.attributesOfItem(atPath: dir.file("s"))[.posixPermissions] as? Int
        let sockMode = try FileManager.default.attributesOfItem(atPath: service.socketPath)[.posixPermissions] as? Int
        #expect(dirMode == 0o750)
        #expect(sockMode == 0o660)
    }

    @Test("an existing socket directory loses what it gives others, and keeps what it gives its group (compose shares it so)")
    func sharedDirectory() throws {
        let dir = try TemporaryDirectory()
        try FileManager.default.createDirectory(atPath: dir.file("s"), withIntermediateDirectories: true)
        chmod(dir.file("s"), 0o1777)
        let service = try ServiceProcess("notifier", environment: ServiceProcess.environment(in: dir), logDirectory: dir)
        let dirMode = try FileManager.default.attributesOfItem(atPath: dir.file("s"))[.posixPermissions] as? Int
        #expect(dirMode == 0o1770)
        withExtendedLifetime(service) {}
    }

    @Test("a second instance refuses a live socket and the first keeps serving")
    func secondInstanceRefused() throws {
        let dir = try TemporaryDirectory()
        let env = ServiceProcess.environment(in: dir)
        let first = try ServiceProcess("fulfillment", environment: env, logDirectory: dir)
        let second = try runCommand(Binaries.path("fulfillment"), ["serve"], environment: env)
        #expect(second.status == 1)
        #expect(second.stderr.contains("already serving"))
        let reply = try BlockingClient.call(path: first.socketPath, message: .request("sys.ping"))
        #expect(reply.error == nil)
    }

    @Test("SIGTERM finishes in-flight work, removes the socket and exits 0 within 5 s", arguments: [SIGTERM, SIGINT])
    func gracefulStop(sig: Int32) throws {
        let dir = try TemporaryDirectory()
        let service = try ServiceProcess("payments", environment: ServiceProcess.environment(in: dir), logDirectory: dir)
        let socket = try RawSocket(path: service.socketPath)
        let slow = Envelope.request("sys.ping", payload: try RawJSON(validating: Array(#"{"delay_ms":800}"#.utf8)))
        let marker = Envelope.request("sys.ping")
        try socket.write(slow)
        try socket.write(marker)
        // Frames on one connection are dispatched in order: once the marker is answered, the slow
        // request is in flight.
        let first = try #require(try socket.read())
        #expect(first.replyTo == marker.id)
        let start = ContinuousClock.now
        service.signal(sig)
        let reply = try #require(try socket.read(timeoutMs: 5_000))
        #expect(reply.replyTo == slow.id)
        #expect(reply.error == nil)
        let status = service.waitForExit(timeout: .seconds(5))
        #expect(status == 0)
        #expect(ContinuousClock.now - start < .seconds(5))
        #expect(!FileManager.default.fileExists(atPath: service.socketPath))
    }
}

/// The gateway's HTTP listener as far as the spine goes: liveness on loopback and its own settings.
@Suite("Gateway HTTP listener")
struct GatewayListenerTests {
    /// The port the gateway logged once listening (it is started with GATEWAY_PORT=0).
    static func port(of gateway: ServiceProcess) throws -> Int {
        for line in gateway.log.split(separator: "\n") where line.contains("HTTP server listening") {
            if let range = line.range(of: #""http.port":""#) {
                let rest = line[range.upperBound...]
                if let port = Int(rest.prefix { $0.isNumber }) { return port }
            }
        }
        throw ServiceFailure("gateway did not log its port:\n\(gateway.log)")
    }

    @Test("GET /healthz answers on loopback; a wrong method is 405 with Allow")
    func healthz() async throws {
        let dir = try TemporaryDirectory()
        let gateway = try ServiceProcess("gateway", environment: ServiceProcess.environment(in: dir, extra: ["GATEWAY_PORT": "0"]),
                                         logDirectory: dir)
        let port = try Self.port(of: gateway)
        let (body, response) = try await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(port)/healthz")!)
        let http = try #require(response as? HTTPURLResponse)
        #expect(http.statusCode == 200)
        #expect(String(decoding: body, as: UTF8.self).contains(#""status":"ok""#))
        var post = URLRequest(url: URL(string: "http://127.0.0.1:\(port)/healthz")!)
        post.httpMethod = "POST"
        let (_, postResponse) = try await URLSession.shared.data(for: post)
        let postHTTP = try #require(postResponse as? HTTPURLResponse)
        #expect(postHTTP.statusCode == 405)
        #expect(postHTTP.value(forHTTPHeaderField: "Allow")?.contains("GET") == true)
    }

    @Test("a bad GATEWAY_PORT stops start-up naming the variable; a busy port fails clearly and leaves no socket")
    func badPort() throws {
        let dir = try TemporaryDirectory()
        let bad = try runCommand(Binaries.path("gateway"), ["serve"],
                                 environment: ServiceProcess.environment(in: dir, extra: ["GATEWAY_PORT": "http"]))
        #expect(bad.status == 78)
        #expect(bad.stderr.contains("GATEWAY_PORT='http'"))

        let first = try ServiceProcess("gateway", environment: ServiceProcess.environment(in: dir, extra: ["GATEWAY_PORT": "0"]),
                                       logDirectory: dir)
        let port = try Self.port(of: first)
        let other = try TemporaryDirectory()
        let busy = try runCommand(Binaries.path("gateway"), ["serve"],
                                  environment: ServiceProcess.environment(in: other, extra: ["GATEWAY_PORT": String(port)]))
        #expect(busy.status == 1)
        #expect(busy.stderr.contains("already in use"))
        #expect(!FileManager.default.fileExists(atPath: other.file("s/gateway.sock")))
    }
}
