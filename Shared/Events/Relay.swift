import Core
import Logging
import Storage
import Synchronization
import Transport
import Wire

/// Sends outbox deliveries to subscribers and records their fate.
///
/// One loop per subscriber, so a subscriber that is down never delays another. Each round takes the due
/// deliveries in publication order, at most one per key (so events about one order arrive in order),
/// sends them as one batch on the subscriber's connection, and records every outcome in one transaction
/// (committed while the next round is sent):
/// acked -> `delivered`; nacked or timed out -> retried with capped exponential backoff and jitter, then
/// `dead` after ``Options/maxAttempts`` or ``Options/maxAge``; subscriber unreachable -> left pending
/// (no attempt counted) while the loop backs off.
public final class Relay: Sendable {
    /// Retry and batching policy.
    public struct Options: Sendable {
        /// Deliveries sent per round and subscriber.
        public var batchSize = 256
        /// Attempts (nacks or timeouts) before an event is dead-lettered.
        public var maxAttempts = 10
        /// Age after which a failing event is dead-lettered whatever its attempts.
        public var maxAge: Duration = .seconds(3 * 24 * 3600)
        /// First retry delay; doubles per attempt.
        public var retryBase: Duration = .milliseconds(100)
        /// Largest retry delay.
        public var retryMax: Duration = .seconds(30)
        /// Deadline of one delivery.
        public var deliveryDeadline: Duration = .seconds(10)
        /// How often an idle loop looks for due retries even without a wake-up.
        public var idlePoll: Duration = .seconds(1)

        public init() {}
    }

    public let outbox: Outbox
    public let options: Options
    private let database: Database
    private let clients: @Sendable (String) -> MessageClient
    private let logger: Logger
    private let tasks = Mutex<[Task<Void, Never>]>([])

    public init(outbox: Outbox, database: Database, options: Options = Options(), logger: Logger,
                clients: @escaping @Sendable (String) -> MessageClient) {
        self.outbox = outbox
        self.database = database
        self.options = options
        self.logger = logger
        self.clients = clients
    }

    /// Starts one loop per subscriber of this publisher.
    public func start() {
        let subscribers = outbox.subscriptions.subscribers(of: outbox.publisher)
        let started = subscribers.map { subscriber in
            Task { [self] in await run(subscriber: subscriber) }
        }
        tasks.withLock { $0 = started }
    }

    /// Stops the loops; an in-flight round finishes recording what it learned.
    public func stop() async {
        let running = tasks.withLock { t in
            defer { t = [] }
            return t
        }
        for t in running { t.cancel() }
        outbox.waker.notify()
        for t in running { await t.value }
    }

    struct Delivery: Sendable {
        var seq: Int64
        var eventID: String
        var type: String
        var payload: [UInt8]
        var traceID: String?
        var attempts: Int64
        var createdAt: Int64
    }

    enum Outcome: Sendable {
        case delivered
        case failed(String)
        case unreachable(String)
    }

    /// One subscriber's loop. Rounds overlap by one: round k+1 is read and sent while the outcomes of round k
    /// are being committed (the commit, an fsync, no longer stalls the subscriber). Deliveries of a round
    /// whose outcomes are not committed yet are excluded from the next read, so none is sent twice; a later
    /// event of the same key is still held back by the due query until the earlier one is recorded delivered.
    private func run(subscriber: String) async {
        let client = clients(subscriber)
        var unreachableBackoff: Duration = .zero
        var seen = outbox.waker.current
        // The round being recorded, and the sequence numbers it covers.
        var recording: (task: Task<Void, Never>, seqs: Set<Int64>)?
        func finishRecording() async {
            guard let r = recording else { return }
            await r.task.value
            recording = nil
        }
        while !Task.isCancelled {
            let now = Envelope.now()
            let inFlight = recording?.seqs ?? []
            var batch: [Delivery]
            do {
                batch = try await database.read { [options] c in
                    try Self.due(c, subscriber: subscriber, now: now, limit: options.batchSize + inFlight.count)
                }
            } catch {
                logger.error("relay cannot read the outbox", ["subscriber": subscriber, "error": "\(error)"])
                await finishRecording()
                await outbox.waker.wait(upTo: options.idlePoll, seen: &seen)
                continue
            }
            if !inFlight.isEmpty { batch = Array(batch.lazy.filter { !inFlight.contains($0.seq) }.prefix(options.batchSize)) }
            if batch.isEmpty {
                if recording != nil {
                    // Its commit may make later events of the same keys due: look again right after it.
                    await finishRecording()
                    continue
                }
                let next = (try? await database.read { c in try Self.nextDue(c, subscriber: subscriber) }) ?? nil
                let wait = next.map { Duration.milliseconds(max(1, min($0 - Envelope.now(), 1_000))) } ?? options.idlePoll
                await outbox.waker.wait(upTo: min(wait, options.idlePoll), seen: &seen)
                continue
            }
            let outcomes = await send(batch, to: client)
            await finishRecording()
            let task = Task { [self] in
                do {
                    try await record(outcomes, subscriber: subscriber)
                } catch {
                    logger.error("relay cannot record outcomes; they will be redelivered", ["subscriber": subscriber, "error": "\(error)"])
                }
            }
            recording = (task, Set(batch.map(\.seq)))
            if outcomes.contains(where: { if case .unreachable = $0.1 { true } else { false } }) {
                unreachableBackoff = unreachableBackoff == .zero ? .milliseconds(50) : min(unreachableBackoff * 2, .seconds(2))
                try? await Task.sleep(for: unreachableBackoff * Double.random(in: 0.5...1.0))
            } else {
                unreachableBackoff = .zero
            }
        }
        await finishRecording()
    }

    /// Sends a round as one batch on the subscriber's connection and collects every outcome, in the order of
    /// `batch`. One write for the whole round, and one wake-up when its last ack arrives (or its deadline
    /// passes), rather than a task, a write and a wake-up per delivery.
    private func send(_ batch: [Delivery], to client: MessageClient) async -> [(Delivery, Outcome)] {
        // A stored payload that is not JSON fails its delivery without being sent.
        var outcomes: [Outcome?] = Array(repeating: nil, count: batch.count)
        var messages: [Envelope] = []
        var sentIndices: [Int] = []
        messages.reserveCapacity(batch.count)
        sentIndices.reserveCapacity(batch.count)
        for (index, delivery) in batch.enumerated() {
            do throws(WireError) {
                let payload = try RawJSON(validating: delivery.payload)
                messages.append(Envelope(kind: .event, type: delivery.type, traceID: delivery.traceID, payload: payload))
                sentIndices.append(index)
            } catch {
                outcomes[index] = .failed("stored payload is not valid JSON: \(error.message)")
            }
        }
        let replies = await client.sendAll(messages, deadline: options.deliveryDeadline, waitForConnection: false)
        for (index, reply) in zip(sentIndices, replies) {
            outcomes[index] = Self.outcome(of: reply)
        }
        return zip(batch, outcomes).map { delivery, outcome in (delivery, outcome!) }
    }

    /// What one answer (or its absence) means for a delivery.
    static func outcome(of reply: Result<Envelope, ClientError>) -> Outcome {
        switch reply {
        case .success: .delivered
        case .failure(let error):
            switch error.code {
            case .remote: .failed("\(error.remote?.code ?? "error"): \(error.remote?.message ?? "")")
            case .deadlineExceeded: .failed("no ack before the deadline")
            case .unavailable, .protocolViolation: .unreachable(error.message)
            }
        }
    }

    private func record(_ outcomes: [(Delivery, Outcome)], subscriber: String) async throws {
        let options = self.options
        let logger = self.logger
        try await database.write { c in
            let now = Envelope.now()
            for (d, outcome) in outcomes {
                switch outcome {
                case .delivered:
                    try c.execute("""
                        UPDATE outbox_deliveries SET status = 'delivered', delivered_at = ?, attempts = attempts + 1
                        WHERE event_seq = ? AND subscriber = ? AND status = 'pending'
                        """, now, d.seq, subscriber)
                case .unreachable(let reason):
                    try c.execute("""
                        UPDATE outbox_deliveries SET last_error = ? WHERE event_seq = ? AND subscriber = ? AND status = 'pending'
                        """, reason, d.seq, subscriber)
                case .failed(let reason):
                    let attempts = d.attempts + 1
                    let age = Duration.milliseconds(now - d.createdAt)
                    if attempts >= Int64(options.maxAttempts) || age >= options.maxAge {
                        try c.execute("""
                            UPDATE outbox_deliveries SET status = 'dead', attempts = ?, last_error = ?
                            WHERE event_seq = ? AND subscriber = ? AND status = 'pending'
                            """, attempts, reason, d.seq, subscriber)
                        logger.error("event dead-lettered", ["subscriber": subscriber, "event.id": d.eventID,
                                                             "event.type": d.type, "attempts": String(attempts), "error": reason])
                    } else {
                        let delay = Self.backoff(attempt: Int(attempts), base: options.retryBase, cap: options.retryMax)
                        try c.execute("""
                            UPDATE outbox_deliveries SET attempts = ?, last_error = ?, next_attempt_at = ?
                            WHERE event_seq = ? AND subscriber = ? AND status = 'pending'
                            """, attempts, reason, now + delay.milliseconds, d.seq, subscriber)
                        logger.warn("event nacked; will retry", ["subscriber": subscriber, "event.id": d.eventID,
                                                                 "attempts": String(attempts), "error": reason])
                    }
                }
            }
        }
    }

    /// Retry delay for attempt n (1-based): base * 2^(n-1), capped, jittered into [half, full].
    static func backoff(attempt: Int, base: Duration, cap: Duration) -> Duration {
        Backoff.delay(attempt: attempt, base: base, cap: cap)
    }

    /// Due deliveries for `subscriber`, oldest first, skipping any whose key has an earlier pending one.
    static func due(_ c: Connection, subscriber: String, now: Int64, limit: Int) throws -> [Delivery] {
        try c.query("""
            SELECT d.event_seq, e.event_id, e.type, e.payload, e.trace_id, d.attempts, e.created_at
            FROM outbox_deliveries d JOIN outbox_events e ON e.seq = d.event_seq
            WHERE d.subscriber = ?1 AND d.status = 'pending' AND d.next_attempt_at <= ?2
              AND NOT EXISTS (SELECT 1 FROM outbox_deliveries p
                              WHERE p.subscriber = ?1 AND p.key = d.key AND p.status = 'pending' AND p.event_seq < d.event_seq)
            ORDER BY d.event_seq LIMIT ?3
            """, subscriber, now, limit).map { r in
            Delivery(seq: r.int("event_seq") ?? 0, eventID: r.string("event_id") ?? "", type: r.string("type") ?? "",
                     payload: r.blob("payload") ?? [], traceID: r.string("trace_id"),
                     attempts: r.int("attempts") ?? 0, createdAt: r.int("created_at") ?? 0)
        }
    }

    /// When the next pending delivery for `subscriber` becomes due, if any.
    static func nextDue(_ c: Connection, subscriber: String) throws -> Int64? {
        try c.queryOne("SELECT MIN(next_attempt_at) AS t FROM outbox_deliveries WHERE subscriber = ? AND status = 'pending'",
                       subscriber)?.int("t")
    }
}
