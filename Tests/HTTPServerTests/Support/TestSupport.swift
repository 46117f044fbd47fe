#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import HTTPServer
import Logging
import Synchronization
import Testing

/// A logger that writes nothing; set `HTTP_TEST_LOGS=1` to see the server's lines on stderr.
let testLogger: Logger = {
    if getenv("HTTP_TEST_LOGS") != nil { return Logger(service: "http-test", level: .debug) }
    return Logger(service: "http-test", level: .error, sink: { _ in })
}()

/// Options with short timeouts so that failures show quickly.
func fastOptions() -> HTTPServer.Options {
    var options = HTTPServer.Options()
    options.idleTimeout = .seconds(5)
    options.headerTimeout = .seconds(5)
    options.bodyTimeout = .seconds(5)
    options.writeTimeout = .seconds(5)
    options.lingerTimeout = .milliseconds(200)
    options.drainTimeout = .seconds(5)
    return options
}

/// Starts a server on an ephemeral loopback port, runs `body`, and stops the server.
func withServer(options: HTTPServer.Options = fastOptions(), host: String = "127.0.0.1",
                handler: @escaping HTTPServer.Handler,
                _ body: (HTTPServer) async throws -> Void) async throws {
    let server = HTTPServer(host: host, port: 0, options: options, logger: testLogger, handler: handler)
    try server.start()
    do {
        try await body(server)
    } catch {
        await server.stop()
        throw error
    }
    await server.stop()
}

/// Starts a server that answers with `router`.
func withServer(options: HTTPServer.Options = fastOptions(), router: HTTPRouter,
                _ body: (HTTPServer) async throws -> Void) async throws {
    try await withServer(options: options, handler: { await router.handle($0) }, body)
}

/// A handler that echoes method, path and request id as `METHOD path id`.
let echoHandler: HTTPServer.Handler = { request in
    .text(.ok, "\(request.method) \(request.path) \(request.requestID)")
}

/// A latch tasks can wait on until someone opens it.
final class Gate: Sendable {
    private let state = Mutex<(open: Bool, waiters: [CheckedContinuation<Void, Never>])>((false, []))

    func wait() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let now = state.withLock { s in
                if s.open { return true }
                s.waiters.append(continuation)
                return false
            }
            if now { continuation.resume() }
        }
    }

    func open() {
        let waiters = state.withLock { s in
            s.open = true
            let w = s.waiters
            s.waiters = []
            return w
        }
        for w in waiters { w.resume() }
    }
}

/// Whether this machine can bind the IPv6 loopback.
let ipv6LoopbackAvailable: Bool = {
    let fd = socket(AF_INET6, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { return false }
    defer { close(fd) }
    var addr = sockaddr_in6()
    addr.sin6_family = sa_family_t(AF_INET6)
    inet_pton(AF_INET6, "::1", &addr.sin6_addr)
    return withUnsafePointer(to: &addr) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in6>.size)) }
    } == 0
}()

// MARK: - Parser helpers

extension HTTPRequestParser.Result {
    var request: HTTPRequest? {
        if case .request(let r) = self { return r }
        return nil
    }
    var error: HTTPError? {
        if case .error(let e) = self { return e }
        return nil
    }
    var isNeedMore: Bool {
        if case .needMore = self { return true }
        return false
    }
}

/// Parses `text` in one feed with the given limits.
func parse(_ text: String, limits: HTTPRequestParser.Limits = .init()) -> HTTPRequestParser.Result {
    var parser = HTTPRequestParser(limits: limits)
    return parser.feed(Array(text.utf8))
}

/// The status `text` is refused with, or nil if it is not refused.
func refusal(_ text: String, limits: HTTPRequestParser.Limits = .init()) -> Int? {
    parse(text, limits: limits).error?.status.code
}
