#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Synchronization
import System
import Wire

/// One stream socket carrying frames in both directions.
///
/// Reads happen on a dedicated thread (``readLoop(maxPayload:partialFrameTimeoutMs:idleTickMs:onTick:onFrame:onFrameError:)``).
/// Writes never block the caller: ``send(_:)`` writes what the socket takes right now with `MSG_DONTWAIT`
/// and queues the rest for a flusher thread started on demand. A peer that stops reading fills its own
/// queue up to a bound and is then disconnected; it cannot stall anybody else.
public final class FramedConnection: Sendable {
    /// The socket. Closed in `deinit`, once no reader, flusher or responder holds the connection, so the
    /// number can never be reused while someone might still write to it.
    public let fd: Int32
    /// Most bytes queued for a slow reader before it is disconnected.
    public let maxPendingBytes: Int
    /// How long a flusher waits for a peer that reads nothing before giving up on it.
    public let stallTimeoutMs: Int32

    private struct Outbound {
        var pending: [UInt8] = []
        var offset = 0
        var flushing = false
        /// Held by a ``coalescingSends(_:)`` scope: frames queue up and go out in one write at its end.
        var corked = false
        var closed = false
        var queued: Int { pending.count - offset }
    }
    private let out = Mutex(Outbound())

    public init(fd: Int32, maxPendingBytes: Int = 16 << 20, stallTimeoutMs: Int32 = 30_000) {
        self.fd = fd
        self.maxPendingBytes = maxPendingBytes
        self.stallTimeoutMs = stallTimeoutMs
    }

    deinit { close(fd) }

    /// Whether the connection was shut down or failed.
    public var isClosed: Bool { out.withLock { $0.closed } }

    /// Queues one complete frame. Returns false if the connection is closed (the frame is dropped).
    @discardableResult
    public func send(_ bytes: [UInt8]) -> Bool {
        var startFlusher = false
        let batch = SendBatch.current
        let accepted: Bool = out.withLock { o in
            if o.closed { return false }
            if o.flushing || o.corked {
                if o.queued + bytes.count > maxPendingBytes {
                    // The peer is not reading: drop it rather than grow without bound.
                    o.closed = true
                    shutdown(fd, Int32(SHUT_RDWR))
                    return false
                }
                o.pending.append(contentsOf: bytes)
                return true
            }
            if let batch {
                o.corked = true
                o.pending.append(contentsOf: bytes)  // empty: nothing is queued when neither flushing nor corked
                batch.hold(self)
                return true
            }
            let written = bytes.withUnsafeBytes { writeNow($0) }
            guard written >= 0 else {
                o.closed = true
                shutdown(fd, Int32(SHUT_RDWR))
                return false
            }
            if written < bytes.count {
                o.pending = Array(bytes[written...])
                o.offset = 0
                o.flushing = true
                startFlusher = true
            }
            return true
        }
        if startFlusher {
            Threads.spawn(name: "shop-flush") { [self] in flushLoop() }
        }
        return accepted
    }

    /// Ends a ``coalescingSends(_:)`` hold: writes what queued up meanwhile, handing any rest to a flusher.
    func uncork() {
        let startFlusher: Bool = out.withLock { o in
            o.corked = false
            if o.closed || o.flushing || o.queued == 0 || writeQueued(&o) { return false }
            o.flushing = true
            return true
        }
        if startFlusher {
            Threads.spawn(name: "shop-flush") { [self] in flushLoop() }
        }
    }

    /// Writes what is queued, as far as the socket takes it. Returns true when nothing is left to write: all
    /// of it went out, or the socket failed and the connection was shut down.
    private func writeQueued(_ o: inout Outbound) -> Bool {
        let n = o.pending.withUnsafeBytes { writeNow(UnsafeRawBufferPointer(rebasing: $0[o.offset...])) }
        if n < 0 {
            o.closed = true
            o.pending = []
            o.offset = 0
            shutdown(fd, Int32(SHUT_RDWR))
            return true
        }
        o.offset += n
        guard o.offset == o.pending.count else { return false }
        o.pending.removeAll(keepingCapacity: o.pending.capacity <= 1 << 16)
        o.offset = 0
        return true
    }

    /// Writes as much as the socket takes without blocking. Returns bytes written, or -1 on a hard error.
    private func writeNow(_ raw: UnsafeRawBufferPointer) -> Int {
        var written = 0
        while written < raw.count {
            let n = Glibc.send(fd, raw.baseAddress! + written, raw.count - written, Int32(MSG_DONTWAIT | MSG_NOSIGNAL))
            if n > 0 { written += n; continue }
            if n < 0 && errno == EINTR { continue }
            if n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) { return written }
            return -1
        }
        return written
    }

    private func flushLoop() {
        var stalledMs: Int32 = 0
        while true {
            var p = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
            let r = poll(&p, 1, 250)
            if r == 0 {
                stalledMs += 250
                if stalledMs >= stallTimeoutMs {
                    out.withLock { o in
                        o.closed = true
                        o.flushing = false
                        o.pending = []
                    }
                    shutdown(fd, Int32(SHUT_RDWR))
                    return
                }
                continue
            }
            if r < 0 && errno == EINTR { continue }
            stalledMs = 0
            let done: Bool = out.withLock { o in
                if o.closed {
                    o.flushing = false
                    o.pending = []
                    return true
                }
                guard writeQueued(&o) else { return false }
                o.flushing = false
                return true
            }
            if done { return }
        }
    }

    /// Stops both directions; a reader blocked on this socket wakes up with end-of-file.
    public func shutdownBoth() {
        out.withLock { o in
            o.closed = true
        }
        shutdown(fd, Int32(SHUT_RDWR))
    }

    /// Why a read loop ended.
    public enum EndReason: Sendable, Equatable {
        case peerClosed
        case readError(Int32)
        case partialFrameTimeout
        case frameError(FrameError)
        case stoppedByHandler
    }

    /// Reads frames on the calling thread until the peer closes, an error occurs or `onFrame` returns false.
    ///
    /// - Parameters:
    ///   - partialFrameTimeoutMs: a peer that sends part of a frame and then nothing for this long is
    ///     disconnected (a frame cut in half must not pin a thread forever).
    ///   - idleTickMs: when set, `onTick` runs at least this often (clients use it to expire deadlines).
    public func readLoop(maxPayload: Int, partialFrameTimeoutMs: Int32, idleTickMs: Int32? = nil,
                         onTick: () -> Void = {},
                         onFrame: (ArraySlice<UInt8>) -> Bool) -> EndReason {
        var decoder = FrameDecoder(maxPayload: maxPayload)
        let bufferSize = 64 * 1024
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: bufferSize, alignment: 16)
        defer { buffer.deallocate() }
        var waitedForPartial: Int32 = 0
        while true {
            let partial = decoder.bufferedByteCount > 0
            if partial || idleTickMs != nil {
                let timeout: Int32 = partial ? min(idleTickMs ?? 250, 250) : idleTickMs!
                var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                let r = poll(&p, 1, timeout)
                if r < 0 && errno != EINTR { return .readError(errno) }
                if r <= 0 {
                    onTick()
                    if partial {
                        waitedForPartial += timeout
                        if waitedForPartial >= partialFrameTimeoutMs { return .partialFrameTimeout }
                    }
                    continue
                }
            }
            let n = read(fd, buffer.baseAddress!, bufferSize)
            if n == 0 { return .peerClosed }
            if n < 0 {
                if errno == EINTR { continue }
                return .readError(errno)
            }
            waitedForPartial = 0
            decoder.append(UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
            // Answers sent while handling the frames of one read leave together.
            var end: EndReason?
            Self.coalescingSends {
                while true {
                    let frame: ArraySlice<UInt8>?
                    do throws(FrameError) { frame = try decoder.next() } catch { end = .frameError(error); return }
                    guard let frame else { return }
                    if !onFrame(frame) { end = .stoppedByHandler; return }
                }
            }
            if let end { return end }
            if idleTickMs != nil { onTick() }
        }
    }
}
