#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Wire

/// A one-shot synchronous call for command-line tools (`<service> health`, operator commands) that have
/// no async context: connect, send one message, wait for its reply, close.
public enum BlockingClient {
    /// Why a one-shot call failed, worded for an operator.
    public enum Failure: Error, Sendable, CustomStringConvertible {
        case noSocket(String)
        case refused(String)
        case timedOut(Int)
        case connectionFailed(String)
        case closedWithoutReply
        case badReply(String)

        public var description: String {
            switch self {
            case .noSocket(let p): "no socket at \(p) (is the service running?)"
            case .refused(let p): "connection refused at \(p) (stale socket: the service is not running)"
            case .timedOut(let ms): "timed out after \(ms) ms waiting for a reply"
            case .connectionFailed(let m): "cannot connect: \(m)"
            case .closedWithoutReply: "the service closed the connection without replying"
            case .badReply(let m): "bad reply: \(m)"
            }
        }
    }

    /// Sends `message` to the socket at `path` and returns the reply to it.
    public static func call(path: String, message: Envelope, timeoutMs: Int = 2_000,
                            maxFrameBytes: Int = Frame.defaultMaxPayload) throws(Failure) -> Envelope {
        let start = ContinuousClock.now
        let fd: Int32
        do {
            fd = try UnixSocket.connect(path: path)
        } catch {
            switch error.errno {
            case ENOENT: throw .noSocket(path)
            case ECONNREFUSED: throw .refused(path)
            default: throw .connectionFailed(error.description)
            }
        }
        defer { close(fd) }
        let frame = message.frame()
        var written = 0
        while written < frame.count {
            let n = frame.withUnsafeBytes { Glibc.send(fd, $0.baseAddress! + written, frame.count - written, Int32(MSG_NOSIGNAL)) }
            if n < 0 {
                if errno == EINTR { continue }
                throw .connectionFailed("send failed: \(String(cString: strerror(errno)))")
            }
            written += n
        }
        var decoder = FrameDecoder(maxPayload: maxFrameBytes)
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let remaining = timeoutMs - Int((ContinuousClock.now - start).milliseconds)
            if remaining <= 0 { throw .timedOut(timeoutMs) }
            var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let r = poll(&p, 1, Int32(remaining))
            if r < 0 { if errno == EINTR { continue }; throw .connectionFailed("poll failed") }
            if r == 0 { throw .timedOut(timeoutMs) }
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress!, $0.count) }
            if n < 0 { if errno == EINTR { continue }; throw .connectionFailed("read failed: \(String(cString: strerror(errno)))") }
            if n == 0 { throw .closedWithoutReply }
            decoder.append(buffer[0..<n])
            do {
                while let payload = try decoder.next() {
                    let reply: Envelope
                    do { reply = try Envelope.decode(slice: payload) } catch { throw Failure.badReply(error.error.message) }
                    if reply.replyTo == message.id || reply.replyTo == nil { return reply }
                }
            } catch let f as Failure {
                throw f
            } catch {
                throw .badReply("\(error)")
            }
        }
    }
}
