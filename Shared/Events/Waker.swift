@preconcurrency import Dispatch
import Synchronization
import Transport

/// Wakes waiting loops early. Each ``notify()`` bumps a counter; a loop passes the last counter it saw to
/// ``wait(upTo:seen:)``, which returns at once if something happened since. Any number of loops can wait.
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

    /// Returns after `timeout`, or as soon as a notice newer than `seen` exists; updates `seen`.
    public func wait(upTo timeout: Duration, seen: inout UInt64) async {
        let start = seen
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let token: Int? = state.withLock { s in
                if s.counter != start { return nil }
                s.nextToken += 1
                s.waiters[s.nextToken] = continuation
                return s.nextToken
            }
            guard let token else {
                continuation.resume()
                return
            }
            DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(Int(max(0, timeout.milliseconds)))) { [self] in
                state.withLock { $0.waiters.removeValue(forKey: token) }?.resume()
            }
        }
        seen = current
    }
}
