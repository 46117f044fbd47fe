#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
@preconcurrency import Dispatch
import Logging
import Synchronization
import Transport

/// An HTTP/1.1 server over TCP, meant to sit behind a TLS-terminating proxy.
///
/// One accept thread and one thread per connection do all blocking I/O; the handler runs as a Swift
/// task, and the connection's thread waits for its answer, so the cooperative pool never blocks on a
/// socket. Requests are parsed by ``HTTPRequestParser`` (strict, bounded); every refusal is a small JSON
/// error followed by closing the connection. Timeouts bound every phase: idle keep-alive, headers
/// (slowloris), body, handler and write. Beyond ``Options/maxConnections`` new connections are answered
/// 503 and closed. Each request carries an id (``HTTPRequest/requestID``) echoed in `X-Request-Id`.
///
/// ```swift
/// var router = HTTPRouter(logger: logger)
/// router.get("/health") { _, _ in .json(.ok, Array(#"{"ok":true}"#.utf8)) }
/// let server = HTTPServer(host: "0.0.0.0", port: 8080, logger: logger, router: router)
/// try server.start()
/// ...
/// server.stop()
/// ```
public final class HTTPServer: Sendable {
    /// Answers one request. Runs as a task on the cooperative pool; it must not block.
    public typealias Handler = @Sendable (HTTPRequest) async -> HTTPResponse

    /// The host given at creation: an IP literal or `localhost`.
    public let host: String
    /// Limits and timeouts.
    public let options: Options
    let handler: Handler
    let logger: Logger
    private let requestedPort: Int

    private struct Connection {
        let fd: Int32
        /// Between requests: ``stop()`` may close it at once.
        var idle: Bool
    }

    private struct State {
        var acceptor: Acceptor?
        var boundPort: Int?
        var started = false
        var stopping = false
        var nextID = 0
        var connections: [Int: Connection] = [:]
        var refusalThreads = 0
        var lastRefusalLog: ContinuousClock.Instant?
    }

    private let state = Mutex(State())
    private let connectionThreads = DispatchGroup()

    /// Creates a server; nothing is opened until ``start()``.
    ///
    /// - Parameters:
    ///   - host: an IPv4 or IPv6 literal (`0.0.0.0`, `::1`, `[::]`) or `localhost` (127.0.0.1).
    ///   - port: the TCP port; 0 picks a free one, readable from ``port`` after ``start()``.
    public init(host: String = "127.0.0.1", port: Int, options: Options = Options(), logger: Logger,
                handler: @escaping Handler) {
        self.host = host
        self.requestedPort = port
        self.options = options
        self.logger = logger
        self.handler = handler
    }

    /// Creates a server that answers with `router`.
    public convenience init(host: String = "127.0.0.1", port: Int, options: Options = Options(), logger: Logger,
                            router: HTTPRouter) {
        self.init(host: host, port: port, options: options, logger: logger) { await router.handle($0) }
    }

    /// The port bound by ``start()`` (the real one when created with port 0); before that, the port asked for.
    public var port: Int { state.withLock { $0.boundPort } ?? requestedPort }

    /// Number of open connections.
    public var connectionCount: Int { state.withLock { $0.connections.count } }

    /// Binds and starts accepting. Throws if the address is invalid or taken; starting twice traps.
    public func start() throws(SocketSetupError) {
        UnixSocket.ignoreSIGPIPE()
        let (fd, port) = try TCPSocket.listen(host: host, port: requestedPort, backlog: options.listenBacklog)
        state.withLock { s in
            precondition(!s.started, "HTTPServer.start() called twice")
            s.started = true
            s.boundPort = port
        }
        let acceptor = try Acceptor(listenFD: fd, logger: logger) { [self] client, peer in admit(client, peer: peer) }
        state.withLock { $0.acceptor = acceptor }
        logger.info("HTTP server listening", ["http.host": host, "http.port": String(port)])
    }

    /// Stops gracefully and returns when done: stops accepting, closes idle keep-alive connections, lets
    /// in-flight requests finish (up to ``Options/drainTimeout``; their responses say
    /// `Connection: close`), then closes whatever is left. Calling it again, or before ``start()``, does
    /// nothing.
    ///
    /// Blocks the calling thread; from async code use the `async` overload.
    public func stop() {
        let acceptor: Acceptor? = state.withLock { s in
            guard s.started, !s.stopping else { return nil }
            s.stopping = true
            return s.acceptor
        }
        guard let acceptor else { return }
        acceptor.stop()
        state.withLock { s in
            for connection in s.connections.values where connection.idle {
                shutdown(connection.fd, Int32(SHUT_RDWR))
            }
        }
        let drain = DispatchTime.now() + .milliseconds(Int(options.drainTimeout.roundedUpMilliseconds))
        if connectionThreads.wait(timeout: drain) == .timedOut {
            logger.warn("HTTP server stopping with requests still in flight after the drain timeout",
                        ["http.connections": String(connectionCount)])
            state.withLock { s in
                for connection in s.connections.values { shutdown(connection.fd, Int32(SHUT_RDWR)) }
            }
        }
        logger.info("HTTP server stopped", ["http.port": String(port)])
    }

    /// Stops gracefully (see ``stop()``) without blocking the caller's thread: the waiting happens on a
    /// thread of its own.
    public func stop() async {
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            Threads.spawn(name: "http-stop") { [self] in
                stop()
                done.resume()
            }
        }
    }

    // MARK: - Accepting

    /// Sets up a new connection and starts its thread, or refuses it beyond the connection limit.
    private func admit(_ client: Int32, peer storage: sockaddr_storage) {
        _ = fcntl(client, F_SETFL, fcntl(client, F_GETFL) | O_NONBLOCK)
        var one: Int32 = 1
        _ = setsockopt(client, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        let remote = TCPSocket.describe(storage).map(TCPSocket.format)
        let id: Int? = state.withLock { s in
            guard !s.stopping, s.connections.count < options.maxConnections else { return nil }
            s.nextID += 1
            s.connections[s.nextID] = Connection(fd: client, idle: true)
            return s.nextID
        }
        guard let id else {
            refuse(client)
            return
        }
        connectionThreads.enter()
        Threads.spawn(name: "http-conn") { [self] in
            HTTPConnection(server: self, fd: client, id: id, remoteAddress: remote).run()
            connectionEnded(id)
        }
    }

    /// Answers a connection over the limit with 503 and closes it. The answer is written and the socket
    /// drained on a short-lived thread, a bounded number of them; past that bound it gets one
    /// non-blocking write and is closed.
    private func refuse(_ fd: Int32) {
        var response = HTTPResponse.error(.unavailable("too many connections; try again later"))
        response.headers.set("Retry-After", "1")
        response.headers.set(RequestID.header, RequestID.generate())
        let bytes = response.serialized(keepAlive: false)
        let now = ContinuousClock.now
        let (spawn, log): (Bool, Bool) = state.withLock { s in
            let log = s.lastRefusalLog.map { now - $0 >= .seconds(1) } ?? true
            if log { s.lastRefusalLog = now }
            guard s.refusalThreads < 16 else { return (false, log) }
            s.refusalThreads += 1
            return (true, log)
        }
        if log {
            logger.warn("refusing HTTP connections: at the connection limit", ["http.max_connections": String(options.maxConnections)])
        }
        guard spawn else {
            _ = bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT | MSG_NOSIGNAL)) }
            close(fd)
            return
        }
        let linger = options.lingerTimeout
        Threads.spawn(name: "http-refuse") { [self] in
            if TCPSocket.writeAll(fd, bytes, deadline: .after(.seconds(1))) {
                TCPSocket.linger(fd, deadline: .after(min(linger, .milliseconds(500))))
            }
            close(fd)
            state.withLock { $0.refusalThreads -= 1 }
        }
    }

    // MARK: - Connection bookkeeping (called from connection threads)

    /// Whether the server is shutting down; responses then close their connection.
    var isStopping: Bool { state.withLock { $0.stopping } }

    /// A connection started receiving a request. False when stopping: the connection should close.
    func markBusy(_ id: Int) -> Bool {
        state.withLock { s in
            if s.stopping { return false }
            s.connections[id]?.idle = false
            return true
        }
    }

    /// A connection finished a request and waits for the next. False when stopping: it should close.
    func markIdle(_ id: Int) -> Bool {
        state.withLock { s in
            if s.stopping { return false }
            s.connections[id]?.idle = true
            return true
        }
    }

    /// Forgets a connection and closes its socket. Done under the lock, so ``stop()`` can never shut down
    /// a descriptor number that was closed and reused.
    private func connectionEnded(_ id: Int) {
        state.withLock { s in
            if let connection = s.connections.removeValue(forKey: id) { close(connection.fd) }
        }
        connectionThreads.leave()
    }
}
