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

    /// The order a PaymentIntent pays: its metadata, or our own record of it. An invoice's PaymentIntent
    /// carries no order metadata and, from API version basil on, no invoice id either; what we stored for
    /// it is the client secret we handed out (already checked to be this PaymentIntent's).
    private func orderOf(intent: PaymentIntent) async -> String? {
        if let id = intent.metadata["order_id"] { return id }
        return try? await database.read { c in
            if let row = try c.queryOne("SELECT order_id FROM payments WHERE payment_intent_id = ?", intent.id) {
                return row.string("order_id")
            }
            guard let secret = intent.clientSecret else { return nil }
            return try c.queryOne("SELECT order_id FROM payments WHERE client_secret = ?", secret)?.string("order_id")
        }
    }

    /// `payments.verify_payment_intent`.
    func verifyPaymentIntent(_ r: VerifyPaymentIntentRequest, traceID: String?) async throws(WireError) -> VerifyReply {
        guard r.paymentIntentID.hasPrefix("pi_"), r.paymentIntentID.count <= 255 else {
            throw .invalidArgument("payment_intent: expected a PaymentIntent id (pi_...)")
        }
        let stripe = try client()
        let intent: PaymentIntent
        do { intent = try await stripe.retrievePaymentIntent(r.paymentIntentID) } catch {
            if error.kind == .invalidRequest && error.httpStatus == 404 { throw .notFound("no such PaymentIntent") }
            throw WireError.from(error)
        }
        // The browser must prove it was handed this PaymentIntent: its client secret, compared in constant time.
        guard let secret = intent.clientSecret,
              Digest.constantTimeEqual(Array(secret.utf8), Array(r.clientSecret.utf8)) else {
            throw WireError(code: "invalid_argument", message: "payment_intent_client_secret does not belong to that PaymentIntent",
                            reason: "client_secret_mismatch")
        }
        guard let orderID = await orderOf(intent: intent) else { throw .notFound("the PaymentIntent belongs to no order of this shop") }
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
        let stripe = try client()
        let session: CheckoutSession
        do { session = try await stripe.retrieveCheckoutSession(r.sessionID) } catch {
            if error.kind == .invalidRequest && error.httpStatus == 404 { throw .notFound("no such Checkout Session") }
            throw WireError.from(error)
        }
        guard let orderID = session.metadata["order_id"] else { throw .notFound("the Checkout Session belongs to no order of this shop") }
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
