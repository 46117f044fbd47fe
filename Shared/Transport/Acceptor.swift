#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
@preconcurrency import Dispatch
import Logging
import Synchronization
import System

/// Accepts connections on a listening socket, on a thread of its own, until stopped.
///
/// Shared by the Unix-socket ``MessageServer`` and the gateway's HTTP server: `poll` on the listening
/// socket and a wake pipe (so ``stop()`` interrupts a waiting `accept` portably), EINTR and transient
/// errors retried, descriptor exhaustion backed off instead of spun on.
public final class Acceptor: Sendable {
    /// Called on the accept thread for each new connection (close-on-exec already set), with the peer's
    /// address.
    public typealias Handler = @Sendable (_ fd: Int32, _ peer: sockaddr_storage) -> Void

    private let listenFD: Int32
    private let wakeRead: Int32
    private let wakeWrite: Int32
    private let logger: Logger
    private let stopped = Mutex(false)
    private let done = DispatchSemaphore(value: 0)

    /// Takes ownership of `listenFD` (closed when the acceptor stops) and starts accepting.
    public init(listenFD: Int32, logger: Logger, onAccept: @escaping Handler) throws(SystemError) {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else {
            let e = errno
            close(listenFD)
            throw SystemError(setup: "cannot create wake pipe: \(SystemError("pipe", errno: e).reason)")
        }
        for p in fds { _ = fcntl(p, F_SETFD, FD_CLOEXEC) }
        self.listenFD = listenFD
        self.wakeRead = fds[0]
        self.wakeWrite = fds[1]
        self.logger = logger
        Threads.spawn(name: "shop-accept") { [self] in run(onAccept) }
    }

    /// Stops accepting and returns once the accept thread has exited and the listening socket is closed.
    /// Calling it again does nothing.
    public func stop() {
        let first = stopped.withLock { s in
            defer { s = true }
            return !s
        }
        guard first else { return }
        var one: UInt8 = 1
        _ = write(wakeWrite, &one, 1)
        done.wait()
        close(wakeRead)
        close(wakeWrite)
    }

    private func run(_ onAccept: Handler) {
        defer {
            close(listenFD)
            done.signal()
        }
        var fds = [pollfd(fd: listenFD, events: Int16(POLLIN), revents: 0),
                   pollfd(fd: wakeRead, events: Int16(POLLIN), revents: 0)]
        while true {
            let r = poll(&fds, 2, -1)
            if r < 0 {
                if errno == EINTR { continue }
                logger.error("poll on a listening socket failed", ["errno": String(errno)])
                return
            }
            if fds[1].revents != 0 || stopped.withLock({ $0 }) { return }
            var peer = sockaddr_storage()
            var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
            let client = withUnsafeMutablePointer(to: &peer) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { accept(listenFD, $0, &length) }
            }
            if client < 0 {
                switch errno {
                case EINTR, EAGAIN, ECONNABORTED, EPROTO:
                    continue
                case EMFILE, ENFILE, ENOBUFS, ENOMEM:
                    // Out of descriptors or memory: back off rather than spin; open connections keep working.
                    logger.error("accept failed; backing off", ["errno": String(errno)])
                    usleep(50_000)
                    continue
                default:
                    logger.error("accept failed; no longer accepting connections", ["errno": String(errno)])
                    return
                }
            }
            // Glibc's module does not export accept4, hence the separate call.
            _ = fcntl(client, F_SETFD, FD_CLOEXEC)
            onAccept(client, peer)
        }
    }
}
