@preconcurrency import Dispatch
import Crypto
import Curl
import Events
import FoundationEssentials
import Logging
import ServiceKit
import Storage
import Synchronization
import Wire

/// Performs pending deliveries outside the inbox's transaction, so an event is acked as soon as its
/// deliveries are recorded. Each outcome is recorded right after its attempt (one small write), which
/// keeps the window in which a crash can cause a resend as short as a commit.
///
/// Outcomes: delivered; transient failure -> retried after `min(base·2^(n−1), max)` jittered, until
/// `NOTIFIER_MAX_ATTEMPTS`; permanent failure -> `failed_permanent`, listed by `notifier failures`.
final class DeliverySender: Sendable {
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
    private let waker: Waker
    private let smtp: SMTPClient?
    private let http: HTTPClient
    private let task = Mutex<Task<Void, Never>?>(nil)

    init(database: Database, config: NotifierConfig, waker: Waker, logger: Logger) {
        self.database = database
        self.config = config
        self.waker = waker
        self.logger = logger
        if case .smtp(let s) = config.mail { smtp = SMTPClient(s) } else { smtp = nil }
        http = HTTPClient(timeouts: ClientTimeouts(connect: min(config.webhookTimeout, .seconds(10)), total: config.webhookTimeout))
    }

    func start() {
        let t = Task { [self] in await run() }
        task.withLock { $0 = t }
    }

    /// Stops after the attempts in flight are recorded.
    func stop() {
        guard let t = task.withLock({ t in defer { t = nil }; return t }) else { return }
        t.cancel()
        waker.notify()
        let done = DispatchSemaphore(value: 0)
        Task {
            await t.value
            done.signal()
        }
        done.wait()
    }

    private func run() async {
        var seen = waker.current
        while !Task.isCancelled {
            let now = Envelope.now()
            let batch: [Due]
            do {
                batch = try await database.read { c in try Self.due(c, now: now, limit: 256) }
            } catch {
                logger.error("cannot read deliveries", ["error": "\(error)"])
                await waker.wait(upTo: .seconds(1), seen: &seen)
                continue
            }
            if batch.isEmpty {
                let next = (try? await database.read { c in
                    try c.queryOne("SELECT MIN(next_attempt_at) AS t FROM deliveries WHERE status = 'pending'")?.int("t")
                }) ?? nil
                let wait = next.map { Duration.milliseconds(max(1, min($0 - Envelope.now(), 1_000))) } ?? .seconds(1)
                await waker.wait(upTo: wait, seen: &seen)
                continue
            }
            // Worker k takes items k, k+n, k+2n, ...: n attempts in flight, no shared cursor.
            let workers = min(config.concurrency, batch.count)
            await withTaskGroup(of: Void.self) { group in
                for k in 0..<workers {
                    group.addTask { [self] in
                        for d in stride(from: k, to: batch.count, by: workers).map({ batch[$0] }) {
                            if Task.isCancelled { return }
                            await recordOutcome(d, await attempt(d))
                        }
                    }
                }
            }
        }
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
            guard case .directory(let dir) = config.mail else { return .permanent("no mail transport") }
            return Self.writeEML(d, directory: dir)
        case "webhook":
            return await post(d)
        default:
            return .permanent("unknown channel \(d.channel)")
        }
    }

    /// Writes the message to `<dir>/<event id>.eml` (temporary file, then rename: a reader never sees a
    /// half-written file and a resend replaces the file instead of adding one).
    static func writeEML(_ d: Due, directory: String) -> Outcome {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let url = URL(fileURLWithPath: directory).appendingPathComponent("\(d.eventID).eml")
            try Data(d.payload).write(to: url, options: .atomic)
            return .delivered
        } catch {
            return .transient("cannot write the .eml file: \(error)")
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
            return error.kind == .usage ? .permanent(error.description) : .transient(error.description)
        }
    }

    private func recordOutcome(_ d: Due, _ outcome: Outcome) async {
        let config = self.config
        let log = logger.with("event.id", d.eventID).with("event.type", d.eventType).with("order.id", d.orderID)
            .with("channel", d.channel).with("attempts", String(d.attempts + 1))
        do {
            try await database.write { c in
                let now = Envelope.now()
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
                        let delay = Self.backoff(attempt: Int(attempts), base: config.retryBase, cap: config.retryMax)
                        try c.execute("""
                            UPDATE deliveries SET attempts = ?, last_error = ?, next_attempt_at = ?
                            WHERE event_id = ? AND channel = ? AND status = 'pending'
                            """, attempts, reason, now + delay.milliseconds, d.eventID, d.channel)
                    }
                }
            }
        } catch {
            log.error("cannot record a delivery outcome; it will be attempted again", ["error": "\(error)"])
            return
        }
        switch outcome {
        case .delivered: log.info("delivered")
        case .transient(let reason): log.warn("delivery failed; will retry", ["error": reason])
        case .permanent(let reason): log.error("delivery failed permanently; see 'notifier failures'", ["error": reason])
        }
    }

    /// Retry delay for attempt n (1-based): base·2^(n−1), capped, jittered into [half, full].
    static func backoff(attempt: Int, base: Duration, cap: Duration) -> Duration {
        let raw = min(base * Double(1 << min(attempt - 1, 30)), cap)
        return raw * Double.random(in: 0.5...1.0)
    }
}
