#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import HTTPTesting
import Synchronization
import System
import Transport

/// Runs blocking work on a thread of its own, so tests never block the cooperative pool (the server's
/// handlers run there, and a blocked pool would stall them).
func onThread<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { continuation in
        Threads.spawn(name: "http-test-io") { continuation.resume(returning: body()) }
    }
}

/// A TCP client that writes raw bytes and reads raw responses, for live tests over loopback.
final class RawClient: Sendable {
    let fd: Int32
    private let pending = Mutex<[UInt8]>([])

    private init(fd: Int32) { self.fd = fd }

    deinit { close(fd) }

    /// Connects to `127.0.0.1:port`, or `::1` when `ipv6`.
    /// Connects; with `initial`, writes those bytes on the same thread right after connecting, so tests of
    /// the header clock (which starts at accept) do not depend on how soon a later `send` gets scheduled.
    static func connect(port: Int, ipv6: Bool = false, initial: String? = nil) async throws(SystemError) -> RawClient {
        let result: Result<Int32, SystemError> = await onThread {
            do throws(SystemError) {
                let fd = try Syscall.run("socket") { socket(ipv6 ? AF_INET6 : AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0) }
                let rc: Int32
                if ipv6 {
                    var addr = sockaddr_in6()
                    addr.sin6_family = sa_family_t(AF_INET6)
                    addr.sin6_port = in_port_t(UInt16(port)).bigEndian
                    inet_pton(AF_INET6, "::1", &addr.sin6_addr)
                    rc = withUnsafePointer(to: &addr) {
                        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                            Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in6>.size))
                        }
                    }
                } else {
                    var addr = sockaddr_in()
                    addr.sin_family = sa_family_t(AF_INET)
                    addr.sin_port = in_port_t(UInt16(port)).bigEndian
                    addr.sin_addr.s_addr = inet_addr("127.0.0.1")
                    rc = withUnsafePointer(to: &addr) {
                        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                            Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                        }
                    }
                }
                if rc != 0 {
                    let e = errno
                    close(fd)
                    throw SystemError("connect(\(port))", errno: e)
                }
                if let initial {
                    let bytes = Array(initial.utf8)
                    _ = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                }
                return .success(fd)
            } catch {
                return .failure(error)
            }
        }
        return RawClient(fd: try result.get())
    }

    /// Writes all of `text`. False if the server has closed the connection.
    @discardableResult
    func send(_ text: String) async -> Bool { await send(Array(text.utf8)) }

    /// Writes all of `bytes`. False if the server has closed the connection.
    @discardableResult
    func send(_ bytes: [UInt8]) async -> Bool {
        await onThread { [fd] in
            bytes.withUnsafeBytes { raw in
                var offset = 0
                while offset < raw.count {
                    let n = Glibc.send(fd, raw.baseAddress! + offset, raw.count - offset, Int32(MSG_NOSIGNAL))
                    if n < 0 && errno == EINTR { continue }
                    if n <= 0 { return false }
                    offset += n
                }
                return true
            }
        }
    }

    /// `duration` in whole milliseconds, rounded up.
    private static func milliseconds(_ duration: Duration) -> Int32 {
        let (seconds, attoseconds) = duration.components
        return Int32(clamping: seconds * 1000 + (attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000)
    }

    /// Reads once: waits up to `timeoutMs` for data. nil on timeout, [] at end of stream or error.
    private static func readSome(_ fd: Int32, timeoutMs: Int32) -> [UInt8]? {
        var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        let r = poll(&p, 1, timeoutMs)
        if r == 0 { return nil }
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        return n > 0 ? Array(chunk[..<n]) : []
    }

    /// Reads one complete response (an interim `100 Continue` counts as one). nil if the connection
    /// closed or nothing complete arrived within `timeout`.
    func readResponse(timeout: Duration = .seconds(5)) async -> HTTPTestResponse? {
        await onThread { [self] in
            let deadline = ContinuousClock.now + timeout
            var buffer = pending.withLock { p in let b = p; p = []; return b }
            while true {
                if let (response, used) = Self.parse(buffer) {
                    pending.withLock { $0 = Array(buffer[used...]) }
                    return response
                }
                let left = deadline - .now
                guard left > .zero else { return nil }
                guard let chunk = Self.readSome(fd, timeoutMs: Self.milliseconds(left)),
                      !chunk.isEmpty else { return nil }
                buffer += chunk
            }
        }
    }

    /// Reads until the server closes the connection or `timeout` passes. Returns everything read and
    /// whether the connection was closed (the readiness signal for "the server hung up").
    func readUntilClosed(timeout: Duration = .seconds(5)) async -> (bytes: [UInt8], closed: Bool) {
        await onThread { [self] in
            let deadline = ContinuousClock.now + timeout
            var buffer = pending.withLock { p in let b = p; p = []; return b }
            while true {
                let left = deadline - .now
                guard left > .zero else { return (buffer, false) }
                guard let chunk = Self.readSome(fd, timeoutMs: Self.milliseconds(left)) else {
                    continue
                }
                if chunk.isEmpty { return (buffer, true) }
                buffer += chunk
            }
        }
    }

    /// Parses one response from the front of `bytes`: status line, headers, `Content-Length` body.
    static func parse(_ bytes: [UInt8]) -> (HTTPTestResponse, Int)? {
        let separator: [UInt8] = Array("\r\n\r\n".utf8)
        guard let end = bytes.firstRange(of: separator),
              let (status, headers) = HTTPTestResponse.parseHead(bytes[..<end.lowerBound]) else { return nil }
        var response = HTTPTestResponse(status: status, headers: headers, body: [])
        let length = status == 100 ? 0 : Int(response.header("content-length") ?? "0") ?? 0
        guard bytes.count >= end.upperBound + length else { return nil }
        response.body = Array(bytes[end.upperBound ..< end.upperBound + length])
        return (response, end.upperBound + length)
    }

    /// Closes the socket early (the deinit closes it otherwise).
    func shutdown() {
        Glibc.shutdown(fd, Int32(SHUT_RDWR))
    }
}
