#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import CLinux
@preconcurrency import Dispatch
import Logging
import Synchronization
import System
import Transport

/// An HTTP/1.1 server over TCP, meant to sit behind a TLS-terminating proxy.
///
/// One event-loop thread (epoll, edge-triggered, non-blocking sockets) accepts, reads and parses for
/// every connection. Each complete request starts its handler with `Task.immediate` on that thread: a
/// handler that never suspends (a health check) is answered without any thread hop, and one that waits
/// (a call to another service) frees the loop at once and writes its response from whichever thread it
/// resumes on. Requests are parsed by ``HTTPRequestParser`` (strict, bounded); every refusal is a small
/// JSON error followed by closing the connection. Timeouts bound every phase: idle keep-alive, headers
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
    /// Answers one request. Starts on the server's event-loop thread and runs there until its first
    /// suspension, so it must never block; it may suspend as long as it likes (up to the handler timeout).
    public typealias Handler = @Sendable (HTTPRequest) async -> HTTPResponse

    /// The host given at creation: an IP literal or `localhost`.
    public let host: String
    /// Limits and timeouts.
    public let options: Options
    let handler: Handler
    let logger: Logger
    private let requestedPort: Int

    private struct State {
        var loop: EventLoop?
        var boundPort: Int?
        var started = false
        var stopping = false
    }
    private let state = Mutex(State())
    /// Admitted connections (refusals at the limit not counted).
    private let admitted = Atomic<Int>(0)
    private let stopped = DispatchSemaphore(value: 0)

    /// Everything only the loop thread touches.
    private final class LoopState: @unchecked Sendable {
        var listenFD: Int32 = -1
        var connections: [UInt64: HTTPConnection] = [:]
        var nextToken: UInt64 = 1
        var acceptPaused = false
        var refusing = 0
        var drainDeadline: ContinuousClock.Instant?
        var lastRefusalLog: ContinuousClock.Instant?
    }
    private let loopState = LoopState()
    private static let listenToken: UInt64 = 0
    private static let tick: Duration = .milliseconds(20)

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
    public var connectionCount: Int { admitted.load(ordering: .relaxed) }

    /// Binds and starts serving. Throws if the address is invalid or taken; starting twice traps.
    public func start() throws(SystemError) {
        UnixSocket.ignoreSIGPIPE()
        let (fd, port) = try TCPSocket.listen(host: host, port: requestedPort, backlog: options.listenBacklog)
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        let loop: EventLoop
        do throws(SystemError) { loop = try EventLoop() } catch {
            close(fd)
            throw error
        }
        state.withLock { s in
            precondition(!s.started, "HTTPServer.start() called twice")
            s.started = true
            s.boundPort = port
            s.loop = loop
        }
        loopState.listenFD = fd
        loop.register(fd, token: Self.listenToken, events: EPOLLIN.rawValue)
        Threads.spawn(name: "http-loop", stackSize: 8 << 20) { [self] in
            loop.run(tickInterval: Self.tick, wantsTicks: { [self] in wantsTicks },
                     tick: { [self] in tick(loop) }, handle: { [self] token, readiness in handle(token, readiness, loop) })
            finish()
            stopped.signal()
        }
        logger.info("HTTP server listening", ["http.host": host, "http.port": String(port)])
    }

    /// Stops gracefully and returns when done: stops accepting, closes idle keep-alive connections, lets
    /// in-flight requests finish (up to ``Options/drainTimeout``; their responses say
    /// `Connection: close`), then closes whatever is left. Calling it again, or before ``start()``, does
    /// nothing.
    ///
    /// Blocks the calling thread; from async code use the `async` overload.
    public func stop() {
        let loop: EventLoop? = state.withLock { s in
            guard s.started, !s.stopping else { return nil }
            s.stopping = true
            return s.loop
        }
        guard let loop else { return }
        loop.execute { [self] in beginStop(loop) }
        stopped.wait()
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

    /// Whether the server is shutting down; responses then close their connection.
    var isStopping: Bool { state.withLock { $0.stopping } }

    // MARK: - The loop (all of this runs on the loop thread)

    private var wantsTicks: Bool {
        !loopState.connections.isEmpty || loopState.acceptPaused || loopState.drainDeadline != nil
    }

    private func handle(_ token: UInt64, _ readiness: EventLoop.Readiness, _ loop: EventLoop) {
        if token == Self.listenToken {
            acceptAll(loop)
            return
        }
        guard let connection = loopState.connections[token] else { return }
        if readiness.contains(.writable) || readiness.contains(.error) {
            act(connection.writable(), on: connection, loop)
        }
        if !readiness.isDisjoint(with: [.readable, .peerClosed, .hangUp, .error]) {
            act(connection.readable(), on: connection, loop)
        }
    }

    /// Carries out what a connection step asked for. Runs on the loop.
    private func act(_ next: HTTPConnection.Next, on connection: HTTPConnection, _ loop: EventLoop) {
        var next = next
        while true {
            switch next {
            case .wait:
                return
            case .close:
                forget(connection)
                return
            case .drive:
                next = connection.readable()
            case .dispatch(let request, let generation):
                dispatch(request, generation: generation, on: connection, loop)
                // A handler that answered inline may have left a pipelined request to read next.
                guard connection.stage == .reading else { return }
                next = connection.readable()
            }
        }
    }

    /// Starts the handler for one request. It runs inline until it first suspends.
    private func dispatch(_ incoming: HTTPRequest, generation: Int, on connection: HTTPConnection, _ loop: EventLoop) {
        let started = ContinuousClock.now
        var request = incoming
        request.requestID = RequestID.resolve(for: request)
        request.remoteAddress = connection.remoteAddress
        let handler = self.handler
        let task = Task.immediate { [self] in
            var response = await handler(request)
            response.headers.set(RequestID.header, request.requestID)
            let keepAlive = request.keepAlive && !response.closesConnection && !isStopping
            let bytes = response.serialized(keepAlive: keepAlive, includeBody: request.method != .head)
            let next = connection.respond(bytes, keepAlive: keepAlive, generation: generation)
            if logger.minimumLevel <= .debug {
                // The query is left out: it can carry secrets (Stripe puts client secrets in return URLs).
                logger.debug("HTTP request", [
                    "http.method": request.method.rawValue, "http.path": String(request.path.prefix(256)),
                    "http.status": String(response.status.code), "http.request_id": request.requestID,
                    "http.duration_ms": String((ContinuousClock.now - started).roundedUpMilliseconds),
                ])
            }
            switch next {
            case .wait: break
            case .drive, .close, .dispatch:
                // Reading resumes (or the connection ends) on the loop, whichever thread this is.
                if loop.inLoop {
                    if case .close = next { forget(connection) }  // .drive is picked up by `act`.
                } else {
                    loop.execute { [self] in act(next, on: connection, loop) }
                }
            }
        }
        connection.attach(task, generation: generation)
    }

    private func acceptAll(_ loop: EventLoop) {
        let ls = loopState
        while ls.listenFD >= 0 {
            var peer = sockaddr_storage()
            var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
            let client = withUnsafeMutablePointer(to: &peer) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { accept(ls.listenFD, $0, &length) }
            }
            if client < 0 {
                switch errno {
                case EAGAIN, EWOULDBLOCK:
                    ls.acceptPaused = false
                    return
                case EINTR, ECONNABORTED, EPROTO:
                    continue
                case EMFILE, ENFILE, ENOBUFS, ENOMEM:
                    // Out of descriptors or memory: retry on the next tick; open connections keep working.
                    if !ls.acceptPaused { logger.error("accept failed; retrying shortly", ["errno": String(errno)]) }
                    ls.acceptPaused = true
                    return
                default:
                    logger.error("accept failed", ["errno": String(errno)])
                    ls.acceptPaused = true
                    return
                }
            }
            // Glibc's module does not export accept4, hence the separate calls.
            _ = fcntl(client, F_SETFD, FD_CLOEXEC)
            _ = fcntl(client, F_SETFL, fcntl(client, F_GETFL) | O_NONBLOCK)
            var one: Int32 = 1
            _ = setsockopt(client, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
            admit(client, peer: peer, loop)
        }
    }

    private func admit(_ client: Int32, peer: sockaddr_storage, _ loop: EventLoop) {
        let ls = loopState
        let token = ls.nextToken
        ls.nextToken += 1
        let events = EPOLLIN.rawValue | EPOLLOUT.rawValue | EPOLLRDHUP.rawValue
        guard admitted.load(ordering: .relaxed) < options.maxConnections else {
            refuse(client, token: token, loop)
            return
        }
        let connection = HTTPConnection(fd: client, token: token, remoteAddress: TCPSocket.describe(peer).map(TCPSocket.format),
                                        options: options)
        ls.connections[token] = connection
        admitted.add(1, ordering: .relaxed)
        if !loop.register(client, token: token, events: events) {
            logger.error("cannot watch a new connection", ["errno": String(errno)])
            forget(connection)
        }
    }

    /// Answers a connection over the limit with 503 and closes it once written. A bounded number of
    /// refusals linger at once; past that, one non-blocking write and an immediate close.
    private func refuse(_ fd: Int32, token: UInt64, _ loop: EventLoop) {
        var response = HTTPResponse.error(.unavailable("too many connections; try again later"))
        response.headers.set("Retry-After", "1")
        response.headers.set(RequestID.header, RequestID.generate())
        let bytes = response.serialized(keepAlive: false)
        let ls = loopState
        let now = ContinuousClock.now
        if ls.lastRefusalLog.map({ now - $0 >= .seconds(1) }) ?? true {
            ls.lastRefusalLog = now
            logger.warn("refusing HTTP connections: at the connection limit", ["http.max_connections": String(options.maxConnections)])
        }
        guard ls.refusing < 16 else {
            _ = bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT | MSG_NOSIGNAL)) }
            close(fd)
            return
        }
        let connection = HTTPConnection(refusing: fd, token: token, response: bytes, options: options)
        ls.connections[token] = connection
        ls.refusing += 1
        loop.register(fd, token: token, events: EPOLLIN.rawValue | EPOLLOUT.rawValue | EPOLLRDHUP.rawValue)
        act(connection.writable(), on: connection, loop)
    }

    /// Closes a connection and drops it from the table.
    private func forget(_ connection: HTTPConnection) {
        guard loopState.connections.removeValue(forKey: connection.token) != nil else { return }
        connection.close()
        if connection.isRefusal {
            loopState.refusing -= 1
        } else {
            admitted.subtract(1, ordering: .relaxed)
        }
    }

    /// Applies timeouts; during a stop, ends the loop once every connection is gone or the drain time is up.
    private func tick(_ loop: EventLoop) -> Bool {
        let ls = loopState
        let now = ContinuousClock.now
        if ls.acceptPaused && ls.listenFD >= 0 { acceptAll(loop) }
        for connection in Array(ls.connections.values) {
            let next = connection.expire(now: now) {
                logger.error("HTTP handler timed out", ["http.connection": String(connection.token)])
            }
            act(next, on: connection, loop)
        }
        guard let drainDeadline = ls.drainDeadline else { return true }
        if ls.connections.isEmpty { return false }
        if now >= drainDeadline {
            logger.warn("HTTP server stopping with requests still in flight after the drain timeout",
                        ["http.connections": String(ls.connections.count)])
            return false
        }
        return true
    }

    /// The start of a graceful stop: no more accepting, idle connections closed.
    private func beginStop(_ loop: EventLoop) {
        let ls = loopState
        if ls.listenFD >= 0 {
            loop.unregister(ls.listenFD)
            close(ls.listenFD)
            ls.listenFD = -1
        }
        ls.drainDeadline = .now + options.drainTimeout
        for connection in Array(ls.connections.values) where connection.closeIfIdle() {
            forget(connection)
        }
    }

    /// After the loop ended: closes whatever is left.
    private func finish() {
        let ls = loopState
        for connection in Array(ls.connections.values) { forget(connection) }
        if ls.listenFD >= 0 {
            close(ls.listenFD)
            ls.listenFD = -1
        }
    }
}
