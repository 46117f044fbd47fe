import ServiceKit
import Storage
import Wire

/// notifier's operator subcommands.
enum NotifierCommands {
    /// `notifier failures [LIMIT]`: deliveries that failed permanently, newest first.
    static let failures = ServiceCommand(
        name: "failures",
        usage: "failures [LIMIT]             deliveries that failed permanently (see 'retry')") { arguments, database in
        guard let database else { return 1 }
        let limit = arguments.first.map { Int($0) } ?? 100
        guard let limit, limit > 0, arguments.count <= 1 else {
            ServiceMain.printError("usage: notifier failures [LIMIT]")
            return 64
        }
        do {
            let rows = try database.readSync { c in try permanentFailures(c, limit: limit) }
            print("\(rows.count) failed deliver\(rows.count == 1 ? "y" : "ies")")
            for r in rows {
                print("\(r.string("event_id") ?? "")  \(r.string("channel") ?? "")  \(r.string("event_type") ?? "")"
                      + "  order=\(r.string("order_id") ?? "")  attempts=\(r.int("attempts") ?? 0)"
                      + "  last_error=\(r.string("last_error") ?? "")")
            }
            return 0
        } catch {
            ServiceMain.printError("failures: \(error)")
            return 1
        }
    }

    /// `notifier deliveries`: counts per channel and status.
    static let deliveries = ServiceCommand(
        name: "deliveries",
        usage: "deliveries                   counts per channel and status") { _, database in
        guard let database else { return 1 }
        do {
            let rows = try database.readSync { c in
                try c.query("SELECT channel, status, COUNT(*) AS n FROM deliveries GROUP BY channel, status ORDER BY channel, status")
            }
            if rows.isEmpty { print("no deliveries yet") }
            for r in rows { print("\(r.string("channel") ?? "")  \(r.string("status") ?? "")  \(r.int("n") ?? 0)") }
            return 0
        } catch {
            ServiceMain.printError("deliveries: \(error)")
            return 1
        }
    }

    /// `notifier retry EVENT_ID [CHANNEL] | --all`: puts permanent failures back to pending.
    static let retry = ServiceCommand(
        name: "retry",
        usage: "retry EVENT_ID [CHANNEL] | --all   send permanently failed deliveries again") { arguments, database in
        guard let database, (1...2).contains(arguments.count) else {
            ServiceMain.printError("usage: notifier retry EVENT_ID [email|webhook] | notifier retry --all")
            return 64
        }
        do {
            let now = Envelope.now()
            let n = try database.writeSync { c in
                try requeue(c, eventID: arguments[0] == "--all" ? nil : arguments[0],
                            channel: arguments.count == 2 ? arguments[1] : nil, now: now)
            }
            guard n > 0 else {
                ServiceMain.printError("no permanently failed delivery matches")
                return 1
            }
            print("requeued \(n) deliver\(n == 1 ? "y" : "ies"); the running notifier sends them within a second")
            return 0
        } catch {
            ServiceMain.printError("retry: \(error)")
            return 1
        }
    }

    /// Puts permanently failed deliveries back to pending: one event's (optionally one channel), or all
    /// (`eventID` nil). Returns how many. Used by `retry` and the console.
    static func requeue(_ c: Connection, eventID: String?, channel: String?, now: Int64) throws -> Int {
        try c.execute("""
            UPDATE deliveries SET status = 'pending', attempts = 0, next_attempt_at = ?, last_error = NULL
            WHERE status = 'failed_permanent' AND (?2 IS NULL OR event_id = ?2) AND (?3 IS NULL OR channel = ?3)
            """, now, eventID, channel)
    }

    /// Deliveries that failed for good, newest first. Used by `failures` and the console.
    static func permanentFailures(_ c: Connection, limit: Int) throws -> [Row] {
        try c.query("""
            SELECT event_id, channel, event_type, order_id, attempts, last_error, created_at FROM deliveries
            WHERE status = 'failed_permanent' ORDER BY created_at DESC LIMIT ?
            """, limit)
    }
}
