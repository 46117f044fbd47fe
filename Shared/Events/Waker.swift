@preconcurrency import Dispatch
import Synchronization
import Transport

/// Wakes waiting loops early. Each ``notify()`` bumps a counter; a loop passes the last counter it saw to
/// ``wait(upTo:seen:)``, which returns at once if something happened since (or the task is cancelled). Any
/// number of loops can wait.
public final class Waker: Sendable {
    private struct State {
        var counter: UInt64 = 0
        var nextToken = 0
        var waiters: [Int: CheckedContinuation<Void, Never>] = [:]
    }
    private let state = Mutex(State())

    public init() {}

    /// Wakes every waiter, and makes the next wait of every loop that has not seen this notice return at once.
    public func notify() {
        let waiters = state.withLock { s -> [CheckedContinuation<Void, Never>] in
            s.counter &+= 1
            defer { s.waiters.removeAll() }
            return Array(s.waiters.values)
        }
        for w in waiters { w.resume() }
    }

    /// The current counter, for a loop's first wait.
    public var current: UInt64 { state.withLock { $0.counter } }

    /// Returns after `timeout`, as soon as a notice newer than `seen` exists, or when the task is cancelled;
    /// updates `seen`.
    public func wait(upTo timeout: Duration, seen: inout UInt64) async {
        let start = seen
        let token = state.withLock { s in
            s.nextToken += 1
            return s.nextToken
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                // Registered under the lock that the cancellation handler takes, so a cancellation either
                // comes before (seen here) or finds the waiter to resume.
                let waiting: Bool = state.withLock { s in
                    if s.counter != start || Task.isCancelled { return false }
                    s.waiters[token] = continuation
                    return true
                }
                guard waiting else {
                    continuation.resume()
                    return
                }
                DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(Int(max(0, timeout.milliseconds)))) { [self] in
                    state.withLock { $0.waiters.removeValue(forKey: token) }?.resume()
                }
            }
        } onCancel: {
            state.withLock { $0.waiters.removeValue(forKey: token) }?.resume()
        }
        seen = current
    }
}
