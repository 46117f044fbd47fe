#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import CLinux
import Synchronization
import System
import Transport

/// One thread waiting on an epoll set: the HTTP server's only reader and acceptor.
///
/// Descriptors are registered edge-triggered with a 64-bit token that the owner maps back to its
/// objects. Other threads hand work to the loop with ``execute(_:)``, which wakes it through an eventfd.
/// Everything else (``register(_:token:events:)`` aside, which epoll allows from any thread) runs on
/// the loop's own thread.
final class EventLoop: Sendable {
    /// What the loop reports for a ready descriptor.
    struct Readiness: OptionSet {
        let rawValue: UInt32
        static let readable = Readiness(rawValue: EPOLLIN.rawValue)
        static let writable = Readiness(rawValue: EPOLLOUT.rawValue)
        static let peerClosed = Readiness(rawValue: EPOLLRDHUP.rawValue)
        static let hangUp = Readiness(rawValue: EPOLLHUP.rawValue)
        static let error = Readiness(rawValue: EPOLLERR.rawValue)
    }

    /// The token reserved for the loop's own wake-up descriptor.
    static let wakeToken: UInt64 = .max

    private let epollFD: Int32
    private let wakeFD: Int32
    private struct Jobs {
        var queued: [@Sendable () -> Void] = []
        /// A wake-up is already on its way (or the loop is running jobs): no need to write the eventfd.
        var wakePending = false
    }
    private let jobs = Mutex(Jobs())
    private let loopThread = Mutex<pthread_t?>(nil)

    init() throws(SystemError) {
        epollFD = epoll_create1(Int32(EPOLL_CLOEXEC))
        guard epollFD >= 0 else { throw SystemError(setup: "cannot create an epoll set: \(String(cString: strerror(errno)))") }
        wakeFD = eventfd(0, Int32(EFD_NONBLOCK) | Int32(EFD_CLOEXEC))
        guard wakeFD >= 0 else {
            let e = errno
            close(epollFD)
            throw SystemError(setup: "cannot create an eventfd: \(String(cString: strerror(e)))")
        }
        var event = epoll_event(events: EPOLLIN.rawValue | EPOLLET.rawValue, data: epoll_data_t(u64: Self.wakeToken))
        _ = epoll_ctl(epollFD, EPOLL_CTL_ADD, wakeFD, &event)
    }

    deinit {
        close(wakeFD)
        close(epollFD)
    }

    /// Watches `fd` (edge-triggered) for `events`, reporting it with `token`. False if epoll refused.
    @discardableResult
    func register(_ fd: Int32, token: UInt64, events: UInt32) -> Bool {
        var event = epoll_event(events: events | EPOLLET.rawValue, data: epoll_data_t(u64: token))
        return epoll_ctl(epollFD, EPOLL_CTL_ADD, fd, &event) == 0
    }

    /// Stops watching `fd` (closing it does the same; this is for descriptors that stay open).
    func unregister(_ fd: Int32) {
        var event = epoll_event()
        _ = epoll_ctl(epollFD, EPOLL_CTL_DEL, fd, &event)
    }

    /// Whether the caller runs on the loop's thread.
    var inLoop: Bool {
        guard let thread = loopThread.withLock({ $0 }) else { return false }
        return pthread_equal(thread, pthread_self()) != 0
    }

    /// Runs `job` on the loop's thread soon (after the events being handled, never inline).
    func execute(_ job: @escaping @Sendable () -> Void) {
        let wake: Bool = jobs.withLock { j in
            j.queued.append(job)
            defer { j.wakePending = true }
            return !j.wakePending
        }
        if wake {
            var one: UInt64 = 1
            _ = write(wakeFD, &one, 8)
        }
    }

    /// Runs the loop on the calling thread until `handle` or `tick` returns false.
    ///
    /// - Parameters:
    ///   - tickInterval: `tick` runs at least this often while `wantsTicks()` is true (and after every
    ///     batch of events otherwise, if that much time passed).
    ///   - handle: one ready descriptor, by token.
    func run(tickInterval: Duration, wantsTicks: () -> Bool, tick: () -> Bool,
             handle: (UInt64, Readiness) -> Void) {
        loopThread.withLock { $0 = pthread_self() }
        let capacity = 256
        var events = [epoll_event](repeating: epoll_event(), count: capacity)
        let tickMs = Int32(clamping: tickInterval.roundedUpMilliseconds)
        var lastTick = ContinuousClock.now
        while true {
            let timeout: Int32 = wantsTicks() ? tickMs : -1
            let n = events.withUnsafeMutableBufferPointer { epoll_wait(epollFD, $0.baseAddress, Int32(capacity), timeout) }
            if n < 0 && errno != EINTR { fatalError("epoll_wait failed: \(String(cString: strerror(errno)))") }
            var wokenByJobs = false
            // Messages that handlers send to services during this round leave in one write per connection.
            FramedConnection.coalescingSends {
                for i in 0..<max(0, Int(n)) {
                    let token = events[i].data.u64
                    if token == Self.wakeToken {
                        wokenByJobs = true
                        continue
                    }
                    handle(token, Readiness(rawValue: events[i].events))
                }
                if wokenByJobs {
                    var value: UInt64 = 0
                    _ = read(wakeFD, &value, 8)
                }
                runJobs()
            }
            let now = ContinuousClock.now
            if now - lastTick >= tickInterval {
                lastTick = now
                if !tick() { return }
            }
        }
    }

    private func runJobs() {
        while true {
            let batch: [@Sendable () -> Void] = jobs.withLock { j in
                defer { j.queued.removeAll(keepingCapacity: true) }
                if j.queued.isEmpty { j.wakePending = false }
                return j.queued
            }
            if batch.isEmpty { return }
            for job in batch { job() }
        }
    }
}
