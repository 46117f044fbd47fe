import Foundation
import Logging
import Messages
import Storage
import Stripe
import Wire

/// `payments.cancel_payment`: makes an order's payment unpayable at Stripe before fulfillment cancels or
/// expires it and gives its stock back. Cancelling can lose a race with a payment being confirmed; Stripe's
/// answer decides, read back from the object itself: an object that already succeeded means the order is
/// paid (the success reaches fulfillment through the webhook), never canceled.
struct PaymentCancellation: Sendable {
    let stripe: StripeClient?
    let database: Database
    let logger: Logger

    static let reasons: Set<String> = ["abandoned", "requested_by_customer", "duplicate", "fraudulent"]

    func cancel(_ r: CancelPaymentRequest) async throws(WireError) -> CancelPaymentReply {
        guard Self.reasons.contains(r.reason) else { throw .invalidArgument("reason: abandoned or requested_by_customer") }
        let rows: [(flow: String, attempt: Int64, stripeID: String, intentID: String?)]
        do {
            rows = try await database.read { c in
                try c.query("SELECT flow, attempt, stripe_id, payment_intent_id FROM payments WHERE order_id = ?", r.orderID)
                    .map { ($0.string("flow") ?? "", $0.int("attempt") ?? 1, $0.string("stripe_id") ?? "", $0.string("payment_intent_id")) }
            }
        } catch {
            throw .unavailable("cannot read payment records")
        }
        // No payment object was ever created: nothing at Stripe can be paid.
        guard !rows.isEmpty else { return CancelPaymentReply(outcome: .canceled) }
        guard let stripe else { throw .unavailable("payments has no STRIPE_SECRET_KEY configured") }
        var outcomes: [(CancelPaymentReply.Outcome, String?)] = []
        for row in rows {
            let key = "shop:\(r.orderID):cancel:\(row.flow):\(row.attempt)"
            do {
                outcomes.append(try await cancelOne(row.flow, row.stripeID, intentID: row.intentID, reason: r.reason, key: key,
                                                    stripe: stripe))
            } catch {
                logger.warn("could not make a payment unpayable", ["order.id": r.orderID, "stripe.id": row.stripeID,
                                                                  "stripe.error": error.description])
                throw WireError.from(error)
            }
        }
        if let paid = outcomes.first(where: { $0.0 == .paid }) { return CancelPaymentReply(outcome: .paid, paymentIntentID: paid.1) }
        if let busy = outcomes.first(where: { $0.0 == .processing }) {
            return CancelPaymentReply(outcome: .processing, paymentIntentID: busy.1)
        }
        logger.info("payment made unpayable", ["order.id": r.orderID, "reason": r.reason])
        return CancelPaymentReply(outcome: .canceled)
    }

    /// One Stripe object: `canceled`, `paid` or `processing`, from Stripe's answer or, when it refuses, from
    /// the object as it is now.
    private func cancelOne(_ flow: String, _ stripeID: String, intentID: String?, reason: String, key: String,
                           stripe: StripeClient) async throws(StripeError) -> (CancelPaymentReply.Outcome, String?) {
        switch flow {
        case PaymentFlow.checkoutSession.rawValue:
            var session = try await stripe.retrieveCheckoutSession(stripeID)
            if session.status == "open" {
                do { _ = try await stripe.expireCheckoutSession(stripeID, idempotencyKey: key) } catch where error.kind == .invalidRequest {
                    session = try await stripe.retrieveCheckoutSession(stripeID)
                }
                session = try await stripe.retrieveCheckoutSession(stripeID)
            }
            switch (session.status, session.paymentStatus) {
            case ("complete", "paid"): return (.paid, session.paymentIntentID)
            case ("complete", _): return (.processing, session.paymentIntentID)
            default: return (.canceled, nil)
            }
        case PaymentFlow.invoice.rawValue:
            var invoice = try await stripe.retrieveInvoice(stripeID)
            if invoice.status == "open" || invoice.status == "draft" {
                do { _ = try await stripe.voidInvoice(stripeID, idempotencyKey: key) } catch where error.kind == .invalidRequest {
                    // Refused: paid meanwhile, or its payment is processing; read it back below.
                }
                invoice = try await stripe.retrieveInvoice(stripeID)
            }
            switch invoice.status {
            case "paid": return (.paid, invoice.paymentIntentID)
            case "void", "uncollectible": return (.canceled, nil)
            default: return (.processing, invoice.paymentIntentID)
            }
        default:
            let id = intentID ?? stripeID
            var intent = try await stripe.retrievePaymentIntent(id)
            if !["succeeded", "canceled", "processing"].contains(intent.status) {
                do { intent = try await stripe.cancelPaymentIntent(id, reason: reason, idempotencyKey: key) } catch where error.kind == .invalidRequest {
                    intent = try await stripe.retrievePaymentIntent(id)
                }
            }
            switch intent.status {
            case "succeeded": return (.paid, id)
            case "canceled": return (.canceled, nil)
            default: return (.processing, id)
            }
        }
    }
}
