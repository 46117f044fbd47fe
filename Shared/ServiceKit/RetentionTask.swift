import Events
import Logging
import Storage
import Wire

/// Prunes old rows (``RetentionRule``) every `interval`, off the hot path: each batch of at most
/// `batchSize` rows is its own short write transaction, queued behind the service's real work like any
/// other write, and the task yields between batches.
public final class RetentionTask: Service {
    public static let batchSize = 500
    private let database: Database
    private let rules: [RetentionRule]
    private let age: Duration
    private let interval: Duration
    private let logger: Logger

    public init(database: Database, rules: [RetentionRule], age: Duration, interval: Duration, logger: Logger) {
        self.database = database
        self.rules = rules
        self.age = age
        self.interval = interval
        self.logger = logger
    }

    /// Passes every interval until cancelled; the first one interval after the start.
    public func run() async {
        await PeriodicTask("retention", every: interval, delayFirstRound: true) { [self] in _ = await runOnce() }.run()
    }

    /// One pass over every rule: batches until a batch comes back short. Returns rows pruned per rule.
    @discardableResult
    public func runOnce() async -> [String: Int] {
        let cutoff = Envelope.now() - Int64(age.components.seconds) * 1000
        var pruned: [String: Int] = [:]
        for rule in rules {
            var total = 0
            while !Task.isCancelled {
                let n: Int
                do {
                    n = try await database.write { c in try rule.prune(c, cutoff, Self.batchSize) }
                } catch {
                    logger.warn("retention: pruning failed; will try again next pass", ["retention.rule": rule.name, "error": "\(error)"])
                    break
                }
                total += n
                if n < Self.batchSize { break }
                await Task.yield()
            }
            pruned[rule.name] = total
            if total > 0 { logger.info("retention: pruned old rows", ["retention.rule": rule.name, "retention.rows": "\(total)"]) }
        }
        return pruned
    }
}
