@preconcurrency import Dispatch
import Synchronization

/// The bridge between the process and its serve loop: a signal, which may arrive before the loop's task
/// exists, cancels that task.
final class StopRequest: Sendable {
    private struct State {
        var requested = false
        var task: Task<Void, Never>?
    }
    private let state = Mutex(State())

    /// Cancels the serve loop now, or as soon as it is attached.
    func request() {
        state.withLock { s in
            s.requested = true
            return s.task
        }?.cancel()
    }

    func attach(_ task: Task<Void, Never>) {
        let cancel = state.withLock { s in
            s.task = task
            return s.requested
        }
        if cancel { task.cancel() }
    }

    /// How the serve loop ended (a failure's description, or nil), handed to the main thread.
    final class Outcome: Sendable {
        private let value = Mutex<String??>(nil)
        private let done = DispatchSemaphore(value: 0)

        func finish(_ failure: String?) {
            value.withLock { $0 = .some(failure) }
            done.signal()
        }

        func wait() -> String? {
            done.wait()
            return value.withLock { $0 } ?? nil
        }
    }
}
