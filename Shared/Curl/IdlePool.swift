import Foundation

/// Curl easy handles not in use, so keep-alive connections are reused across transfers. A handle is
/// used by one thread at a time: `take` hands it out, `give` puts it back (up to `limit` are kept).
final class IdlePool<Handle>: @unchecked Sendable {
    // @unchecked: `idle` is only touched under `lock`, and a handle is only used by the thread that took it.
    private let lock = NSLock()
    private var idle: [Handle] = []
    private let limit: Int
    private let make: () -> Handle

    init(limit: Int, make: @escaping () -> Handle) {
        self.limit = limit
        self.make = make
    }

    func take() -> Handle {
        lock.lock()
        defer { lock.unlock() }
        return idle.popLast() ?? make()
    }

    func give(_ handle: Handle) {
        lock.lock()
        defer { lock.unlock() }
        if idle.count < limit { idle.append(handle) }
    }
}
