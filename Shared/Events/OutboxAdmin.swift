import FoundationEssentials
import Storage
import Wire

/// What operators need from an outbox: what is pending or dead, each subscriber's backlog, and replaying
/// dead-lettered events. Used by `<service> events ...` and by `sys.health`.
public enum OutboxAdmin {
    /// One delivery as listed.
    public struct Entry: Sendable {
        public var seq: Int64
        public var eventID: String
        public var type: String
        public var key: String
        public var subscriber: String
        public var status: String
        public var attempts: Int64
        public var lastError: String?
        public var createdAt: Int64
    }

    /// One subscriber's backlog.
    public struct Backlog: Sendable {
        public var subscriber: String
        public var pending: Int64
        public var dead: Int64
        public var delivered: Int64
        public var oldestPendingAt: Int64?
    }

    /// The delivery states an operator lists.
    public enum Listed: String, Sendable {
        case pending, dead
    }

    /// Deliveries in `status`, oldest first.
    public static func list(_ c: Connection, status: Listed, limit: Int = 100) throws -> [Entry] {
        // The status is spelled out in the SQL, not bound: only then can SQLite use the partial index.
        try c.query("""
            SELECT d.event_seq, e.event_id, e.type, e.key, d.subscriber, d.status, d.attempts, d.last_error, e.created_at
            FROM outbox_deliveries d JOIN outbox_events e ON e.seq = d.event_seq
            WHERE d.status = '\(status.rawValue)' ORDER BY d.event_seq LIMIT ?
            """, limit).map { r in
            Entry(seq: r.int("event_seq") ?? 0, eventID: r.string("event_id") ?? "", type: r.string("type") ?? "",
                  key: r.string("key") ?? "", subscriber: r.string("subscriber") ?? "", status: r.string("status") ?? "",
                  attempts: r.int("attempts") ?? 0, lastError: r.string("last_error"), createdAt: r.int("created_at") ?? 0)
        }
    }

    /// Per-subscriber counts.
    public static func backlog(_ c: Connection) throws -> [Backlog] {
        try c.query("""
            SELECT subscriber,
                   SUM(status = 'pending') AS pending, SUM(status = 'dead') AS dead, SUM(status = 'delivered') AS delivered,
                   MIN(CASE WHEN status = 'pending' THEN e.created_at END) AS oldest
            FROM outbox_deliveries d JOIN outbox_events e ON e.seq = d.event_seq
            GROUP BY subscriber ORDER BY subscriber
            """).map { r in
            Backlog(subscriber: r.string("subscriber") ?? "", pending: r.int("pending") ?? 0, dead: r.int("dead") ?? 0,
                    delivered: r.int("delivered") ?? 0, oldestPendingAt: r.int("oldest"))
        }
    }

    /// Number of dead-lettered deliveries.
    public static func deadCount(_ c: Connection) throws -> Int64 {
        try c.queryOne("SELECT COUNT(*) AS n FROM outbox_deliveries WHERE status = 'dead'")?.int("n") ?? 0
    }

    /// Puts dead deliveries back to pending with fresh attempts: one event (by id) or all. Returns how many.
    @discardableResult
    public static func replay(_ c: Connection, eventID: String?, now: Int64 = Envelope.now()) throws -> Int {
        if let eventID {
            return try c.execute("""
                UPDATE outbox_deliveries SET status = 'pending', attempts = 0, next_attempt_at = ?, last_error = NULL
                WHERE status = 'dead' AND event_seq = (SELECT seq FROM outbox_events WHERE event_id = ?)
                """, now, eventID)
        }
        return try c.execute("""
            UPDATE outbox_deliveries SET status = 'pending', attempts = 0, next_attempt_at = ?, last_error = NULL
            WHERE status = 'dead'
            """, now)
    }

    /// `events` operator command: `pending`, `dead`, `backlog`, `replay <event-id>` or `replay --all`.
    /// Prints to stdout; returns the exit code.
    public static func command(_ arguments: [String], database: Database, print: (String) -> Void,
                               printError: (String) -> Void) -> Int32 {
        let usage = "usage: events pending [LIMIT] | events dead [LIMIT] | events backlog | events replay EVENT_ID | events replay --all"
        do {
            switch (arguments.first, arguments.count) {
            case ("pending", 1...2), ("dead", 1...2):
                let status = OutboxAdmin.Listed(rawValue: arguments[0])!
                let limit = arguments.count == 2 ? Int(arguments[1]) : 100
                guard let limit, limit > 0 else { printError("LIMIT must be a positive integer"); return 64 }
                let rows = try database.readSync { c in try list(c, status: status, limit: limit) }
                print("\(rows.count) \(status.rawValue) deliver\(rows.count == 1 ? "y" : "ies")")
                for r in rows {
                    print("\(r.eventID)  \(r.type)  key=\(r.key)  to=\(r.subscriber)  attempts=\(r.attempts)"
                          + (r.lastError.map { "  last_error=\($0)" } ?? ""))
                }
                return 0
            case ("backlog", 1):
                let rows = try database.readSync { c in try backlog(c) }
                if rows.isEmpty { print("no deliveries yet") }
                let now = Envelope.now()
                for r in rows {
                    let age = r.oldestPendingAt.map { "  oldest_pending_age_ms=\(now - $0)" } ?? ""
                    print("\(r.subscriber)  pending=\(r.pending)  dead=\(r.dead)  delivered=\(r.delivered)\(age)")
                }
                return 0
            case ("replay", 2):
                let target = arguments[1] == "--all" ? nil : arguments[1]
                let n = try database.writeSync { c in try replay(c, eventID: target) }
                if n == 0 {
                    printError(target.map { "no dead-lettered delivery for event \($0)" } ?? "no dead-lettered deliveries")
                    return 1
                }
                print("replaying \(n) deliver\(n == 1 ? "y" : "ies"); the running service's relay sends them within a second")
                return 0
            default:
                printError(usage)
                return 64
            }
        } catch {
            printError("events: \(error)")
            return 1
        }
    }
}
