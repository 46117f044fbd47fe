#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Synchronization

/// One TCP connection of the ``HTTPServer``: a state machine driven by the server's event loop (reads,
/// timeouts, closing) and by whichever thread finishes a handler (writing its response).
///
/// Stages: `reading` (parsing the next request) → `handling` (a handler runs; reading pauses, so a
/// pipelining client cannot make the server buffer without bound) → `writing` (the response did not fit
/// the socket at once) → `reading` again on keep-alive, or `lingering` (our side shut, draining the
/// client's leftovers so it gets the response rather than a reset) → `closed`. All state sits behind one
/// lock; the socket is closed only by the loop, under that lock, so a response can never be written to
/// a reused descriptor number.
final class HTTPConnection: Sendable {
    enum Stage: Equatable {
        case reading, handling, writing, lingering, closed
    }

    /// What the caller must do after a step.
    enum Next {
        /// Nothing: wait for the next event.
        case wait
        /// Run the handler for this request (generation `generation`).
        case dispatch(HTTPRequest, generation: Int)
        /// Drive reading again on the loop (input may be waiting that no event will announce).
        case drive
        /// Close and forget the connection.
        case close
    }

    private struct State {
        var stage = Stage.reading
        var parser: HTTPRequestParser
        /// Increases with every request handed to a handler; a late answer for an old one is dropped.
        var generation = 0
        var task: Task<Void, Never>?
        /// Readable events that arrived while reading was paused: input may be waiting.
        var missedReadable = false
        /// Bytes still to write, from `outOffset`.
        var out: [UInt8] = []
        var outOffset = 0
        var keepAliveAfterWrite = false
        var lingerDiscarded = 0
        // Deadlines of the current phase.
        var idleDeadline: ContinuousClock.Instant
        var headDeadline: ContinuousClock.Instant?
        var bodyDeadline: ContinuousClock.Instant?
        var stageDeadline: ContinuousClock.Instant?
    }

    let fd: Int32
    let token: UInt64
    let remoteAddress: String?
    /// Made only to answer 503 at the connection limit; not counted as a connection.
    let isRefusal: Bool
    private let options: HTTPServer.Options
    private let state: Mutex<State>

    private static let continueBytes = Array("HTTP/1.1 100 Continue\r\n\r\n".utf8)
    private static let readChunk = 16 * 1024
    private static let maxLingerBytes = 256 * 1024

    init(fd: Int32, token: UInt64, remoteAddress: String?, options: HTTPServer.Options) {
        self.fd = fd
        self.token = token
        self.remoteAddress = remoteAddress
        self.isRefusal = false
        self.options = options
        // The first request's header clock starts at accept: a connection that sends nothing is closed
        // after the header timeout, not the longer idle timeout.
        let first = ContinuousClock.now + options.headerTimeout
        state = Mutex(State(parser: HTTPRequestParser(limits: options.parserLimits), idleDeadline: first, headDeadline: first))
    }

    /// A connection that only answers `response` (bytes, closing) and then lingers: refusals at the
    /// connection limit.
    init(refusing fd: Int32, token: UInt64, response: [UInt8], options: HTTPServer.Options) {
        self.fd = fd
        self.token = token
        self.remoteAddress = nil
        self.isRefusal = true
        self.options = options
        var s = State(parser: HTTPRequestParser(limits: options.parserLimits), idleDeadline: .now)
        s.stage = .writing
        s.out = response
        s.stageDeadline = .now + min(options.writeTimeout, .seconds(1))
        state = Mutex(s)
    }

    var stage: Stage { state.withLock { $0.stage } }

    // MARK: - Loop side

    /// Input may be available: parse what is buffered, read what the socket has, and return the next
    /// request to handle, if a complete one arrived.
    func readable() -> Next {
        state.withLock { s in
            switch s.stage {
            case .reading:
                return readRequest(&s)
            case .handling, .writing:
                s.missedReadable = true
                return .wait
            case .lingering:
                return discard(&s)
            case .closed:
                return .close
            }
        }
    }

    /// The socket can take more output.
    func writable() -> Next {
        state.withLock { s in
            guard !s.out.isEmpty else { return .wait }
            return flush(&s)
        }
    }

    /// Applies the deadline of the current phase. Called by the loop a few times a second;
    /// `onHandlerTimeout` runs when a handler overran (for the log).
    func expire(now: ContinuousClock.Instant, onHandlerTimeout: () -> Void) -> Next {
        state.withLock { s in
            switch s.stage {
            case .reading:
                let phase = s.parser.phase
                let deadline = switch phase {
                case .idle: s.idleDeadline
                case .head: s.headDeadline ?? s.idleDeadline
                case .body: s.bodyDeadline ?? s.idleDeadline
                }
                guard now >= deadline else { return .wait }
                // Idle keep-alive connections close quietly; a request cut short gets a 408.
                if phase == .idle && s.out.isEmpty { return .close }
                return refuse(&s, .requestTimeout(phase == .body
                    ? "request body was not received in time"
                    : "request headers were not received in time"))
            case .handling:
                guard let deadline = s.stageDeadline, now >= deadline else { return .wait }
                onHandlerTimeout()
                s.generation += 1
                s.task?.cancel()
                s.task = nil
                var response = HTTPResponse.error(status: .gatewayTimeout, code: .timeout, message: "the request took too long")
                response.headers.set(RequestID.header, RequestID.generate())
                return queue(&s, response.serialized(keepAlive: false), keepAlive: false)
            case .writing, .lingering:
                guard let deadline = s.stageDeadline, now >= deadline else { return .wait }
                return .close
            case .closed:
                return .close
            }
        }
    }

    /// Keeps the handler's task so a timeout can cancel it; nothing if that request is already over.
    func attach(_ task: Task<Void, Never>, generation: Int) {
        state.withLock { s in
            if s.stage == .handling && s.generation == generation { s.task = task }
        }
    }

    /// Closes the socket (once). Only the loop calls this.
    func close() {
        state.withLock { s in
            guard s.stage != .closed else { return }
            s.stage = .closed
            s.task?.cancel()
            s.task = nil
            s.out = []
            _ = Glibc.close(fd)
        }
    }

    /// For a graceful stop: closes the connection now if it is between requests. True if it did.
    func closeIfIdle() -> Bool {
        state.withLock { s in
            guard s.stage == .reading, s.parser.phase == .idle, s.out.isEmpty, !s.missedReadable else { return false }
            s.stage = .closed
            _ = Glibc.close(fd)
            return true
        }
    }

    // MARK: - Handler side

    /// Writes the answer to request `generation` (from any thread). A late answer, after a timeout or
    /// a close, is dropped.
    func respond(_ bytes: [UInt8], keepAlive: Bool, generation: Int) -> Next {
        state.withLock { s in
            guard s.stage == .handling, s.generation == generation else { return .wait }
            s.task = nil
            return queue(&s, bytes, keepAlive: keepAlive)
        }
    }

    // MARK: - Steps (under the lock)

    private func readRequest(_ s: inout State) -> Next {
        withUnsafeTemporaryAllocation(byteCount: Self.readChunk, alignment: 16) { buffer in
            while true {
                switch s.parser.next() {
                case .request(let request):
                    s.stage = .handling
                    s.generation += 1
                    s.missedReadable = false
                    s.stageDeadline = .now + options.handlerTimeout
                    return .dispatch(request, generation: s.generation)
                case .error(let error):
                    return refuse(&s, error)
                case .needMore:
                    break
                }
                if s.parser.expectsContinue {
                    s.parser.continueSent()
                    s.out.append(contentsOf: Self.continueBytes)
                    s.stageDeadline = .now + options.writeTimeout
                    if case .close = flush(&s) { return .close }
                }
                let n = recv(fd, buffer.baseAddress, buffer.count, 0)
                if n > 0 {
                    s.parser.append(UnsafeRawBufferPointer(rebasing: buffer[..<n]))
                    continue
                }
                if n == 0 { return .close }
                switch errno {
                case EINTR: continue
                case EAGAIN, EWOULDBLOCK:
                    switch s.parser.phase {
                    case .idle: break
                    case .head: if s.headDeadline == nil { s.headDeadline = .now + options.headerTimeout }
                    case .body: if s.bodyDeadline == nil { s.bodyDeadline = .now + options.bodyTimeout }
                    }
                    return .wait
                default: return .close
                }
            }
        }
    }

    /// Answers a request that cannot be served, then closes (after the answer is written).
    private func refuse(_ s: inout State, _ error: HTTPError) -> Next {
        var response = HTTPResponse.error(error)
        response.headers.set(RequestID.header, RequestID.generate())
        return queue(&s, response.serialized(keepAlive: false), keepAlive: false)
    }

    /// Queues a response and writes what the socket takes now.
    private func queue(_ s: inout State, _ bytes: [UInt8], keepAlive: Bool) -> Next {
        if s.out.isEmpty {
            s.out = bytes
            s.outOffset = 0
        } else {
            s.out.append(contentsOf: bytes)
        }
        s.stage = .writing
        s.keepAliveAfterWrite = keepAlive
        s.stageDeadline = .now + options.writeTimeout
        return flush(&s)
    }

    /// Writes queued output without blocking; moves on once all of it is out.
    private func flush(_ s: inout State) -> Next {
        let fd = self.fd
        while s.outOffset < s.out.count {
            let n = s.out.withUnsafeBytes { raw in
                send(fd, raw.baseAddress! + s.outOffset, raw.count - s.outOffset, Int32(MSG_NOSIGNAL | MSG_DONTWAIT))
            }
            if n > 0 {
                s.outOffset += n
                continue
            }
            if n < 0 && errno == EINTR { continue }
            if n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) { return .wait }
            return .close
        }
        s.out = []
        s.outOffset = 0
        guard s.stage == .writing else { return .wait }  // A `100 Continue` while reading.
        if s.keepAliveAfterWrite {
            s.stage = .reading
            s.stageDeadline = nil
            s.idleDeadline = .now + options.idleTimeout
            s.headDeadline = nil
            s.bodyDeadline = nil
            // Input that arrived while the handler ran announced itself already; go and read it.
            return s.missedReadable || s.parser.bufferedByteCount > 0 ? .drive : .wait
        }
        s.stage = .lingering
        s.stageDeadline = .now + options.lingerTimeout
        shutdown(fd, Int32(SHUT_WR))
        return discard(&s)
    }

    /// Reads and drops what the client still sends after our last response, until it closes.
    private func discard(_ s: inout State) -> Next {
        withUnsafeTemporaryAllocation(byteCount: 4096, alignment: 16) { buffer in
            while true {
                let n = recv(fd, buffer.baseAddress, buffer.count, 0)
                if n > 0 {
                    s.lingerDiscarded += n
                    if s.lingerDiscarded > Self.maxLingerBytes { return .close }
                    continue
                }
                if n < 0 && errno == EINTR { continue }
                if n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) { return .wait }
                return .close
            }
        }
    }
}
