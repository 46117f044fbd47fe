import Messages
import ServiceKit
import Storage
import Transport
import Wire

/// The console's questions to notifier: an order's emails and merchant webhooks with their attempts, and
/// the deliveries that failed.
struct NotifierAdmin: Sendable {
    let database: Database

    func register(_ router: inout Router) {
        router.on(AdminMessages.timeline, AdminOrderRef.self) { _, r in try await timeline(r.orderID) }
        router.on(AdminMessages.health, AdminEmpty.self) { _, _ in try await health() }
        router.on(AdminMessages.notificationFailures, AdminEmpty.self) { _, _ in
            try await database.read { c in
                AdminNotificationFailures(failures: try NotifierCommands.permanentFailures(c, limit: 200).map { r in
                    AdminNotificationFailure(eventID: r.string("event_id") ?? "", channel: r.string("channel") ?? "",
                                             eventType: r.string("event_type") ?? "", orderID: r.string("order_id") ?? "",
                                             attempts: Int(r.int("attempts") ?? 0), lastError: r.string("last_error"),
                                             createdAt: r.int("created_at") ?? 0)
                })
            }
        }
        router.on(AdminMessages.retryNotification, AdminNotificationRef.self) { _, r in
            guard r.channel == nil || r.channel == "email" || r.channel == "webhook" else {
                throw WireError.invalidArgument("field 'channel' must be email or webhook")
            }
            let n = try await database.write { c in try NotifierCommands.requeue(c, eventID: r.eventID, channel: r.channel, now: Envelope.now()) }
            guard n > 0 else { throw WireError.notFound("no permanently failed delivery of event '\(r.eventID.prefix(80))'") }
            return AdminCount(count: n)
        }
        router.on(AdminMessages.resendEmail, AdminOrderRef.self) { _, r in
            // The newest customer email of the order, whatever became of it, sent again: the same bytes
            // (same Message-ID), so a mail client that got the first shows one message.
            let n = try await database.write { c in
                try c.execute("""
                    UPDATE deliveries SET status = 'pending', attempts = 0, next_attempt_at = ?, last_error = NULL
                    WHERE channel = 'email' AND event_id = (SELECT event_id FROM deliveries WHERE order_id = ? AND channel = 'email'
                                                            AND status != 'pending' ORDER BY created_at DESC LIMIT 1)
                    """, Envelope.now(), r.orderID)
            }
            guard n > 0 else { throw WireError.notFound("order '\(r.orderID.prefix(64))' has no sent or failed email to send again") }
            return AdminCount(count: n)
        }
    }

    func timeline(_ orderID: String) async throws -> AdminTimeline {
        try await database.read { c in
            AdminTimeline(entries: try c.query("""
                SELECT event_id, channel, event_type, recipient, status, attempts, last_error, created_at, delivered_at
                FROM deliveries WHERE order_id = ?
                """, orderID).map { r in
                let channel = r.string("channel") ?? ""
                let what = channel == "email" ? "email to \(r.string("recipient") ?? "")" : "merchant webhook"
                let error = r.string("last_error").map { ", last error: \($0)" } ?? ""
                    + (r.string("status") == "failed_permanent" ? " (event \(r.string("event_id") ?? ""): retry it)" : "")
                return AdminTimelineEntry(at: r.int("delivered_at") ?? r.int("created_at") ?? 0, source: "notifier", kind: channel,
                                          summary: "\(what) for \(r.string("event_type") ?? ""): \(r.string("status") ?? ""), "
                                              + "\(r.int("attempts") ?? 0) attempt(s)\(error)")
            })
        }
    }

    func health() async throws -> AdminHealth {
        try await database.read { c in
            func counts(_ condition: String) throws -> [AdminCountByName] {
                try c.query("SELECT channel, COUNT(*) AS n FROM deliveries WHERE \(condition) GROUP BY channel ORDER BY channel").map {
                    AdminCountByName(name: $0.string("channel") ?? "", count: Int($0.int("n") ?? 0))
                }
            }
            return AdminHealth(service: "notifier", notificationFailures: try counts("status = 'failed_permanent'"),
                               notificationsRetrying: try counts("status = 'pending' AND attempts > 0"))
        }
    }
}
