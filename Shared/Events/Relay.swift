import Core
import Logging
import Storage
import Transport
import Wire

/// Sends outbox deliveries to subscribers and records their fate.
///
/// One loop per subscriber (``DeliveryRounds``), so a subscriber that is down never delays another. Each
/// round takes the due deliveries in publication order, at most one per key (so events about one order
/// arrive in order), sends them as one batch on the subscriber's connection, and records every outcome in
/// one transaction (committed while the next round is sent):
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

    public init(outbox: Outbox, database: Database, options: Options = Options(), logger: Logger,
                clients: @escaping @Sendable (String) -> MessageClient) {
        self.outbox = outbox
        self.database = database
        self.options = options
        self.logger = logger
        self.clients = clients
    }

    /// Runs one loop per subscriber of this publisher until cancelled; each loop finishes recording the
    /// round in flight.
    public func run() async {
        await withDiscardingTaskGroup { group in
            for subscriber in outbox.subscriptions.subscribers(of: outbox.publisher) {
                let rounds = SubscriberRounds(relay: self, subscriber: subscriber, client: clients(subscriber))
                group.addTask { await rounds.runRounds() }
            }
        }
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

    /// One subscriber's loop (``DeliveryRounds``): a round is one batch on the subscriber's connection.
    /// A later event of the same key is held back by the due query until the earlier one is recorded
    /// delivered.
    struct SubscriberRounds: DeliveryRounds {
        let relay: Relay
        let subscriber: String
        let client: MessageClient

        var waker: Waker { relay.outbox.waker }
        var batchSize: Int { relay.options.batchSize }
        var idlePoll: Duration { relay.options.idlePoll }

        func key(of delivery: Delivery) -> Int64 { delivery.seq }

        func due(now: Int64, limit: Int) async -> [Delivery]? {
            do {
                return try await relay.database.read { [subscriber] c in try Relay.due(c, subscriber: subscriber, now: now, limit: limit) }
            } catch {
                relay.logger.error("relay cannot read the outbox", ["subscriber": subscriber, "error": "\(error)"])
                return nil
            }
        }

        func nextDue() async -> Int64? {
            (try? await relay.database.read { [subscriber] c in try Relay.nextDue(c, subscriber: subscriber) }) ?? nil
        }

        func attempt(_ batch: [Delivery]) async -> [(Delivery, Outcome)] {
            await relay.send(batch, to: client)
        }

        func record(_ outcomes: [(Delivery, Outcome)]) async {
            do {
                try await relay.record(outcomes, subscriber: subscriber)
            } catch {
                relay.logger.error("relay cannot record outcomes; they will be redelivered", ["subscriber": subscriber, "error": "\(error)"])
            }
        }

        func isUnreachable(_ outcome: Outcome) -> Bool {
            if case .unreachable = outcome { true } else { false }
        }
    }

    /// Sends a round as one batch on the subscriber's connection and collects every outcome, in the order of
    /// `batch`. One write for the whole round, and one wake-up when its last ack arrives (or its deadline
    /// passes), rather than a task, a write and a wake-up per delivery.
    func send(_ batch: [Delivery], to client: MessageClient) async -> [(Delivery, Outcome)] {
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

    func record(_ outcomes: [(Delivery, Outcome)], subscriber: String) async throws {
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
