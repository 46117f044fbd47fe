import Events
import Messages
import Storage
import Stripe

/// Turns a verified Stripe event into the payment event fulfillment consumes.
enum PaymentEventMapping {
    /// What an accepted Stripe event becomes.
    enum Outcome: Equatable {
        /// Publish `type` with this data.
        case publish(PaymentEvent)
        /// A type nobody consumes: recorded and acknowledged only.
        case ignored
        /// A consumed type whose order could not be found (no `metadata.order_id`, no payment record).
        case unmatched(String)
        /// A refund event: the PaymentIntent's refunds must be listed again (``RefundBooks``).
        case syncRefunds(paymentIntentID: String, orderID: String?)
        /// A dispute event: the dispute must be retrieved again (``DisputeBooks``).
        case syncDispute(disputeID: String, paymentIntentID: String?)
    }

    /// Stripe's refund events; each only marks its PaymentIntent's refunds for a sync.
    static let refundEvents: Set<String> = [
        "charge.refunded", "charge.refund.updated", "refund.created", "refund.updated", "refund.failed",
    ]

    /// Maps `event`. `lookUpOrder` finds the order of a PaymentIntent created by an invoice (such
    /// PaymentIntents carry no metadata of ours).
    static func map(_ event: Stripe.Event, source: String,
                    lookUpOrder: (_ paymentIntentID: String) throws -> String?) throws -> Outcome {
        if refundEvents.contains(event.type) {
            let intentID: String?, orderID: String?
            switch event.objectType {
            case "charge":
                let charge = try event.object(as: Charge.self)
                (intentID, orderID) = (charge.paymentIntent, charge.metadata["order_id"])
            case "refund":
                let refund = try event.object(as: Refund.self)
                (intentID, orderID) = (refund.paymentIntent, refund.metadata["order_id"])
            default:
                (intentID, orderID) = (nil, nil)
            }
            guard let intentID else { return .unmatched("\(event.type) \(event.id) names no PaymentIntent") }
            return .syncRefunds(paymentIntentID: intentID, orderID: orderID)
        }
        if DisputeBooks.events.contains(event.type) {
            guard event.objectType == "dispute" else { return .unmatched("\(event.type) \(event.id) carries no dispute") }
            let dispute = try event.object(as: Dispute.self)
            return .syncDispute(disputeID: dispute.id, paymentIntentID: dispute.paymentIntent)
        }
        guard Subscriptions.paymentEvents.contains(event.type) else { return .ignored }
        switch event.objectType {
        case "payment_intent":
            let intent = try event.object(as: PaymentIntent.self)
            guard let orderID = try intent.metadata["order_id"] ?? lookUpOrder(intent.id) else {
                return .unmatched("PaymentIntent \(intent.id) has no metadata.order_id and no payment record")
            }
            let received = intent.amountReceived ?? 0
            return .publish(PaymentEvent(
                orderID: orderID, stripeEventID: event.id, stripeCreated: event.created, source: source,
                paymentIntentID: intent.id, invoiceID: intent.invoice,
                amount: intent.status == "succeeded" && received > 0 ? received : intent.amount,
                currency: intent.currency.lowercased(), status: intent.status,
                failureCode: intent.lastPaymentError.flatMap { $0.declineCode ?? $0.code },
                failureMessage: intent.lastPaymentError?.message, cancellationReason: intent.cancellationReason))
        case "checkout.session":
            let session = try event.object(as: CheckoutSession.self)
            guard let orderID = session.metadata["order_id"] else {
                return .unmatched("Checkout Session \(session.id) has no metadata.order_id")
            }
            return .publish(PaymentEvent(
                orderID: orderID, stripeEventID: event.id, stripeCreated: event.created, source: source,
                paymentIntentID: session.paymentIntentID, checkoutSessionID: session.id,
                amount: session.amountTotal ?? 0, currency: (session.currency ?? "").lowercased(),
                status: session.status ?? "", paymentStatus: session.paymentStatus))
        case "invoice":
            let invoice = try event.object(as: Invoice.self)
            guard let orderID = invoice.metadata["order_id"] else {
                return .unmatched("Invoice \(invoice.id) has no metadata.order_id")
            }
            let paid = event.type == "invoice.paid"
            return .publish(PaymentEvent(
                orderID: orderID, stripeEventID: event.id, stripeCreated: event.created, source: source,
                paymentIntentID: invoice.paymentIntentID, invoiceID: invoice.id,
                amount: (paid ? invoice.amountPaid : invoice.amountDue) ?? 0,
                currency: (invoice.currency ?? "").lowercased(), status: invoice.status ?? ""))
        default:
            return .unmatched("event \(event.id) of type \(event.type) carries a \(event.objectType ?? "missing") object")
        }
    }
}
