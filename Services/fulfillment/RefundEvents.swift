import Events
import Messages
import Storage
import Wire

/// Refund changes from payments' refund books (`payment.refund_changed`): the order's refunded amount,
/// its `partially_refunded` / `refunded` status (from the settled amount, never from a request),
/// restocking, and the order events that tell the customer and the merchant.
///
/// Each change carries the totals of the PaymentIntent's refunds as Stripe listed them; events of one
/// order arrive in publication order, so the last one applied holds the books.
enum RefundEvents {
    /// Statuses a paid order can be refunded from (a late payment sits in `needs_review`).
    static let refundable: Set<OrderStatus> = [.paid, .fulfilled, .needsReview, .partiallyRefunded, .refunded]

    /// Applies one refund change inside the inbox's transaction. Returns the outcome and a note.
    @discardableResult
    static func apply(_ c: Connection, eventID: String, change: RefundChange, outbox: Outbox, traceID: String?,
                      now: Int64 = Envelope.now()) throws -> (String, String?) {
        let (outcome, note) = try decide(c, change: change, outbox: outbox, traceID: traceID, now: now)
        try PaymentEvents.record(c, eventID: eventID, stripeID: change.refundID, type: BookEvents.refundChanged,
                                 orderID: change.orderID, outcome: outcome, note: note, now: now)
        return (outcome, note)
    }

    private static func decide(_ c: Connection, change: RefundChange, outbox: Outbox, traceID: String?,
                               now: Int64) throws -> (String, String?) {
        guard let order = try OrderStore.load(c, change.orderID) else { return ("unknown_order", "no such order") }
        let fresh = try c.execute("""
            INSERT OR IGNORE INTO order_refunds(refund_id, status, order_id, amount, currency, at) VALUES (?, ?, ?, ?, ?, ?)
            """, change.refundID, change.status, order.orderID, change.amount, change.currency, now)
        guard fresh == 1 else { return ("ignored", "refund \(change.refundID) \(change.status) already applied") }
        guard change.currency == order.currency else {
            return ("ignored", "refund currency \(change.currency) differs from the order's \(order.currency)")
        }
        try c.execute("""
            UPDATE orders SET refunded_amount = ?, refund_pending_amount = ?, refunds_seen = 1, updated_at = ? WHERE order_id = ?
            """, change.refundedAmount, change.pendingAmount, now, order.orderID)
        let cause = "refund:\(change.refundID)"
        let money = "\(change.amount) \(change.currency)"
        try settleStatus(c, order.orderID, cause: cause, note: "refund \(change.refundID) \(change.status): \(money)", now: now)
        var current = try OrderStore.load(c, order.orderID)!

        if change.restock && change.status == "succeeded" {
            try restock(c, order.orderID)
            current = try OrderStore.load(c, order.orderID)!
        }
        let late = try c.queryOne("SELECT late_refund_state FROM orders WHERE order_id = ?", order.orderID)?
            .string("late_refund_state") != nil
        func publish(_ type: String, reason: String) throws {
            let event = OrderEvent(order: current, paymentIntentID: change.paymentIntentID, reason: reason,
                                   refundAmount: change.amount, refundID: change.refundID, latePayment: late ? true : nil)
            try outbox.publish(in: c, type: type, key: order.orderID, data: try event.json(), traceID: traceID, now: now)
        }
        switch change.status {
        case "succeeded":
            let full = change.refundedAmount >= order.amount
            try publish(full ? "order.refunded" : "order.partially_refunded",
                        reason: "refunded \(money) (refund \(change.refundID)); \(change.refundedAmount) of \(order.amount) \(order.currency) refunded in all")
            return ("refunded", money)
        case "failed", "canceled":
            let why = change.failureReason ?? change.status
            let reason = change.previousStatus == "succeeded"
                ? "refund \(change.refundID) of \(money) failed after it had succeeded (\(why)); the money stays with the shop"
                : "refund \(change.refundID) of \(money) \(change.status) (\(why))"
            try publish("order.refund_failed", reason: reason)
            return ("refund_failed", reason)
        default:
            return ("refund_pending", "refund \(change.refundID) is \(change.status)")
        }
    }

    /// Sets `partially_refunded` / `refunded` from the settled refunded amount, or returns the order to
    /// the status it had before its refunds when they all failed. Orders not yet paid keep their status
    /// (their refunded amount is recorded; the success event settles it).
    static func settleStatus(_ c: Connection, _ orderID: String, cause: String, note: String?, now: Int64) throws {
        guard let row = try c.queryOne("""
            SELECT status, amount, refunded_amount, status_before_refund FROM orders WHERE order_id = ?
            """, orderID),
            let status = OrderStatus(rawValue: row.string("status") ?? ""), refundable.contains(status) else { return }
        let amount = row.int("amount") ?? 0, refunded = row.int("refunded_amount") ?? 0
        let before = row.string("status_before_refund").flatMap(OrderStatus.init(rawValue:))
        let next: OrderStatus
        if refunded >= amount && refunded > 0 {
            next = .refunded
        } else if refunded > 0 {
            next = .partiallyRefunded
        } else {
            next = before ?? status
        }
        guard next != status else { return }
        if before == nil, status != .partiallyRefunded, status != .refunded {
            try c.execute("UPDATE orders SET status_before_refund = ? WHERE order_id = ?", status.rawValue, orderID)
        }
        try OrderStore.transition(c, orderID, to: next, cause: cause, note: note, now: now)
    }

    /// Puts the order's units back once: sold units return to stock; a reservation still held (an order
    /// in review) is released.
    static func restock(_ c: Connection, _ orderID: String) throws {
        let done = try c.execute("UPDATE orders SET restocked = 1 WHERE order_id = ? AND restocked = 0", orderID)
        guard done == 1 else { return }
        let reservation = try c.queryOne("SELECT reservation FROM orders WHERE order_id = ?", orderID)?.string("reservation")
        switch reservation {
        case "consumed":
            for l in try c.query("SELECT sku, quantity FROM order_lines WHERE order_id = ?", orderID) {
                try c.execute("UPDATE products SET stock = stock + ?1, sold = sold - ?1 WHERE sku = ?2",
                              l.int("quantity") ?? 0, l.string("sku") ?? "")
            }
        case "held":
            try OrderStore.releaseReservation(c, orderID)
        default:
            break  // released already: nothing was taken
        }
    }
}
