import Events
import Logging
import Storage
import Synchronization
import Wire

/// Prunes old rows (``RetentionRule``) every `interval`, off the hot path: each batch of at most
/// `batchSize` rows is its own short write transaction, queued behind the service's real work like any
/// other write, and the task yields between batches.
public final class RetentionTask: Sendable {
    public static let batchSize = 500
    private let database: Database
    private let rules: [RetentionRule]
    private let age: Duration
    private let interval: Duration
    private let logger: Logger
    private let task = Mutex<Task<Void, Never>?>(nil)

    public init(database: Database, rules: [RetentionRule], age: Duration, interval: Duration, logger: Logger) {
        self.database = database
        self.rules = rules
        self.age = age
        self.interval = interval
        self.logger = logger
    }

    /// Starts the loop; the first pass runs one interval after the start.
    public func start() {
        task.withLock { $0 = Task { [self] in
            while !Task.isCancelled {
                try? await Task.sleep(for: interval)
                guard !Task.isCancelled else { return }
                await runOnce()
            }
        } }
    }

    public func stop() { task.withLock { $0?.cancel() } }

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
