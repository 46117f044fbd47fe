import Messages
@testable import payments
import Stripe
import Testing

/// How payments turns a verified Stripe event into what it publishes, on event bodies as Stripe sends
/// them (no socket, no database: invoice PaymentIntents are looked up through the closure).
@Suite("payment event mapping")
struct PaymentEventMappingTests {
    static func event(_ type: String, _ object: String) throws -> Stripe.Event {
        try Stripe.Event.decode(Array("""
            {"id":"evt_1","object":"event","type":"\(type)","created":1700000000,"livemode":false,
             "data":{"object":\(object)}}
            """.utf8))
    }

    static func map(_ event: Stripe.Event, orders: [String: String] = [:]) throws -> PaymentEventMapping.Outcome {
        try PaymentEventMapping.map(event, source: "webhook") { orders[$0] }
    }

    @Test("a succeeded PaymentIntent publishes what was received, for the order in its metadata")
    func succeededIntent() throws {
        let outcome = try Self.map(try Self.event("payment_intent.succeeded", """
            {"id":"pi_1","object":"payment_intent","amount":1000,"amount_received":1000,"currency":"USD",
             "status":"succeeded","metadata":{"order_id":"ord_1"}}
            """))
        guard case .publish(let event) = outcome else { Issue.record("not published: \(outcome)"); return }
        #expect(event.orderID == "ord_1" && event.stripeEventID == "evt_1" && event.stripeCreated == 1_700_000_000)
        #expect(event.paymentIntentID == "pi_1" && event.amount == 1000 && event.currency == "usd" && event.status == "succeeded")
        #expect(event.source == "webhook")
    }

    @Test("a failed PaymentIntent carries the decline code before the error code, and the message")
    func failedIntent() throws {
        let outcome = try Self.map(try Self.event("payment_intent.payment_failed", """
            {"id":"pi_2","object":"payment_intent","amount":500,"currency":"eur","status":"requires_payment_method",
             "metadata":{"order_id":"ord_2"},
             "last_payment_error":{"type":"card_error","code":"card_declined","decline_code":"insufficient_funds",
                                   "message":"Your card has insufficient funds."}}
            """))
        guard case .publish(let event) = outcome else { Issue.record("not published: \(outcome)"); return }
        #expect(event.amount == 500 && event.failureCode == "insufficient_funds")
        #expect(event.failureMessage == "Your card has insufficient funds.")
    }

    @Test("an invoice's PaymentIntent without metadata finds its order through our payment records, or is unmatched")
    func intentWithoutMetadata() throws {
        let event = try Self.event("payment_intent.succeeded", """
            {"id":"pi_3","object":"payment_intent","amount":700,"amount_received":700,"currency":"usd","status":"succeeded",
             "metadata":{}}
            """)
        guard case .publish(let found) = try Self.map(event, orders: ["pi_3": "ord_3"]) else {
            Issue.record("not published")
            return
        }
        #expect(found.orderID == "ord_3")
        guard case .unmatched = try Self.map(event) else {
            Issue.record("an unknown PaymentIntent must be unmatched")
            return
        }
    }

    @Test("a completed Checkout Session publishes its total and payment_status")
    func checkoutSession() throws {
        let outcome = try Self.map(try Self.event("checkout.session.completed", """
            {"id":"cs_1","object":"checkout.session","amount_total":2400,"currency":"usd","status":"complete",
             "payment_status":"unpaid","payment_intent":"pi_4","metadata":{"order_id":"ord_4"}}
            """))
        guard case .publish(let event) = outcome else { Issue.record("not published: \(outcome)"); return }
        #expect(event.checkoutSessionID == "cs_1" && event.paymentIntentID == "pi_4" && event.amount == 2400)
        #expect(event.paymentStatus == "unpaid" && event.status == "complete")
    }

    @Test("an invoice publishes amount_paid when paid and amount_due when its payment failed")
    func invoices() throws {
        let invoice = """
            {"id":"in_1","object":"invoice","amount_due":900,"amount_paid":%d,"currency":"usd","status":"%@",
             "metadata":{"order_id":"ord_5"}}
            """
        let paid = invoice.replacingOccurrences(of: "%d", with: "900").replacingOccurrences(of: "%@", with: "paid")
        guard case .publish(let event) = try Self.map(try Self.event("invoice.paid", paid)) else {
            Issue.record("not published")
            return
        }
        #expect(event.invoiceID == "in_1" && event.amount == 900 && event.status == "paid")
        let open = invoice.replacingOccurrences(of: "%d", with: "0").replacingOccurrences(of: "%@", with: "open")
        guard case .publish(let failed) = try Self.map(try Self.event("invoice.payment_failed", open)) else {
            Issue.record("not published")
            return
        }
        #expect(failed.amount == 900)
    }

    @Test("refund events only mark the PaymentIntent for a sync of the refund books")
    func refunds() throws {
        let charge = try Self.event("charge.refunded", """
            {"id":"ch_1","object":"charge","amount":1000,"currency":"usd","payment_intent":"pi_6","metadata":{"order_id":"ord_6"}}
            """)
        #expect(try Self.map(charge) == .syncRefunds(paymentIntentID: "pi_6", orderID: "ord_6"))
        let refund = try Self.event("refund.updated", """
            {"id":"re_1","object":"refund","amount":100,"currency":"usd","status":"succeeded","payment_intent":"pi_7","metadata":{}}
            """)
        #expect(try Self.map(refund) == .syncRefunds(paymentIntentID: "pi_7", orderID: nil))
    }

    @Test("dispute events mark the dispute for a sync")
    func disputes() throws {
        let event = try Self.event("charge.dispute.created", """
            {"id":"dp_1","object":"dispute","amount":1000,"currency":"usd","status":"needs_response","payment_intent":"pi_8",
             "reason":"fraudulent"}
            """)
        #expect(try Self.map(event) == .syncDispute(disputeID: "dp_1", paymentIntentID: "pi_8"))
    }

    @Test("a type nobody consumes is ignored; a consumed type with a foreign object is unmatched")
    func ignoredAndUnmatched() throws {
        #expect(try Self.map(try Self.event("customer.created", #"{"id":"cus_1","object":"customer"}"#)) == .ignored)
        guard case .unmatched = try Self.map(try Self.event("payment_intent.succeeded", #"{"id":"cus_1","object":"customer"}"#)) else {
            Issue.record("must be unmatched")
            return
        }
    }
}
