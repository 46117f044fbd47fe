#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import System
import Wire

/// A one-shot synchronous call for command-line tools (`<service> health`, operator commands) that have
/// no async context: connect, send one message, wait for its reply, close.
public enum BlockingClient {
    /// Sends `message` to the socket at `path` and returns the reply to it.
    public static func call(path: String, message: Envelope, timeoutMs: Int = 2_000,
                            maxFrameBytes: Int = Frame.defaultMaxPayload) throws(ClientError) -> Envelope {
        let start = ContinuousClock.now
        let fd: Int32
        do {
            fd = try UnixSocket.connect(path: path)
        } catch {
            switch error.errno {
            case ENOENT: throw ClientError(.unavailable, "no socket at \(path) (is the service running?)", errno: ENOENT)
            case ECONNREFUSED:
                throw ClientError(.unavailable, "connection refused at \(path) (stale socket: the service is not running)", errno: ECONNREFUSED)
            default: throw ClientError(.unavailable, "cannot connect: \(error.description)", errno: error.errno)
            }
        }
        defer { close(fd) }
        let frame = message.frame()
        var written = 0
        while written < frame.count {
            let n = frame.withUnsafeBytes { Glibc.send(fd, $0.baseAddress! + written, frame.count - written, Int32(MSG_NOSIGNAL)) }
            if n < 0 {
                if errno == EINTR { continue }
                throw ClientError(.unavailable, "cannot connect: send failed: \(String(cString: strerror(errno)))", errno: errno)
            }
            written += n
        }
        var decoder = FrameDecoder(maxPayload: maxFrameBytes)
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let remaining = timeoutMs - Int((ContinuousClock.now - start).milliseconds)
            if remaining <= 0 { throw timedOut(timeoutMs) }
            var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let r = poll(&p, 1, Int32(remaining))
            if r < 0 { if errno == EINTR { continue }; throw ClientError(.unavailable, "cannot connect: poll failed", errno: errno) }
            if r == 0 { throw timedOut(timeoutMs) }
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress!, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw ClientError(.unavailable, "cannot connect: read failed: \(String(cString: strerror(errno)))", errno: errno)
            }
            if n == 0 { throw ClientError(.unavailable, "the service closed the connection without replying") }
            decoder.append(buffer[0..<n])
            do {
                while let payload = try decoder.next() {
                    let reply: Envelope
                    do { reply = try Envelope.decode(slice: payload) } catch { throw badReply(error.error.message) }
                    if reply.replyTo == message.id || reply.replyTo == nil { return reply }
                }
            } catch let f as ClientError {
                throw f
            } catch {
                throw badReply("\(error)")
            }
        }
    }

    private static func timedOut(_ ms: Int) -> ClientError {
        ClientError(.deadlineExceeded, "timed out after \(ms) ms waiting for a reply")
    }

    private static func badReply(_ message: String) -> ClientError {
        ClientError(.protocolViolation, "bad reply: \(message)")
    }
}
