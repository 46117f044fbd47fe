@preconcurrency import Dispatch
import Core
import Crypto
import Curl
import Events
import FoundationEssentials
import Logging
import ServiceKit
import Storage
import Wire

/// Performs pending deliveries outside the inbox's transaction, so an event is acked as soon as its
/// deliveries are recorded.
///
/// Over the network (SMTP, merchant posts) `NOTIFIER_CONCURRENCY` attempts run at once and each outcome is
/// recorded right after its attempt, before that worker starts another, which keeps the window in which a
/// crash can cause a resend to the attempts in flight (their writes share group commits). Emails for the
/// `.eml` directory are written a batch at a time by ``MailDirectory`` (files durable first) and the whole
/// batch is recorded delivered in one transaction, committed while the next batch is written: a crash
/// before that commit only rewrites the same files.
///
/// Outcomes: delivered; transient failure -> retried after `min(base·2^(n−1), max)` jittered, until
/// `NOTIFIER_MAX_ATTEMPTS`; permanent failure -> `failed_permanent`, listed by `notifier failures`.
final class DeliverySender: DeliveryRounds, Service {
    /// One attempt's result.
    enum Outcome: Sendable {
        case delivered
        case transient(String)
        case permanent(String)
    }

    struct Due: Sendable {
        var eventID: String
        var channel: String
        var eventType: String
        var orderID: String
        var recipient: String
        var payload: [UInt8]
        var attempts: Int64
    }

    private let database: Database
    private let config: NotifierConfig
    private let logger: Logger
    /// Notified by the inbox after new deliveries were recorded.
    let waker: Waker
    private let smtp: SMTPClient?
    private let mailDirectory: MailDirectory?
    private let http: HTTPClient

    init(database: Database, config: NotifierConfig, waker: Waker, logger: Logger) {
        self.database = database
        self.config = config
        self.waker = waker
        self.logger = logger
        if case .smtp(let s) = config.mail { smtp = SMTPClient(s) } else { smtp = nil }
        if case .directory(let dir) = config.mail { mailDirectory = MailDirectory(path: dir) } else { mailDirectory = nil }
        http = HTTPClient(timeouts: ClientTimeouts(connect: min(config.webhookTimeout, .seconds(10)), total: config.webhookTimeout))
    }

    /// Sends until cancelled; the attempts in flight are recorded first.
    func run() async {
        await runRounds()
    }

    // The sender loop (``DeliveryRounds``): written `.eml` batches are recorded while the next batch is read
    // and written; network deliveries are recorded by their workers before ``attempt(_:)`` returns.
    var batchSize: Int { 256 }
    var idlePoll: Duration { .seconds(1) }

    func key(of delivery: Due) -> Key { Key(delivery) }

    func due(now: Int64, limit: Int) async -> [Due]? {
        do {
            return try await database.read { c in try Self.due(c, now: now, limit: limit) }
        } catch {
            logger.error("cannot read deliveries", ["error": "\(error)"])
            return nil
        }
    }

    func nextDue() async -> Int64? {
        (try? await database.read { c in
            try c.queryOne("SELECT MIN(next_attempt_at) AS t FROM deliveries WHERE status = 'pending'")?.int("t")
        }) ?? nil
    }

    /// A delivery's primary key.
    struct Key: Hashable, Sendable {
        var eventID: String
        var channel: String
        init(_ d: Due) {
            eventID = d.eventID
            channel = d.channel
        }
    }

    /// Attempts every delivery of `batch`. Network deliveries are recorded one by one as they complete; the
    /// outcomes of the `.eml` files are returned for the loop to record.
    func attempt(_ batch: [Due]) async -> [(Due, Outcome)] {
        let toDirectory = mailDirectory != nil
        let files = batch.filter { toDirectory && $0.channel == "email" }
        let network = batch.filter { !(toDirectory && $0.channel == "email") }
        return await withTaskGroup(of: [(Due, Outcome)].self) { group in
            if !files.isEmpty {
                group.addTask { [self] in await writeFiles(files) }
            }
            // Worker k takes items k, k+n, k+2n, ...: n attempts in flight, no shared cursor.
            let workers = min(config.concurrency, network.count)
            for k in 0..<workers {
                group.addTask { [self] in
                    for d in stride(from: k, to: network.count, by: workers).map({ network[$0] }) {
                        if Task.isCancelled { break }
                        await record([(d, await attempt(d))])
                    }
                    return []
                }
            }
            var written: [(Due, Outcome)] = []
            for await part in group { written += part }
            return written
        }
    }

    /// Writes emails to the `.eml` directory as one durable batch (see ``MailDirectory``).
    private func writeFiles(_ batch: [Due]) async -> [(Due, Outcome)] {
        guard let mailDirectory else { return batch.map { ($0, .permanent("no mail transport")) } }
        var outcomes = [(Due, Outcome)?](repeating: nil, count: batch.count)
        var messages: [MailDirectory.Message] = [], indices: [Int] = []
        for (i, d) in batch.enumerated() {
            if MailDirectory.isSafeName(d.eventID) {
                messages.append(MailDirectory.Message(name: d.eventID, bytes: d.payload))
                indices.append(i)
            } else {
                outcomes[i] = (d, .permanent("the event id '\(d.eventID.prefix(64))' is not usable as a file name"))
            }
        }
        let results = await mailDirectory.deliver(messages)
        for (k, i) in indices.enumerated() {
            switch results[k] {
            case .success: outcomes[i] = (batch[i], .delivered)
            case .failure(let error): outcomes[i] = (batch[i], .transient("cannot write the .eml file: \(error)"))
            }
        }
        return outcomes.map { $0! }
    }

    static func due(_ c: Connection, now: Int64, limit: Int) throws -> [Due] {
        try c.query("""
            SELECT event_id, channel, event_type, order_id, recipient, payload, attempts FROM deliveries
            WHERE status = 'pending' AND next_attempt_at <= ? ORDER BY next_attempt_at LIMIT ?
            """, now, limit).map { r in
            Due(eventID: r.string("event_id") ?? "", channel: r.string("channel") ?? "", eventType: r.string("event_type") ?? "",
                orderID: r.string("order_id") ?? "", recipient: r.string("recipient") ?? "", payload: r.blob("payload") ?? [],
                attempts: r.int("attempts") ?? 0)
        }
    }

    func attempt(_ d: Due) async -> Outcome {
        switch d.channel {
        case "email":
            if let smtp {
                do throws(SMTPError) {
                    try await smtp.send(from: config.from.address, to: [d.recipient], message: d.payload)
                    return .delivered
                } catch {
                    return error.isPermanent ? .permanent(error.description) : .transient(error.description)
                }
            }
            return await writeFiles([d])[0].1
        case "webhook":
            return await post(d)
        default:
            return .permanent("unknown channel \(d.channel)")
        }
    }

    /// Posts the event to the merchant, signed like Stripe signs webhooks.
    func post(_ d: Due) async -> Outcome {
        let timestamp = Envelope.now() / 1000
        let signature = WebhookSignature.header(body: d.payload, timestamp: timestamp, secrets: config.webhookSecrets)
        let request = ClientRequest(method: "POST", url: d.recipient, headers: [
            ("Content-Type", "application/json"),
            ("User-Agent", "shop-notifier/\(ShopVersion.current)"),
            ("Shop-Signature", signature),
            ("Idempotency-Key", d.eventID),
        ], body: d.payload)
        do throws(CurlError) {
            let response = try await http.send(request)
            switch response.status {
            case 200..<300: return .delivered
            case 408, 429, 500..<600: return .transient("merchant answered HTTP \(response.status)")
            default: return .permanent("merchant answered HTTP \(response.status)")
            }
        } catch {
            // An endpoint that answers with megabytes will not stop doing so on a retry.
            return error.kind == .usage || error.kind == .tooLarge ? .permanent(error.description) : .transient(error.description)
        }
    }

    /// Records outcomes in one write transaction (it shares a group commit with other writes queued at the
    /// same time), then logs them.
    func record(_ outcomes: [(Due, Outcome)]) async {
        if outcomes.isEmpty { return }
        let config = self.config
        do {
            try await database.write { c in
                let now = Envelope.now()
                for (d, outcome) in outcomes {
                    try Self.apply(outcome, of: d, in: c, now: now, config: config)
                }
            }
        } catch {
            for (d, _) in outcomes {
                log(d).error("cannot record a delivery outcome; it will be attempted again", ["error": "\(error)"])
            }
            return
        }
        for (d, outcome) in outcomes {
            switch outcome {
            case .delivered: if logger.minimumLevel <= .info { log(d).info("delivered") }
            case .transient(let reason): if logger.minimumLevel <= .warn { log(d).warn("delivery failed; will retry", ["error": reason]) }
            case .permanent(let reason): log(d).error("delivery failed permanently; see 'notifier failures'", ["error": reason])
            }
        }
    }

    private func log(_ d: Due) -> Logger {
        logger.with("event.id", d.eventID).with("event.type", d.eventType).with("order.id", d.orderID)
            .with("channel", d.channel).with("attempts", String(d.attempts + 1))
    }

    /// The update one outcome makes to its pending delivery row.
    static func apply(_ outcome: Outcome, of d: Due, in c: Connection, now: Int64, config: NotifierConfig) throws {
        switch outcome {
        case .delivered:
            try c.execute("""
                UPDATE deliveries SET status = 'delivered', attempts = attempts + 1, delivered_at = ?, last_error = NULL
                WHERE event_id = ? AND channel = ? AND status = 'pending'
                """, now, d.eventID, d.channel)
        case .permanent(let reason):
            try c.execute("""
                UPDATE deliveries SET status = 'failed_permanent', attempts = attempts + 1, last_error = ?
                WHERE event_id = ? AND channel = ? AND status = 'pending'
                """, reason, d.eventID, d.channel)
        case .transient(let reason):
            let attempts = d.attempts + 1
            if attempts >= Int64(config.maxAttempts) {
                try c.execute("""
                    UPDATE deliveries SET status = 'failed_permanent', attempts = ?, last_error = ?
                    WHERE event_id = ? AND channel = ? AND status = 'pending'
                    """, attempts, "gave up after \(attempts) attempts: \(reason)", d.eventID, d.channel)
            } else {
                let delay = backoff(attempt: Int(attempts), base: config.retryBase, cap: config.retryMax)
                try c.execute("""
                    UPDATE deliveries SET attempts = ?, last_error = ?, next_attempt_at = ?
                    WHERE event_id = ? AND channel = ? AND status = 'pending'
                    """, attempts, reason, now + delay.milliseconds, d.eventID, d.channel)
            }
        }
    }

    /// Retry delay for attempt n (1-based): base·2^(n−1), capped, jittered into [half, full].
    static func backoff(attempt: Int, base: Duration, cap: Duration) -> Duration {
        Backoff.delay(attempt: attempt, base: base, cap: cap)
    }
}
