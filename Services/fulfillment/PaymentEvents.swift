import Crypto
import Events
import Messages
import Storage
import Wire

/// The order status machine, driven by payment events (Stripe's event types, as payments publishes them).
///
/// Dedupe by event id is the inbox's job; this is the dedupe by order: whatever the number, order and
/// timing of events, an order is fulfilled at most once and a paid order never moves back.
enum PaymentEvents {
    /// What a payment event means for an order.
    enum Signal: Equatable {
        case succeeded
        case processing
        case failed
        case canceled
        case expired
        /// Carries no status change (e.g. `checkout.session.completed` with `no_payment_required`).
        case none
    }

    /// Classifies a payment event by its Stripe type (and the session's `payment_status`).
    static func signal(type: String, event: PaymentEvent) -> Signal {
        switch type {
        case "payment_intent.succeeded", "checkout.session.async_payment_succeeded", "invoice.paid":
            return .succeeded
        case "checkout.session.completed":
            // Completed with payment_status "unpaid" means a delayed method (bank debit) is still on its way.
            switch event.paymentStatus {
            case "paid": return .succeeded
            case "unpaid": return .processing
            default: return .none
            }
        case "payment_intent.processing":
            return .processing
        case "payment_intent.payment_failed", "checkout.session.async_payment_failed", "invoice.payment_failed":
            return .failed
        case "payment_intent.canceled":
            // `abandoned` is the reason the expiry sweep gives: Stripe's event about it can reach the order
            // before the sweep's own transaction does, and must end it the same way, as expired.
            return event.cancellationReason == "abandoned" ? .expired : .canceled
        case "checkout.session.expired":
            return .expired
        default:
            return .none
        }
    }

    /// What the event did, recorded in `payment_events.outcome`.
    enum Outcome: String {
        case fulfilled
        case processing
        case paymentFailed = "payment_failed"
        case canceled
        case expired
        case needsReview = "needs_review"
        /// The event changes nothing given the order's status (a duplicate success, a late failure, ...).
        case ignored
        case unknownOrder = "unknown_order"
    }

    /// Applies one payment event inside the inbox's transaction: status change, history, stock, the
    /// fulfilment record and the follow-up order events, all or nothing.
    @discardableResult
    static func apply(_ c: Connection, type: String, eventID: String, event: PaymentEvent, outbox: Outbox,
                      traceID: String?, latePaymentPolicy: String = "review", now: Int64 = Envelope.now()) throws -> (Outcome, String?) {
        let cause = "event:" + event.stripeEventID
        let (outcome, note) = try decide(c, type: type, event: event, cause: cause, outbox: outbox, traceID: traceID,
                                         latePaymentPolicy: latePaymentPolicy, now: now)
        try record(c, eventID: eventID, stripeID: event.stripeEventID, type: type, orderID: event.orderID,
                   outcome: outcome.rawValue, note: note, now: now)
        return (outcome, note)
    }

    /// Records what an event from payments did to its order, once per event id: payment, refund and
    /// dispute events alike (`stripeID` is the Stripe event, refund or dispute it came from).
    static func record(_ c: Connection, eventID: String, stripeID: String, type: String, orderID: String,
                       outcome: String, note: String?, now: Int64) throws {
        try c.execute("""
            INSERT OR IGNORE INTO payment_events(event_id, stripe_event_id, type, order_id, outcome, note, received_at)
            VALUES (?, ?, ?, ?, ?, ?, ?)
            """, eventID, stripeID, type, orderID, outcome, note, now)
    }

    private static func decide(_ c: Connection, type: String, event: PaymentEvent, cause: String, outbox: Outbox,
                               traceID: String?, latePaymentPolicy: String, now: Int64) throws -> (Outcome, String?) {
        guard let order = try OrderStore.load(c, event.orderID) else { return (.unknownOrder, "no such order") }
        let status = order.status
        // The order as the transitions below leave it: what OrderStore.load would read back, kept in memory
        // so each published event does not load the order (three queries) again.
        var current = order
        func move(to next: OrderStatus, note: String? = nil) throws {
            try OrderStore.transition(c, order.orderID, to: next, cause: cause, note: note, now: now)
            current.status = next
            current.history.append(OrderTransition(status: next, at: now, cause: cause, note: note))
        }
        func publish(_ eventType: String, reason: String? = nil, payToken: String? = nil) throws {
            try outbox.publish(in: c, type: eventType, key: order.orderID,
                               data: try OrderEvent(order: current, paymentIntentID: event.paymentIntentID, reason: reason,
                                                    payToken: payToken).json(),
                               traceID: traceID, now: now)
        }
        func review(_ reason: String) throws -> (Outcome, String?) {
            try move(to: .needsReview, note: reason)
            try publish("order.needs_review", reason: reason)
            return (.needsReview, reason)
        }

        switch signal(type: type, event: event) {
        case .succeeded:
            switch status {
            case .awaitingPayment, .processing, .paymentFailed, .paid:
                // Stripe's rule: check what was paid against the order before fulfilling.
                guard event.amount == order.amount, event.currency.lowercased() == order.currency else {
                    return try review("amount mismatch: paid \(event.amount) \(event.currency.lowercased()), "
                                      + "order is \(order.amount) \(order.currency)")
                }
                if status != .paid {
                    try move(to: .paid)
                    try publish("order.paid")
                }
                guard try OrderStore.commitStock(c, order.orderID) else {
                    return try review("paid but the stock is no longer there")
                }
                try c.execute("INSERT INTO fulfilments(order_id, fulfilled_at, cause, payment_intent_id) VALUES (?, ?, ?, ?)",
                              order.orderID, now, cause, event.paymentIntentID)
                try c.execute("UPDATE orders SET payment_intent_id = COALESCE(?, payment_intent_id) WHERE order_id = ?",
                              event.paymentIntentID, order.orderID)
                try move(to: .fulfilled)
                try publish("order.fulfilled")
                // A refund seen before this success (events cross) now settles the status.
                try RefundEvents.settleStatus(c, order.orderID, cause: cause, note: "refunds recorded before the payment event",
                                              now: now)
                return (.fulfilled, nil)
            case .expired, .canceled:
                // Money arrived for an order whose stock was given back: never fulfilled silently. By default
                // the late-payment refunder refunds it (LateRefunds); with review, a person decides.
                guard latePaymentPolicy == "refund", let intent = event.paymentIntentID else {
                    return try review("paid after the order was \(status.rawValue): review for refund")
                }
                try c.execute("UPDATE orders SET late_payment_intent_id = ?, late_refund_state = 'due' WHERE order_id = ?",
                              intent, order.orderID)
                return try review("paid after the order was \(status.rawValue): the payment is refunded automatically")
            case .fulfilled, .needsReview, .partiallyRefunded, .refunded:
                return (.ignored, "already \(status.rawValue)")
            }
        case .processing:
            guard status == .awaitingPayment || status == .paymentFailed else {
                return (.ignored, "processing does not apply to a \(status.rawValue) order")
            }
            try move(to: .processing)
            return (.processing, nil)
        case .failed:
            guard status == .awaitingPayment || status == .processing else {
                return (.ignored, "a failure does not apply to a \(status.rawValue) order")
            }
            let reason = event.failureMessage ?? event.failureCode ?? "the payment failed"
            try move(to: .paymentFailed, note: reason)
            // The customer's email offers to pay again: its link carries a fresh token of its own.
            try publish("order.payment_failed", reason: reason,
                        payToken: try OrderStore.issueLinkToken(c, orderID: order.orderID, now: now))
            return (.paymentFailed, reason)
        case .canceled:
            guard [.awaitingPayment, .processing, .paymentFailed].contains(status) else {
                return (.ignored, "cancellation does not apply to a \(status.rawValue) order")
            }
            try move(to: .canceled)
            try OrderStore.releaseReservation(c, order.orderID)
            try publish("order.canceled", reason: "the payment was canceled")
            return (.canceled, nil)
        case .expired:
            guard [.awaitingPayment, .processing, .paymentFailed].contains(status) else {
                return (.ignored, "expiry does not apply to a \(status.rawValue) order")
            }
            try move(to: .expired)
            try OrderStore.releaseReservation(c, order.orderID)
            try publish("order.expired", reason: event.checkoutSessionID != nil ? "the checkout session expired" : "not paid in time")
            return (.expired, nil)
        case .none:
            return (.ignored, "no status change for this event")
        }
    }
}
