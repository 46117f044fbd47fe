import Logging

/// Runs `body` again and again until cancelled: the periodic work of a service (expiry sweeps, late
/// refunds, catch-up, retention, the books' sync loops).
public struct PeriodicTask: Service {
    /// What `body` says about the next round.
    public enum Next: Sendable {
        /// Wait one interval.
        case wait
        /// More is due already: run again at once.
        case again
    }

    /// For logs.
    public let name: String
    public let interval: Duration
    /// Whether the first round waits one interval (retention) rather than running at start.
    public let delayFirstRound: Bool
    private let body: @Sendable () async -> Next

    /// A task whose rounds always wait one interval.
    public init(_ name: String, every interval: Duration, delayFirstRound: Bool = false,
                _ body: @escaping @Sendable () async -> Void) {
        self.init(name: name, interval: interval, delayFirstRound: delayFirstRound) { () async -> Next in
            await body()
            return .wait
        }
    }

    /// A task whose round says whether to go again at once (it found more due than it takes in one round).
    public static func draining(_ name: String, every interval: Duration,
                                _ body: @escaping @Sendable () async -> Next) -> PeriodicTask {
        PeriodicTask(name: name, interval: interval, delayFirstRound: false, body: body)
    }

    private init(name: String, interval: Duration, delayFirstRound: Bool, body: @escaping @Sendable () async -> Next) {
        self.name = name
        self.interval = interval
        self.delayFirstRound = delayFirstRound
        self.body = body
    }

    /// Rounds until cancelled; a round in progress finishes first.
    public func run() async {
        if delayFirstRound { try? await Task.sleep(for: interval) }
        while !Task.isCancelled {
            if await body() == .again { continue }
            try? await Task.sleep(for: interval)
        }
    }
}
