import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One request as the stub server read it off the socket.
struct CapturedRequest: Sendable {
    var method: String
    /// Path and query exactly as sent (`/v1/events?limit=100`).
    var target: String
    var headers: [(String, String)]
    var body: [UInt8]

    /// The first value of `name`, case-insensitive.
    func header(_ name: String) -> String? {
        headers.first { $0.0.lowercased() == name.lowercased() }?.1
    }

    var bodyText: String { String(decoding: body, as: UTF8.self) }
}

/// What the stub does with one request.
enum StubAction: Sendable {
    /// A complete response, then the connection is closed.
    case respond(status: Int, headers: [(String, String)] = [], body: String)
    /// Never answers: waits until the client gives up and closes the connection.
    case hang
    /// Resets the connection (SO_LINGER 0, then close) after reading the request.
    case reset
}

/// A tiny HTTP/1.1 server on a raw loopback socket (port 0), one thread per connection, one request per
/// connection (`Connection: close`). Raw sockets so a test can make it hang or reset the connection.
final class StubServer: @unchecked Sendable {
    // @unchecked: `captured` is only touched under `lock`; everything else is immutable after init.
    let port: UInt16
    private let listenFD: Int32
    private let lock = NSLock()
    private var captured: [CapturedRequest] = []
    private var held: [Duration] = []
    private var stopped = false
    private var heldWaiters: [(Int, CheckedContinuation<[Duration], Never>)] = []
    private let handler: @Sendable (_ attempt: Int, _ request: CapturedRequest) -> StubAction

    /// `handler` gets the 1-based number of the request and the request.
    init(_ handler: @escaping @Sendable (_ attempt: Int, _ request: CapturedRequest) -> StubAction) throws {
        self.handler = handler
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw StubError("socket: errno \(errno)") }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = 0
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 64) == 0 else { close(fd); throw StubError("bind/listen: errno \(errno)") }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        listenFD = fd
        port = UInt16(bigEndian: addr.sin_port)
        let thread = Thread { [self] in acceptLoop() }
        thread.start()
    }

    /// `http://127.0.0.1:<port>`.
    var baseURL: String { "http://127.0.0.1:\(port)" }

    /// Every request received so far, in arrival order.
    var requests: [CapturedRequest] {
        lock.lock()
        defer { lock.unlock() }
        return captured
    }

    /// For `.hang`: how long each hung connection stayed open until the client closed it (measured on the
    /// server's own thread).
    var hangDurations: [Duration] {
        lock.lock()
        defer { lock.unlock() }
        return held
    }

    /// Waits until `count` hung connections have been closed by the client, then returns their durations.
    func hangDurations(count: Int) async -> [Duration] {
        await withCheckedContinuation { continuation in
            lock.lock()
            if held.count >= count {
                let result = held
                lock.unlock()
                continuation.resume(returning: result)
            } else {
                heldWaiters.append((count, continuation))
                lock.unlock()
            }
        }
    }

    /// Stops accepting (connections in progress finish on their own). Idempotent; the accept thread closes
    /// the listening socket once it sees the flag, so no stale descriptor is ever touched.
    func stop() {
        lock.lock()
        let first = !stopped
        stopped = true
        lock.unlock()
        if first { shutdown(listenFD, Int32(SHUT_RDWR)) }
    }

    private func acceptLoop() {
        while true {
            let fd = accept(listenFD, nil, nil)
            if fd < 0 {
                lock.lock()
                let done = stopped
                lock.unlock()
                if done { break }
                continue
            }
            let connection = Thread { [self] in serve(fd) }
            connection.start()
        }
        close(listenFD)
    }

    private func serve(_ fd: Int32) {
        guard let request = readRequest(fd) else { close(fd); return }
        let attempt: Int = {
            lock.lock()
            defer { lock.unlock() }
            captured.append(request)
            return captured.count
        }()
        switch handler(attempt, request) {
        case .respond(let status, let headers, let body):
            var head = "HTTP/1.1 \(status) Stub\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\nConnection: close\r\n"
            for (name, value) in headers { head += "\(name): \(value)\r\n" }
            writeAll(fd, Array((head + "\r\n" + body).utf8))
            shutdown(fd, Int32(SHUT_WR))
            drain(fd)
            close(fd)
        case .hang:
            let clock = ContinuousClock()
            let start = clock.now
            drain(fd)  // returns when the client closes the connection
            let duration = clock.now - start
            close(fd)
            lock.lock()
            held.append(duration)
            let result = held
            let ready = heldWaiters.filter { $0.0 <= result.count }
            heldWaiters.removeAll { $0.0 <= result.count }
            lock.unlock()
            for (_, continuation) in ready { continuation.resume(returning: result) }
        case .reset:
            var linger = Glibc.linger(l_onoff: 1, l_linger: 0)
            setsockopt(fd, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size))
            close(fd)
        }
    }

    /// Reads until the client closes (or errors).
    private func drain(_ fd: Int32) {
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return }
        }
    }

    private func writeAll(_ fd: Int32, _ bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + offset, $0.count - offset) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return }
            offset += n
        }
    }

    /// Reads one request: head up to CRLFCRLF, then `Content-Length` bytes of body.
    private func readRequest(_ fd: Int32) -> CapturedRequest? {
        var data: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        let separator: [UInt8] = Array("\r\n\r\n".utf8)
        var headEnd: Int?
        var contentLength = 0
        var parsed: (String, String, [(String, String)])?
        while true {
            if headEnd == nil, let range = data.firstRange(of: separator) {
                headEnd = range.upperBound
                let head = String(decoding: data[..<range.lowerBound], as: UTF8.self)
                var lines = head.components(separatedBy: "\r\n")
                let requestLine = lines.removeFirst().split(separator: " ")
                guard requestLine.count == 3 else { return nil }
                var headers: [(String, String)] = []
                for line in lines {
                    guard let colon = line.firstIndex(of: ":") else { continue }
                    let name = String(line[..<colon])
                    let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
                    headers.append((name, value))
                    if name.lowercased() == "content-length" { contentLength = Int(value) ?? 0 }
                }
                parsed = (String(requestLine[0]), String(requestLine[1]), headers)
            }
            if let headEnd, let parsed, data.count >= headEnd + contentLength {
                return CapturedRequest(method: parsed.0, target: parsed.1, headers: parsed.2,
                                       body: Array(data[headEnd..<(headEnd + contentLength)]))
            }
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return nil }
            data.append(contentsOf: buffer[..<n])
        }
    }
}

struct StubError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// A loopback port nobody listens on (bound, then closed).
func closedLoopbackPort() throws -> UInt16 {
    let server = try StubServer { _, _ in .respond(status: 500, body: "{}") }
    let port = server.port
    server.stop()
    return port
}
