import Messages
import ServiceKit
import Storage
import Transport
import Wire

/// The console's questions to payments: what Stripe told us about an order (events, return-page verdicts,
/// payment objects, refunds, disputes), one raw event, and the last webhook's age.
struct PaymentsAdmin: Sendable {
    let database: Database
    /// nil without a Stripe key.
    let catchUp: CatchUp?
    let catchUpWindowSeconds: Int

    func register(_ router: inout Router, context: ServiceContext) {
        router.on(AdminMessages.timeline, AdminOrderRef.self) { _, r in try await timeline(r.orderID) }
        router.on(AdminMessages.stripeEvent, AdminStripeEventRef.self) { _, r in try await event(r.eventID) }
        router.on(AdminMessages.health, AdminEmpty.self) { _, _ in try await health() }
        router.on(AdminMessages.catchUp, AdminCatchUpRequest.self) { _, r in
            guard let catchUp else { throw WireError(code: "unavailable", message: "no STRIPE_SECRET_KEY: nothing to catch up from") }
            let window = r.windowSeconds ?? catchUpWindowSeconds
            guard (60...2_592_000).contains(window) else { throw WireError.invalidArgument("field 'window_seconds' must be from 60 to 2592000") }
            let report = try await catchUp.run(windowSeconds: window)
            return AdminCatchUpReply(listed: report.listed, recorded: report.recorded, alreadySeen: report.alreadySeen)
        }
        context.registerAdminOutbox(&router)
    }

    func timeline(_ orderID: String) async throws -> AdminTimeline {
        try await database.read { c in
            var entries: [AdminTimelineEntry] = []
            for r in try c.query("SELECT flow, attempt, stripe_id, amount, currency, created_at FROM payments WHERE order_id = ?", orderID) {
                entries.append(AdminTimelineEntry(at: r.int("created_at") ?? 0, source: "payments", kind: "payment",
                                                  summary: "\(r.string("flow") ?? "") attempt \(r.int("attempt") ?? 0): "
                                                      + "\(r.string("stripe_id") ?? "") for \(r.int("amount") ?? 0) \(r.string("currency") ?? "")"))
            }
            for r in try c.query("SELECT event_id, type, source, outcome, received_at FROM stripe_events WHERE order_id = ?", orderID) {
                let source = r.string("source") ?? ""
                let isReturn = source.contains("return")
                entries.append(AdminTimelineEntry(at: r.int("received_at") ?? 0, source: "payments",
                                                  kind: isReturn ? "return_page" : "stripe_event",
                                                  summary: "\(r.string("type") ?? "") via \(source): \(r.string("outcome") ?? "")",
                                                  stripeEventID: r.string("event_id")))
            }
            for r in try c.query("""
                SELECT request_id, amount, reason, state, refund_id, error_code, created_at FROM refund_requests WHERE order_id = ?
                """, orderID) {
                let amount = r.int("amount").map { "\($0)" } ?? "the rest"
                let error = r.string("error_code").map { " (\($0))" } ?? ""
                entries.append(AdminTimelineEntry(at: r.int("created_at") ?? 0, source: "payments", kind: "refund",
                                                  summary: "refund requested: \(amount), reason \(r.string("reason") ?? "none"); "
                                                      + "\(r.string("state") ?? "")\(error) \(r.string("refund_id") ?? "")"))
            }
            for r in try c.query("SELECT refund_id, amount, currency, status, failure_reason, updated_at FROM refunds WHERE order_id = ?", orderID) {
                let failure = r.string("failure_reason").map { " (\($0))" } ?? ""
                entries.append(AdminTimelineEntry(at: r.int("updated_at") ?? 0, source: "payments", kind: "refund",
                                                  summary: "Stripe refund \(r.string("refund_id") ?? "") \(r.string("status") ?? "")\(failure): "
                                                      + "\(r.int("amount") ?? 0) \(r.string("currency") ?? "")"))
            }
            for r in try c.query("SELECT dispute_id, amount, currency, status, reason, updated_at FROM disputes WHERE order_id = ?", orderID) {
                entries.append(AdminTimelineEntry(at: r.int("updated_at") ?? 0, source: "payments", kind: "dispute",
                                                  summary: "dispute \(r.string("dispute_id") ?? "") \(r.string("status") ?? ""), "
                                                      + "\(r.string("reason") ?? ""): \(r.int("amount") ?? 0) \(r.string("currency") ?? "")"))
            }
            return AdminTimeline(entries: entries)
        }
    }

    func event(_ eventID: String) async throws -> AdminStripeEvent {
        let found = try await database.read { c in
            try c.queryOne("SELECT event_id, type, order_id, source, outcome, received_at, body FROM stripe_events WHERE event_id = ?", eventID)
                .map { r in
                    AdminStripeEvent(eventID: r.string("event_id") ?? "", type: r.string("type") ?? "", orderID: r.string("order_id"),
                                     source: r.string("source") ?? "", outcome: r.string("outcome") ?? "",
                                     receivedAt: r.int("received_at") ?? 0,
                                     body: r.blob("body").map { String(decoding: $0, as: UTF8.self) })
                }
        }
        guard let found else { throw WireError.notFound("no stored Stripe event '\(eventID.prefix(64))'") }
        return found
    }

    func health() async throws -> AdminHealth {
        try await database.read { c in
            let last = try c.queryOne("SELECT type, received_at FROM stripe_events WHERE source = 'webhook' ORDER BY received_at DESC LIMIT 1")
            return AdminHealth(service: "payments", lastWebhookAt: last?.int("received_at"), lastWebhookType: last?.string("type"),
                               outbox: try ServiceContext.adminBacklog(c))
        }
    }
}
