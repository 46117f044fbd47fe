import CSQLite
@preconcurrency import Dispatch
import Synchronization

/// A SQLite database file: one writer connection and one reader connection, each confined to its own
/// serial queue (never Swift's cooperative pool), numbered migrations at open, and group commit.
///
/// Durability: WAL with `synchronous=FULL`, so a transaction's WAL frames are fsynced before `COMMIT`
/// returns, and ``write(_:)`` only returns after that commit. Throughput comes from batching, not from
/// weaker settings: writes queued while a commit is in progress are run together, each in its own
/// savepoint (one failing write rolls back only itself), under one `BEGIN IMMEDIATE ... COMMIT` and one fsync.
public final class Database: Sendable {
    /// Tuning knobs.
    public struct Options: Sendable {
        /// How long a write waits for another process's lock before failing with `SQLITE_BUSY`.
        public var busyTimeoutMs: Int32 = 5_000
        /// Most writes committed together.
        public var maxBatch = 512
        /// Wraps the completion callbacks of one committed batch, which run back to back on the writer's
        /// thread. Services pass `FramedConnection.coalescingSends` so a batch's replies leave in one write.
        public var aroundCompletions: @Sendable (() -> Void) -> Void = { $0() }
        /// WAL size, in pages, from which it is copied back into the database file (see ``Checkpointer``;
        /// SQLite's own default is also 1000).
        public var checkpointPages: Int32 = 1_000

        public init() {}
    }

    /// The database file.
    public let path: String
    public let options: Options

    // Each connection is touched only from its queue; the box makes that hand-off explicit.
    final class Confined: @unchecked Sendable {
        // Safe: `connection` is only used inside blocks submitted to the owning serial queue.
        let connection: Connection
        init(_ connection: Connection) { self.connection = connection }
    }
    private let writer: Confined
    private let reader: Confined
    let checkpointer: Checkpointer
    private let writerQueue = DispatchQueue(label: "shop.sqlite.writer")
    private let readerQueue = DispatchQueue(label: "shop.sqlite.reader")

    private struct Job: Sendable {
        /// Runs the body inside a savepoint; returns whether it succeeded (false rolls the savepoint back).
        let run: @Sendable (Connection) -> Bool
        /// Called once the batch committed (nil) or failed to commit (the error).
        let complete: @Sendable (SQLiteError?) -> Void
    }
    private struct Queue {
        var jobs: [Job] = []
        var draining = false
    }
    private let queue = Mutex<Queue>(Queue())

    /// Opens (creating if needed) the database at `path`, applies settings and pending migrations.
    public init(path: String, migrations: [Migration], options: Options = Options()) throws(SQLiteError) {
        self.path = path
        self.options = options
        let w = try Connection(path: path, readOnly: false)
        try w.executeScript("""
            PRAGMA busy_timeout = \(options.busyTimeoutMs);
            PRAGMA journal_mode = WAL;
            PRAGMA synchronous = FULL;
            PRAGMA foreign_keys = ON;
            PRAGMA temp_store = MEMORY;
            """)
        let mode = try w.queryOne("PRAGMA journal_mode")?.string("journal_mode")
        guard mode == "wal" else {
            throw SQLiteError(extendedCode: SQLITE_ERROR, message: "could not enable WAL (journal_mode is \(mode ?? "?"))")
        }
        try Self.migrate(w, migrations)
        let r = try Connection(path: path, readOnly: false)
        try r.executeScript("PRAGMA busy_timeout = \(options.busyTimeoutMs); PRAGMA query_only = 1;")
        checkpointer = try Checkpointer(path: path, busyTimeoutMs: options.busyTimeoutMs, threshold: options.checkpointPages)
        checkpointer.attach(to: w)
        writer = Confined(w)
        reader = Confined(r)
    }

    /// Blocks until the writes queued so far are committed and a background checkpoint in progress is done:
    /// the last step of a stopping service, so the process never exits in the middle of either.
    public func finishBackgroundWork() {
        writerQueue.sync {}
        checkpointer.drain()
    }

    /// The highest applied migration.
    public func schemaVersion() throws(SQLiteError) -> Int {
        let rows = try readSync { c throws(SQLiteError) in try c.queryOne("SELECT MAX(version) AS v FROM schema_migrations") }
        return Int(rows?.int("v") ?? 0)
    }

    private static func migrate(_ c: Connection, _ migrations: [Migration]) throws(SQLiteError) {
        try c.executeScript("""
            CREATE TABLE IF NOT EXISTS schema_migrations(
                version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)
            """)
        let current = Int(try c.queryOne("SELECT COALESCE(MAX(version), 0) AS v FROM schema_migrations")?.int("v") ?? 0)
        let known = migrations.map(\.version).max() ?? 0
        if current > known {
            throw SQLiteError(extendedCode: SQLITE_ERROR,
                              message: "database schema version \(current) is newer than this program's \(known); refusing to run an older binary on it")
        }
        for m in migrations.sorted(by: { $0.version < $1.version }) where m.version > current {
            try c.executeScript("BEGIN IMMEDIATE")
            do {
                try c.executeScript(m.sql)
                try c.execute("INSERT INTO schema_migrations(version, name, applied_at) VALUES (?, ?, strftime('%s','now'))",
                              m.version, m.name)
                try c.executeScript("COMMIT")
            } catch {
                try? c.executeScript("ROLLBACK")
                throw SQLiteError(extendedCode: error.extendedCode,
                                  message: "migration \(m.version) (\(m.name)) failed: \(error.message)", sql: error.sql)
            }
        }
    }

    // MARK: Writes

    /// Runs `body` in a write transaction and returns its result once the transaction is durably committed.
    /// If `body` throws, its changes are rolled back and the error is rethrown; other writes in the same
    /// batch are unaffected.
    @discardableResult
    public func write<T: Sendable>(_ body: @escaping @Sendable (Connection) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            enqueue(body) { continuation.resume(with: $0) }
        }
    }

    /// Blocking form of ``write(_:)`` for threads outside Swift concurrency (command-line tools, tests).
    @discardableResult
    public func writeSync<T: Sendable>(_ body: @escaping @Sendable (Connection) throws -> T) throws -> T {
        let done = DispatchSemaphore(value: 0)
        let result = Mutex<Result<T, any Error>?>(nil)
        enqueue(body) { r in
            result.withLock { $0 = r }
            done.signal()
        }
        done.wait()
        return try result.withLock { $0! }.get()
    }

    /// Callback form of ``write(_:)``: `completion` gets the result once the transaction is durably
    /// committed (or failed), on the writer's thread, right after the commit. It must be quick and must
    /// never block: the next batch waits for it. It saves the hop through Swift's task pool that resuming
    /// an `await` costs, for callers that only forward the result (answering a message).
    public func write<T: Sendable>(_ body: @escaping @Sendable (Connection) throws -> T,
                                   then completion: @escaping @Sendable (Result<T, any Error>) -> Void) {
        enqueue(body, completion: completion)
    }

    private func enqueue<T: Sendable>(_ body: @escaping @Sendable (Connection) throws -> T,
                                      completion: @escaping @Sendable (Result<T, any Error>) -> Void) {
        let box = ResultBox<T>()
        let job = Job(run: { connection in
            do {
                box.result = .success(try body(connection))
                return true
            } catch {
                box.result = .failure(error)
                return false
            }
        }, complete: { commitError in
            if let commitError, case .success = box.result {
                completion(.failure(commitError))
            } else {
                completion(box.result ?? .failure(SQLiteError(extendedCode: SQLITE_MISUSE, message: "write did not run")))
            }
        })
        let startDrain = queue.withLock { q -> Bool in
            q.jobs.append(job)
            if q.draining { return false }
            q.draining = true
            return true
        }
        if startDrain {
            writerQueue.async { [self] in drain() }
        }
    }

    /// Commits queued writes in batches until the queue is empty.
    private func drain() {
        let c = writer.connection
        while true {
            let batch = queue.withLock { q -> [Job] in
                if q.jobs.isEmpty {
                    q.draining = false
                    return []
                }
                let n = min(q.jobs.count, options.maxBatch)
                let taken = Array(q.jobs.prefix(n))
                q.jobs.removeFirst(n)
                return taken
            }
            if batch.isEmpty { return }
            var failure: SQLiteError?
            do {
                // Prepared once and cached, like every statement here: these run per write.
                try c.execute("BEGIN IMMEDIATE")
                for job in batch {
                    try c.execute("SAVEPOINT job")
                    if job.run(c) {
                        try c.execute("RELEASE job")
                    } else {
                        try c.execute("ROLLBACK TO job")
                        try c.execute("RELEASE job")
                    }
                }
                try c.execute("COMMIT")
            } catch {
                failure = error
                try? c.executeScript("ROLLBACK")
            }
            options.aroundCompletions {
                for job in batch { job.complete(failure) }
            }
        }
    }

    // MARK: Reads

    /// Runs `body` on the reader connection (a consistent snapshot in WAL mode, concurrent with writes).
    public func read<T: Sendable>(_ body: @escaping @Sendable (Connection) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            readerQueue.async { [reader] in
                continuation.resume(with: Result { try Self.inReadTransaction(reader.connection, body) })
            }
        }
    }

    /// Blocking form of ``read(_:)``.
    public func readSync<T, E: Error>(_ body: (Connection) throws(E) -> T) throws(E) -> T {
        let result: Result<T, E> = readerQueue.sync { [reader] in
            do throws(E) { return .success(try body(reader.connection)) } catch { return .failure(error) }
        }
        return try result.get()
    }

    private static func inReadTransaction<T>(_ c: Connection, _ body: (Connection) throws -> T) throws -> T {
        try c.executeScript("BEGIN")
        defer { try? c.executeScript("COMMIT") }
        return try body(c)
    }
}

/// Holds one write's result between running it and reporting it after the commit.
private final class ResultBox<T>: @unchecked Sendable {
    // Safe: written during the job's `run` and read during its `complete`, both on the writer queue.
    var result: Result<T, any Error>?
    init() {}
}
