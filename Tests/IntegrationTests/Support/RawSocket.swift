import Foundation
import System
import Transport
import Wire

/// A raw client socket for writing hand-made bytes to a service and reading what comes back.
final class RawSocket {
    let fd: Int32

    init(path: String) throws {
        fd = try UnixSocket.connect(path: path)
    }

    deinit { close(fd) }

    func write(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { send(fd, $0.baseAddress! + offset, bytes.count - offset, Int32(MSG_NOSIGNAL)) }
            if n < 0 {
                if errno == EINTR { continue }
                throw SystemError("send", errno: errno)
            }
            offset += n
        }
    }

    func write(_ envelope: Envelope) throws { try write(envelope.frame()) }

    /// Half-closes the writing side (the service sees end-of-file after our bytes).
    func shutdownWrite() { shutdown(fd, Int32(SHUT_WR)) }

    private var decoder = FrameDecoder(maxPayload: 16 << 20)

    /// Reads the next frame's envelope; nil at end-of-file. Throws after `timeoutMs` without one.
    func read(timeoutMs: Int32 = 5_000) throws -> Envelope? {
        let deadline = ContinuousClock.now + .milliseconds(Int(timeoutMs))
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            if let payload = try decoder.next() { return try Envelope.decode(slice: payload) }
            let remaining = deadline - ContinuousClock.now
            guard remaining > .zero else { throw ServiceFailure("no frame within \(timeoutMs) ms") }
            var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let ms = Int32(remaining.components.seconds * 1000 + remaining.components.attoseconds / 1_000_000_000_000_000)
            if poll(&p, 1, max(1, ms)) == 0 { continue }
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress!, $0.count, 0) }
            if n == 0 { return nil }
            if n < 0 {
                if errno == EINTR { continue }
                if errno == ECONNRESET { return nil }
                throw SystemError("recv", errno: errno)
            }
            decoder.append(buffer[0..<n])
        }
    }

    /// Reads until end-of-file, returning the envelopes seen.
    func readUntilClosed(timeoutMs: Int32 = 5_000) throws -> [Envelope] {
        var out: [Envelope] = []
        while let e = try read(timeoutMs: timeoutMs) { out.append(e) }
        return out
    }
}
