#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
@preconcurrency import Dispatch
import CLinux
import Logging
import Synchronization
import System
import Wire

/// Serves framed envelopes on a Unix socket.
///
/// One accept thread, one reader thread per connection; handlers run inline on the reader (``Handler/inline``),
/// as tasks started on the reader until they first suspend (``Handler/task``), or start on the reader and
/// answer from a callback on another thread (``Handler/deferred``), and answers go back
/// through the connection's non-blocking writer, so pipelined requests may be answered in any order. A bad frame or a misbehaving peer only ever costs its
/// own connection.
public final class MessageServer: Sendable {
    /// Limits and timeouts.
    public struct Options: Sendable {
        /// Largest accepted frame payload.
        public var maxFrameBytes = Frame.defaultMaxPayload
        /// Connections beyond this are answered `unavailable` and closed.
        public var maxConnections = 1024
        /// A peer that stops in the middle of a frame for this long is disconnected.
        public var partialFrameTimeoutMs: Int32 = 10_000
        /// Bytes queued for a peer that does not read before it is disconnected.
        public var maxPendingWriteBytes = 16 << 20
        /// How long ``stop()`` waits for in-flight work.
        public var drainTimeoutMs = 4_000
        /// Decides whether the peer (by its uid, from `SO_PEERCRED`; nil if unknown) may send a message of
        /// this type and kind; an error refuses it. nil: every peer may send everything.
        public var senderCheck: (@Sendable (_ type: String, _ kind: Envelope.Kind, _ peerUID: UInt32?) -> WireError?)?

        public init() {}
    }

    public let socketPath: String
    public let router: Router
    public let options: Options
    private let logger: Logger

    private struct State {
        var acceptor: Acceptor?
        var connections: [ObjectIdentifier: FramedConnection] = [:]
        var stopping = false
    }
    private let state = Mutex(State())
    private let inFlight = DispatchGroup()

    public init(socketPath: String, router: Router, options: Options = Options(), logger: Logger) {
        self.socketPath = socketPath
        self.router = router
        self.options = options
        self.logger = logger.with("socket", socketPath)
    }

    /// Number of open connections.
    public var connectionCount: Int { state.withLock { $0.connections.count } }

    /// Binds the socket and starts accepting. Throws if the socket cannot be set up or another live
    /// process owns it.
    public func start() throws(SystemError) {
        UnixSocket.ignoreSIGPIPE()
        let fd = try UnixSocket.listen(path: socketPath)
        let acceptor = try Acceptor(listenFD: fd, logger: logger) { [self] client, _ in admit(client) }
        state.withLock { $0.acceptor = acceptor }
    }

    /// Stops gracefully: stops accepting, removes the socket file, waits for in-flight requests (up to
    /// ``Options/drainTimeoutMs``), then closes every connection.
    public func stop() {
        let acceptor: Acceptor? = state.withLock { s in
            if s.stopping { return nil }
            s.stopping = true
            return s.acceptor
        }
        guard let acceptor else { return }
        acceptor.stop()
        unlink(socketPath)
        if inFlight.wait(timeout: .now() + .milliseconds(options.drainTimeoutMs)) == .timedOut {
            logger.warn("stopping with requests still in flight after the drain timeout")
        }
        let connections = state.withLock { s in Array(s.connections.values) }
        for c in connections { c.shutdownBoth() }
    }

    /// Registers a new connection and starts its reader, or refuses it beyond the connection limit.
    private func admit(_ client: Int32) {
        let connection = FramedConnection(fd: client, maxPendingBytes: options.maxPendingWriteBytes)
        let admitted: Bool = state.withLock { s in
            guard s.connections.count < options.maxConnections, !s.stopping else { return false }
            s.connections[ObjectIdentifier(connection)] = connection
            return true
        }
        if !admitted {
            let refusal = Envelope(kind: .response, type: "sys.error",
                                   error: .unavailable("too many connections (limit \(options.maxConnections))"))
            connection.send(refusal.frame())
            connection.shutdownBoth()
            return
        }
        // Who is calling, read once per connection: the kernel's word, not the peer's.
        var uid: UInt32 = 0
        let peerUID: UInt32? = clinux_peer_uid(client, &uid) == 0 ? uid : nil
        Threads.spawn(name: "shop-conn") { [self] in serve(connection, peerUID: peerUID) }
    }

    private func serve(_ connection: FramedConnection, peerUID: UInt32?) {
        // Requests of this connection still being handled: their answers must go out before it closes,
        // whether the peer half-closed after pipelining or a later frame was bad.
        let pending = DispatchGroup()
        let end = connection.readLoop(maxPayload: options.maxFrameBytes,
                                      partialFrameTimeoutMs: options.partialFrameTimeoutMs) { frame in
            handle(frame: frame, on: connection, peerUID: peerUID, pending: pending)
            return true
        }
        _ = pending.wait(timeout: .now() + .milliseconds(options.drainTimeoutMs))
        switch end {
        case .frameError(let error):
            // The stream is out of sync: say why, then hang up.
            logger.warn("closing connection after a bad frame", ["reason": error.description])
            connection.send(Envelope(kind: .response, type: "sys.error", error: error.wireError).frame())
        case .partialFrameTimeout:
            logger.warn("closing connection: frame incomplete for too long")
            connection.send(Envelope(kind: .response, type: "sys.error",
                                     error: .frameRejected("frame incomplete after \(options.partialFrameTimeoutMs) ms")).frame())
        case .readError(let e):
            logger.debug("connection read failed", ["errno": String(e)])
        case .peerClosed, .stoppedByHandler:
            break
        }
        connection.shutdownBoth()
        _ = state.withLock { s in s.connections.removeValue(forKey: ObjectIdentifier(connection)) }
    }

    private func handle(frame: ArraySlice<UInt8>, on connection: FramedConnection, peerUID: UInt32?, pending: DispatchGroup) {
        let envelope: Envelope
        do {
            envelope = try Envelope.decode(slice: frame)
        } catch {
            let reply = Envelope(kind: error.kind == .event ? .ack : .response, type: error.type ?? "sys.error",
                                 replyTo: error.id, traceID: error.traceID, error: error.error)
            connection.send(fitting(reply))
            return
        }
        guard envelope.kind == .request || envelope.kind == .event else {
            connection.send(fitting(envelope.reply(error: .invalidArgument(
                "a service accepts only request and event messages, not \(envelope.kind.rawValue)"))))
            return
        }
        guard let handler = router[envelope.type] else {
            connection.send(fitting(envelope.reply(error: .unknownType(envelope.type))))
            return
        }
        if let check = options.senderCheck, let refusal = check(envelope.type, envelope.kind, peerUID) {
            logger.warn("message refused: sender not allowed", ["type": String(envelope.type.prefix(128)),
                                                                 "peer.uid": peerUID.map { String($0) } ?? "unknown"])
            connection.send(fitting(envelope.reply(error: refusal)))
            return
        }
        let request = Request(envelope: envelope)
        inFlight.enter()
        pending.enter()
        // Sends the one answer, whichever kind of handler produced it on whichever thread, and releases the
        // request's place in the drain groups.
        let finish: @Sendable (Result<RawJSON?, any Error>) -> Void = { [self] result in
            let reply = switch result {
            case .success(let payload): envelope.reply(payload: payload ?? .emptyObject)
            case .failure(let error): envelope.reply(error: Self.wireError(error, request: request, logger: logger))
            }
            connection.send(fitting(reply))
            pending.leave()
            inFlight.leave()
        }
        switch handler {
        case .inline(let body):
            finish(Result { try body(request) })
        case .task(let body):
            Task.immediate {
                do { finish(.success(try await body(request))) } catch { finish(.failure(error)) }
            }
        case .deferred(let body):
            body(request, Responder(finish: finish))
        }
    }

    /// The reply's frame, or an `internal` error in its place if it would exceed the frame limit (which
    /// the caller would refuse, losing the connection).
    private func fitting(_ reply: Envelope) -> [UInt8] {
        let frame = reply.frame()
        if frame.count - Frame.headerSize <= options.maxFrameBytes { return frame }
        logger.error("reply too large for a frame; answering internal instead",
                     ["type": String(reply.type.prefix(128)), "bytes": String(frame.count)])
        var small = reply
        small.type = String(reply.type.prefix(128))
        small.payload = nil
        small.error = .internalError("reply of \(frame.count) bytes exceeds the frame limit")
        return small.frame()
    }

    /// Wire errors pass through; anything else is logged here and answered as `internal` without details,
    /// so nothing sensitive leaks to the caller.
    static func wireError(_ error: any Error, request: Request, logger: Logger) -> WireError {
        if let wire = error as? WireError { return wire }
        logger.error("handler failed", ["type": request.type, "trace.id": request.traceID ?? "", "error": "\(error)"])
        return .internalError()
    }
}
