import Events
import Foundation
import Logging
import Messages
import Storage
import Transport
import Wire

/// Cancelling and expiring unpaid orders. Both first have payments make the payment unpayable at Stripe
/// (cancel the PaymentIntent, expire the Checkout Session, void the invoice), and only then release the
/// stock, in one transaction that checks the order is still unpaid. If Stripe says the payment already
/// succeeded (or is processing), the order is not canceled: it moves to `processing` and the payment
/// event that follows fulfils it (or fails it). So a customer paying while the sweeper cancels ends in
/// exactly one of paid or canceled, and money is never kept for an order whose stock was given back.
struct Cancellation: Sendable {
    let database: Database
    let outbox: Outbox
    let payments: MessageClient
    let logger: Logger

    static let cancellable: Set<OrderStatus> = [.awaitingPayment, .paymentFailed]

    enum Ending: Sendable { case canceled, expired }

    /// What happened to one order.
    enum Result: Sendable, Equatable {
        /// Canceled or expired, stock released.
        case ended
        /// Stripe has a payment (succeeded or on its way): the order waits for its payment event.
        case paymentFound(CancelPaymentReply.Outcome)
        /// The order was no longer unpaid.
        case notApplicable(OrderStatus)
    }

    /// Makes the payment unpayable, then ends the order. Throws when payments cannot be asked (nothing
    /// changes; the sweep retries).
    func end(_ orderID: String, as ending: Ending, cause: String) async throws(WireError) -> Result {
        let reason = ending == .expired ? "abandoned" : "requested_by_customer"
        let reply: CancelPaymentReply
        do {
            reply = try await payments.call(PaymentMessages.cancelPayment, CancelPaymentRequest(orderID: orderID, reason: reason),
                                            deadline: .seconds(60))
        } catch {
            throw error.wireError
        }
        let outbox = self.outbox
        let now = Envelope.now()
        do {
            return try await database.write { c -> Result in
                guard let order = try OrderStore.load(c, orderID) else { throw WireError.notFound("no order '\(orderID.prefix(64))'") }
                guard Self.cancellable.contains(order.status) else {
                    // Stripe's own event about the cancellation (payment_intent.canceled,
                    // checkout.session.expired) may have ended the order first: ended all the same.
                    if reply.outcome == .canceled, order.status == .canceled || order.status == .expired { return .ended }
                    return .notApplicable(order.status)
                }
                guard reply.outcome == .canceled else {
                    let note = reply.outcome == .paid
                        ? "Stripe says the payment succeeded while the order was being \(ending == .expired ? "expired" : "canceled"); waiting for its event"
                        : "a payment is processing at Stripe; the order waits for its outcome"
                    try OrderStore.transition(c, orderID, to: .processing, cause: cause, note: note, now: now)
                    return .paymentFound(reply.outcome)
                }
                let status: OrderStatus = ending == .expired ? .expired : .canceled
                try OrderStore.transition(c, orderID, to: status, cause: cause, note: nil, now: now)
                try OrderStore.releaseReservation(c, orderID)
                let snapshot = try OrderStore.load(c, orderID)!
                let type = ending == .expired ? "order.expired" : "order.canceled"
                let why = ending == .expired ? "not paid in time" : "canceled by the shop"
                try outbox.publish(in: c, type: type, key: orderID, data: try OrderEvent(order: snapshot, reason: why).json(), now: now)
                return .ended
            }
        } catch let error as WireError {
            throw error
        } catch {
            throw .unavailable("the order could not be updated: \(error)")
        }
    }

    /// `orders.cancel` (the operator's `fulfillment orders cancel`).
    func cancel(_ request: CancelOrderRequest, traceID: String?) async throws(WireError) -> Order {
        let order: Order?
        do { order = try await database.read { c in try OrderStore.load(c, request.orderID) } } catch {
            throw .unavailable("cannot read orders")
        }
        guard let order else { throw .notFound("no order '\(request.orderID.prefix(64))'") }
        guard Self.cancellable.contains(order.status) else {
            throw WireError(code: .conflict, message: "order \(order.orderID) is \(order.status.rawValue) and cannot be canceled",
                            reason: "order_\(order.status.rawValue)")
        }
        switch try await end(order.orderID, as: .canceled, cause: "cancel:" + (traceID ?? "operator")) {
        case .ended:
            outbox.wake()
            logger.info("order canceled", ["order.id": order.orderID])
        case .paymentFound(let outcome):
            throw WireError(code: .conflict, message: outcome == .paid
                                ? "order \(order.orderID) was paid at Stripe meanwhile; it will be fulfilled, not canceled"
                                : "order \(order.orderID) has a payment processing at Stripe; it cannot be canceled now",
                            reason: outcome == .paid ? "already_paid" : "payment_processing")
        case .notApplicable(let status):
            throw WireError(code: .conflict, message: "order \(order.orderID) is \(status.rawValue) and cannot be canceled",
                            reason: "order_\(status.rawValue)")
        }
        do {
            return try await database.read { c in try OrderStore.load(c, order.orderID)! }
        } catch {
            throw .unavailable("cannot read orders")
        }
    }

    /// One expiry round: every unpaid order past its deadline, payments asked first. Returns how many expired.
    func sweep(now: Int64 = Envelope.now()) async -> Int {
        let due: [String] = (try? await database.read { c in
            try c.query("""
                SELECT order_id FROM orders WHERE status IN ('awaiting_payment', 'payment_failed') AND expires_at <= ?
                ORDER BY expires_at LIMIT 100
                """, now).compactMap { $0.string("order_id") }
        }) ?? []
        var expired = 0
        for orderID in due {
            do throws(WireError) {
                if try await end(orderID, as: .expired, cause: "expiry") == .ended { expired += 1 }
            } catch {
                logger.warn("order not expired yet: its payment could not be made unpayable", ["order.id": orderID,
                                                                                             "error": error.description])
            }
        }
        if expired > 0 { outbox.wake() }
        return expired
    }
}
