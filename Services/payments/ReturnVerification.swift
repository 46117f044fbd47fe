import Crypto
import Foundation
import Logging
import Messages
import Storage
import Stripe
import Wire

/// The return pages' server-side check: ask Stripe, decide, and when Stripe says the payment succeeded
/// before its webhook arrived, publish the same kind of event the webhook would (fulfilment dedupes on the
/// order, so both paths together still fulfil once).
struct ReturnVerification: Sendable {
    let stripe: StripeClient?
    let intake: WebhookIntake
    let database: Database
    let logger: Logger

    private func client() throws(WireError) -> StripeClient {
        guard let stripe else { throw .unavailable("payments has no STRIPE_SECRET_KEY configured") }
        return stripe
    }

    /// The PaymentIntent id a client secret belongs to (`pi_<id>_secret_<...>`), or nil.
    static func intentID(ofClientSecret secret: String) -> String? {
        guard secret.hasPrefix("pi_"), let range = secret.range(of: "_secret_") else { return nil }
        return String(secret[..<range.lowerBound])
    }

    /// The order of a Stripe object this shop created (from `payments`, never from Stripe), or `not_found`.
    /// Looked up before any Stripe call: ids we never issued cost no request, so looping them cannot
    /// spend the account's rate limit.
    private func ownOrder(_ sql: String, _ id: String, what: String) async throws(WireError) -> String {
        let orderID: String?
        do {
            orderID = try await database.read { c in try c.queryOne(sql, id)?.string("order_id") }
        } catch {
            logger.error("could not read payment records", ["error": "\(error)"])
            throw .unavailable("cannot read payment records")
        }
        guard let orderID else {
            logger.info("return for an id this shop never issued", ["stripe.id": String(id.prefix(64))])
            throw .notFound("no \(what) of this shop has that id")
        }
        return orderID
    }

    /// `payments.verify_payment_intent`.
    func verifyPaymentIntent(_ r: VerifyPaymentIntentRequest, traceID: String?) async throws(WireError) -> VerifyReply {
        guard r.paymentIntentID.hasPrefix("pi_"), r.paymentIntentID.count <= 255 else {
            throw .invalidArgument("payment_intent: expected a PaymentIntent id (pi_...)")
        }
        let ownOrderID = try await ownOrder("SELECT order_id FROM payments WHERE payment_intent_id = ?1 OR stripe_id = ?1 LIMIT 1",
                                            r.paymentIntentID, what: "PaymentIntent")
        let stripe = try client()
        let intent: PaymentIntent
        do { intent = try await stripe.retrievePaymentIntent(r.paymentIntentID) } catch {
            if error.kind == .invalidRequest && error.httpStatus == 404 { throw .notFound("no such PaymentIntent") }
            throw WireError.from(error)
        }
        // The browser must prove it was handed this PaymentIntent: its client secret, compared in constant time.
        guard let secret = intent.clientSecret,
              Digest.constantTimeEqual(Array(secret.utf8), Array(r.clientSecret.utf8)) else {
            throw WireError(code: .invalidArgument, message: "payment_intent_client_secret does not belong to that PaymentIntent",
                            reason: "client_secret_mismatch")
        }
        // Our own record decides the order; metadata set at Stripe is only a cross-check.
        let orderID = ownOrderID
        if let claimed = intent.metadata["order_id"], claimed != orderID {
            logger.warn("PaymentIntent metadata names another order", ["order.id": orderID, "stripe.payment_intent": intent.id])
            throw .notFound("the PaymentIntent belongs to no order of this shop")
        }
        let verdict: PaymentVerdict = switch intent.status {
        case "succeeded": .succeeded
        case "processing", "requires_capture": .processing
        case "requires_action", "requires_confirmation": .requiresAction
        case "canceled": .canceled
        default: .requiresPaymentMethod
        }
        if verdict == .succeeded {
            let event = PaymentEvent(orderID: orderID, stripeEventID: "return:\(intent.id)", stripeCreated: Int64(Date().timeIntervalSince1970),
                                     source: "return", paymentIntentID: intent.id, invoiceID: intent.invoice,
                                     amount: (intent.amountReceived ?? 0) > 0 ? intent.amountReceived! : intent.amount,
                                     currency: intent.currency.lowercased(), status: intent.status)
            try await intake.recordVerdict(event, type: "payment_intent.succeeded", traceID: traceID)
        }
        return VerifyReply(verdict: verdict, orderID: orderID, status: intent.status, paymentIntentID: intent.id,
                           failureMessage: intent.lastPaymentError?.message)
    }

    /// `payments.verify_checkout_session`: `complete`+`paid` succeeded, `complete`+`unpaid` processing
    /// (an asynchronous method), `open` back to checkout, `expired` start over.
    func verifyCheckoutSession(_ r: VerifyCheckoutSessionRequest, traceID: String?) async throws(WireError) -> VerifyReply {
        guard r.sessionID.hasPrefix("cs_"), r.sessionID.count <= 255 else {
            throw .invalidArgument("session_id: expected a Checkout Session id (cs_...)")
        }
        let ownOrderID = try await ownOrder("SELECT order_id FROM payments WHERE stripe_id = ? AND flow = 'checkout_session'",
                                            r.sessionID, what: "Checkout Session")
        let stripe = try client()
        let session: CheckoutSession
        do { session = try await stripe.retrieveCheckoutSession(r.sessionID) } catch {
            if error.kind == .invalidRequest && error.httpStatus == 404 { throw .notFound("no such Checkout Session") }
            throw WireError.from(error)
        }
        let orderID = ownOrderID
        if let claimed = session.metadata["order_id"], claimed != orderID {
            logger.warn("Checkout Session metadata names another order", ["order.id": orderID, "stripe.checkout_session": session.id])
            throw .notFound("the Checkout Session belongs to no order of this shop")
        }
        let status = session.status ?? ""
        let verdict: PaymentVerdict = switch (status, session.paymentStatus ?? "") {
        case ("complete", "paid"), ("complete", "no_payment_required"): .succeeded
        case ("complete", _): .processing
        case ("expired", _): .expired
        default: .requiresPaymentMethod
        }
        if verdict == .succeeded {
            let event = PaymentEvent(orderID: orderID, stripeEventID: "return:\(session.id)", stripeCreated: Int64(Date().timeIntervalSince1970),
                                     source: "return", paymentIntentID: session.paymentIntentID, checkoutSessionID: session.id,
                                     amount: session.amountTotal ?? 0, currency: (session.currency ?? "").lowercased(),
                                     status: status, paymentStatus: session.paymentStatus)
            try await intake.recordVerdict(event, type: "checkout.session.completed", traceID: traceID)
        }
        return VerifyReply(verdict: verdict, orderID: orderID, status: status, paymentStatus: session.paymentStatus,
                           paymentIntentID: session.paymentIntentID,
                           failureMessage: session.paymentIntent?.object?.lastPaymentError?.message)
    }
}
