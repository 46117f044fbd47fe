import Events
import Messages
import Storage
import Wire

/// Disputes from payments' dispute books (`payment.dispute_changed`). A dispute never changes the order's
/// status (so it can never move a canceled, refunded or expired order back): it sets `disputed` while
/// open, records the amount, reason, evidence deadline and the funds withdrawn or reinstated, and on
/// close clears the flag (`won`, `warning_closed`) or records the loss (`lost`).
enum DisputeEvents {
    @discardableResult
    static func apply(_ c: Connection, eventID: String, change: DisputeChange, outbox: Outbox, traceID: String?,
                      now: Int64 = Envelope.now()) throws -> (String, String?) {
        let (outcome, note) = try decide(c, change: change, outbox: outbox, traceID: traceID, now: now)
        try PaymentEvents.record(c, eventID: eventID, stripeID: change.disputeID, type: BookEvents.disputeChanged,
                                 orderID: change.orderID, outcome: outcome, note: note, now: now)
        return (outcome, note)
    }

    private static func decide(_ c: Connection, change: DisputeChange, outbox: Outbox, traceID: String?,
                               now: Int64) throws -> (String, String?) {
        guard let order = try OrderStore.load(c, change.orderID) else { return ("unknown_order", "no such order") }
        let known = order.dispute?.disputeID == change.disputeID ? order.dispute : nil
        if let known {
            // Payments publishes a dispute's states in order; this guard keeps an older state from winning anyway.
            let older = DisputeChange.rank(change.status) < DisputeChange.rank(known.status)
                || (change.status == known.status && (known.fundsWithdrawn && !change.fundsWithdrawn
                                                      || known.fundsReinstated && !change.fundsReinstated))
            if older { return ("ignored", "dispute \(change.disputeID) is already \(known.status)") }
        }
        let wasOpen = known.map { DisputeChange.rank($0.status) < 2 } ?? false
        let lost = change.status == "lost" ? change.amount : 0
        try c.execute("""
            UPDATE orders SET dispute_id = ?, dispute_status = ?, dispute_amount = ?, dispute_currency = ?, dispute_reason = ?,
                dispute_due_by = ?, dispute_funds_withdrawn = ?, dispute_funds_reinstated = ?, disputed = ?,
                dispute_lost_amount = dispute_lost_amount + ?, updated_at = ?
            WHERE order_id = ?
            """, change.disputeID, change.status, change.amount, change.currency, change.reason,
            change.isClosed ? nil : change.dueBy, change.fundsWithdrawn ? 1 : 0, change.fundsReinstated ? 1 : 0,
            change.isClosed ? 0 : 1, known?.status == "lost" ? 0 : lost, now, order.orderID)
        let money = "\(change.amount) \(change.currency)"
        let cause = "dispute:\(change.disputeID)"
        func note(_ text: String) throws {
            // A history row with the status unchanged: the dispute is part of the order's story, not a state.
            try c.execute("INSERT INTO order_history(order_id, status, at, cause, note) VALUES (?, ?, ?, ?, ?)",
                          order.orderID, order.status.rawValue, now, cause, text)
        }
        func publish(_ type: String, reason: String) throws {
            let current = try OrderStore.load(c, order.orderID)!
            try outbox.publish(in: c, type: type, key: order.orderID,
                               data: try OrderEvent(order: current, paymentIntentID: change.paymentIntentID, reason: reason).json(),
                               traceID: traceID, now: now)
        }
        if known == nil || (!wasOpen && !change.isClosed) {
            let due = change.dueBy.map { "; evidence due by \($0) (Unix time)" } ?? ""
            let reason = "dispute \(change.disputeID) opened for \(money), reason \(change.reason ?? "unknown")\(due)"
            try note(reason)
            if !change.isClosed { try publish("order.disputed", reason: reason) }
        }
        if change.fundsWithdrawn && !(known?.fundsWithdrawn ?? false) { try note("dispute \(change.disputeID): \(money) withdrawn") }
        if change.fundsReinstated && !(known?.fundsReinstated ?? false) { try note("dispute \(change.disputeID): \(money) reinstated") }
        if change.isClosed && (known == nil || DisputeChange.rank(known!.status) < 2) {
            let reason = switch change.status {
            case "won": "dispute \(change.disputeID) won: \(money) stays with the shop"
            case "lost": "dispute \(change.disputeID) lost: \(money) taken back by the customer's bank"
            default: "dispute \(change.disputeID) closed (\(change.status))"
            }
            try note(reason)
            try publish("order.dispute_closed", reason: reason)
            return ("dispute_closed", reason)
        }
        return (change.isClosed ? "ignored" : "disputed", "dispute \(change.disputeID) \(change.status)")
    }
}
