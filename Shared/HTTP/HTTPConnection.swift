#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
@preconcurrency import Dispatch
import Logging
import Synchronization

/// Serves one TCP connection on its own thread: reads with the deadline of the current phase, parses,
/// runs the handler as a task, writes the response, and closes on error, timeout or request.
///
/// Used only by the thread that created it, so it needs no locking. The socket itself is closed by the
/// server once ``run()`` returns.
final class HTTPConnection {
    private let server: HTTPServer
    private let fd: Int32
    private let id: Int
    private let remoteAddress: String?
    private let options: HTTPServer.Options
    private var parser: HTTPRequestParser
    private let buffer: UnsafeMutableRawBufferPointer
    private var busy = false

    private static let continueBytes = Array("HTTP/1.1 100 Continue\r\n\r\n".utf8)

    init(server: HTTPServer, fd: Int32, id: Int, remoteAddress: String?) {
        self.server = server
        self.fd = fd
        self.id = id
        self.remoteAddress = remoteAddress
        self.options = server.options
        self.parser = HTTPRequestParser(limits: server.options.parserLimits)
        self.buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 16 * 1024, alignment: 16)
    }

    deinit { buffer.deallocate() }

    /// Serves requests until the connection should close.
    func run() {
        // The first request's header clock starts at accept: a connection that sends nothing is
        // closed after the header timeout, not the longer idle timeout.
        var idleDeadline = Deadline.after(options.headerTimeout)
        var headDeadline: Deadline? = idleDeadline
        var bodyDeadline: Deadline?
        while true {
            switch parser.next() {
            case .request(let request):
                guard serve(request) else { return }
                headDeadline = nil
                bodyDeadline = nil
                if parser.phase == .idle {
                    guard server.markIdle(id) else { return }
                    busy = false
                    idleDeadline = .after(options.idleTimeout)
                }
                continue
            case .error(let error):
                refuse(error)
                return
            case .needMore:
                break
            }
            if parser.expectsContinue {
                guard TCPSocket.writeAll(fd, Self.continueBytes, deadline: .after(options.writeTimeout)) else { return }
                parser.continueSent()
            }
            let phase = parser.phase
            let deadline: Deadline
            switch phase {
            case .idle:
                deadline = idleDeadline
            case .head:
                if headDeadline == nil { headDeadline = .after(options.headerTimeout) }
                deadline = headDeadline!
            case .body:
                if bodyDeadline == nil { bodyDeadline = .after(options.bodyTimeout) }
                deadline = bodyDeadline!
            }
            switch TCPSocket.read(fd, into: buffer, deadline: deadline) {
            case .data(let n):
                if !busy {
                    guard server.markBusy(id) else { return }
                    busy = true
                }
                parser.append(UnsafeRawBufferPointer(rebasing: buffer[..<n]))
            case .timeout:
                // Idle keep-alive connections are closed quietly; a request cut short gets a 408.
                if phase == .idle { return }
                refuse(.requestTimeout(phase == .head
                    ? "request headers were not received in time"
                    : "request body was not received in time"))
                return
            case .closed:
                return
            case .failed(let e):
                server.logger.debug("HTTP connection read failed", ["errno": String(e)])
                return
            }
        }
    }

    /// Runs the handler for `request` and writes its response. Returns whether to keep the connection.
    private func serve(_ incoming: HTTPRequest) -> Bool {
        let started = ContinuousClock.now
        var request = incoming
        request.requestID = RequestID.resolve(for: request)
        request.remoteAddress = remoteAddress
        var (response, timedOut) = respond(to: request)
        response.headers.set(RequestID.header, request.requestID)
        let keepAlive = request.keepAlive && !timedOut && !response.closesConnection && !server.isStopping
        let bytes = response.serialized(keepAlive: keepAlive, includeBody: request.method != .head)
        let written = TCPSocket.writeAll(fd, bytes, deadline: .after(options.writeTimeout))
        let elapsed = ContinuousClock.now - started
        // The query is left out: it can carry secrets (Stripe puts client secrets in return URLs).
        server.logger.debug("HTTP request", [
            "http.method": request.method.rawValue, "http.path": String(request.path.prefix(256)),
            "http.status": String(response.status.code), "http.request_id": request.requestID,
            "http.duration_ms": String(elapsed.roundedUpMilliseconds),
        ])
        guard written else { return false }
        if !keepAlive {
            TCPSocket.linger(fd, deadline: .after(options.lingerTimeout))
            return false
        }
        return true
    }

    /// Runs the handler as a task and waits for its answer, up to the handler timeout.
    private func respond(to request: HTTPRequest) -> (HTTPResponse, timedOut: Bool) {
        let slot = ResponseSlot()
        let handler = server.handler
        let task = Task {
            slot.fill(await handler(request))
        }
        if let response = slot.wait(timeout: options.handlerTimeout) { return (response, false) }
        task.cancel()
        server.logger.error("HTTP handler timed out", [
            "http.method": request.method.rawValue, "http.path": String(request.path.prefix(256)),
            "http.request_id": request.requestID,
        ])
        return (.error(status: .gatewayTimeout, code: .timeout, message: "the request took too long"), true)
    }

    /// Answers a request that cannot be served, then closes.
    private func refuse(_ error: HTTPError) {
        var response = HTTPResponse.error(error)
        response.headers.set(RequestID.header, RequestID.generate())
        server.logger.debug("HTTP request refused", ["http.status": String(error.status.code), "error.code": error.code.rawValue])
        if TCPSocket.writeAll(fd, response.serialized(keepAlive: false), deadline: .after(options.writeTimeout)) {
            TCPSocket.linger(fd, deadline: .after(options.lingerTimeout))
        }
    }
}

/// Hands a handler's response from its task to the waiting connection thread.
private final class ResponseSlot: Sendable {
    private let response = Mutex<HTTPResponse?>(nil)
    private let ready = DispatchSemaphore(value: 0)

    func fill(_ value: HTTPResponse) {
        response.withLock { $0 = value }
        ready.signal()
    }

    func wait(timeout: Duration) -> HTTPResponse? {
        let deadline = DispatchTime.now() + .milliseconds(Int(timeout.roundedUpMilliseconds))
        guard ready.wait(timeout: deadline) == .success else { return nil }
        return response.withLock { $0 }
    }
}
