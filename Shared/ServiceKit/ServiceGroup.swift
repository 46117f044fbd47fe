import Logging
import Synchronization

/// Runs a service's pieces (``Service``): prepares and starts them in order, and on ``stop()`` cancels
/// them in reverse order, each after the one started after it has returned. So the socket (the last
/// piece) stops taking requests and drains them while the relays (earlier pieces) still deliver what those
/// requests published, and the database's checkpointer (the first piece) stops last.
public final class ServiceGroup: Sendable {
    /// How long ``stop()`` waits in all, so a service exits within the 5 s it promises after SIGTERM: a
    /// piece still busy at the deadline (a Stripe call in a sync loop) is left cancelled, and the process
    /// exits anyway.
    public static let stopDeadline: Duration = .milliseconds(4_750)

    private let services: [any Service]
    private let logger: Logger
    private struct State {
        var tasks: [Task<Void, Never>] = []
        var failure: (any Error)?
        var failed: CheckedContinuation<Void, Never>?
        var stopping = false
    }
    private let state = Mutex(State())

    public init(_ services: [any Service], logger: Logger) {
        self.services = services
        self.logger = logger
    }

    /// Prepares and starts every piece, in order. If one cannot be prepared, those already started are
    /// stopped (in reverse) and the error is thrown.
    public func start() async throws {
        for service in services {
            do {
                try service.prepare()
            } catch {
                await stop()
                throw error
            }
            let task = Task { [self] in
                do {
                    try await service.run()
                } catch is CancellationError {
                } catch {
                    fail(service, error)
                }
            }
            state.withLock { $0.tasks.append(task) }
        }
    }

    /// Returns when the calling task is cancelled, a piece failed (then throws its error) or ``stop()`` was
    /// called. Does not stop.
    public func wait() async throws {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { s in
                    if s.failure != nil || s.stopping || Task.isCancelled { return true }
                    s.failed = c
                    return false
                }
                if resumeNow { c.resume() }
            }
        } onCancel: {
            state.withLock { s in defer { s.failed = nil }; return s.failed }?.resume()
        }
        if let failure = state.withLock({ $0.failure }) { throw failure }
    }

    /// Cancels the pieces in reverse order, waiting for each to finish (until ``stopDeadline``).
    public func stop() async {
        let (tasks, waiter) = state.withLock { s in
            s.stopping = true
            defer { (s.tasks, s.failed) = ([], nil) }
            return (s.tasks, s.failed)
        }
        waiter?.resume()
        let deadline = ContinuousClock.now + Self.stopDeadline
        for task in tasks.reversed() {
            task.cancel()
            if await !Self.finished(task, by: deadline) {
                logger.warn("stopping with background work unfinished after the stop deadline")
                for t in tasks { t.cancel() }
                return
            }
        }
    }

    private func fail(_ service: any Service, _ error: any Error) {
        let waiter = state.withLock { s -> CheckedContinuation<Void, Never>? in
            if s.stopping { return nil }
            if s.failure == nil { s.failure = error }
            defer { s.failed = nil }
            return s.failed
        }
        logger.error("a background service failed; stopping", ["service.part": "\(type(of: service))", "error": "\(error)"])
        waiter?.resume()
    }

    /// Whether `task` finished before `deadline`. Does not wait for it past the deadline.
    private static func finished(_ task: Task<Void, Never>, by deadline: ContinuousClock.Instant) async -> Bool {
        let answer = FirstAnswer()
        return await withCheckedContinuation { (c: CheckedContinuation<Bool, Never>) in
            answer.set(c)
            let timer = Task {
                try? await Task.sleep(until: deadline)
                answer.resume(returning: false)
            }
            Task {
                await task.value
                timer.cancel()
                answer.resume(returning: true)
            }
        }
    }

    /// A continuation resumed by whichever answer comes first.
    private final class FirstAnswer: Sendable {
        private let continuation = Mutex<CheckedContinuation<Bool, Never>?>(nil)
        func set(_ c: CheckedContinuation<Bool, Never>) { continuation.withLock { $0 = c } }
        func resume(returning value: Bool) {
            continuation.withLock { c in defer { c = nil }; return c }?.resume(returning: value)
        }
    }
}
