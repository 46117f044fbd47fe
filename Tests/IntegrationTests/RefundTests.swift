import Foundation
import Testing

/// Refunds end to end (issue 17): the operator command through the running payments service, Stripe's
/// answers from the stand-in, signed refund webhooks through the gateway, the refund books in payments
/// and the order's refunded amount and status in fulfillment. Every process is real.
@Suite("refunds end to end")
struct RefundTests {
    /// A stack whose asynchronous refunds change only through the settle helper.
    static func stack(_ extra: [String: String] = [:]) throws -> FullStack {
        try FullStack(environment: extra, emulatorEnvironment: ["EMULATOR_ASYNC_SETTLE_MS": "0"])
    }

    /// An order of `quantity` mugs (1200 usd each) paid with `card`, fulfilled.
    static func paidOrder(_ stack: FullStack, quantity: Int = 2, card: String = "4242424242424242") throws -> (order: String, intent: String) {
        let created = try stack.create(sku: "mug", quantity: quantity)
        let orderID = try #require(created["order_id"] as? String)
        let intent = try #require(created["payment_intent_id"] as? String)
        try stack.act("/_emulator/payment_intents/\(intent)/confirm", ["card": card])
        try stack.waitForStatus(orderID, "fulfilled")
        return (orderID, intent)
    }

    static func refund(_ stack: FullStack, _ arguments: [String]) throws -> CommandResult {
        try runCommand(Binaries.path("payments"), ["refund"] + arguments, environment: stack.env, timeout: .seconds(60))
    }

    static func refundedAmount(_ stack: FullStack, _ orderID: String) throws -> Int? {
        try stack.order(orderID)["refunded_amount"] as? Int
    }

    /// The order events fulfillment published for an order, oldest first.
    static func orderEvents(_ stack: FullStack, _ orderID: String) throws -> [String] {
        try sqlite(stack.dir.file("d/fulfillment.sqlite"), "SELECT type FROM outbox_events WHERE key = '\(orderID)' ORDER BY seq")
    }

    /// The subject and decoded text part of each `.eml` the notifier wrote.
    static func emails(_ stack: FullStack) throws -> [(subject: String, text: String)] {
        try stack.emlFiles().map { path in
            let eml = try String(contentsOfFile: path, encoding: .utf8)
            let subject = eml.components(separatedBy: "\r\n").first { $0.hasPrefix("Subject: ") }.map { String($0.dropFirst(9)) } ?? ""
            guard let start = eml.range(of: "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n") else {
                return (subject, "")
            }
            let b64 = eml[start.upperBound...].prefix { $0 != "-" }.replacingOccurrences(of: "\r\n", with: "")
            return (subject, String(decoding: Data(base64Encoded: b64) ?? Data(), as: UTF8.self))
        }
    }

    /// Stripe's refunds of a PaymentIntent, as the stand-in lists them.
    static func stripeRefunds(_ stack: FullStack, _ intent: String) throws -> [[String: Any]] {
        try stack.emulator.stripe("GET", "/v1/refunds", [("payment_intent", intent), ("limit", "100")]).json["data"] as? [[String: Any]] ?? []
    }

    @Test("a partial refund, then the rest: partially_refunded, then refunded; a further refund is refused")
    func partialThenRest() throws {
        let stack = try Self.stack()
        let (orderID, intent) = try Self.paidOrder(stack)
        let first = try Self.refund(stack, [orderID, "--amount", "1000", "--reason", "requested_by_customer"])
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout.contains("succeeded: 1000 usd of order \(orderID)"), "\(first.stdout)")
        #expect(first.stdout.contains("refunded 1000 usd"), "\(first.stdout)")
        try stack.waitForStatus(orderID, "partially_refunded")
        #expect(try Self.refundedAmount(stack, orderID) == 1000)

        let rest = try Self.refund(stack, [orderID])
        #expect(rest.status == 0, "\(rest.stderr)")
        #expect(rest.stdout.contains("succeeded: 1400 usd"), "\(rest.stdout)")
        try stack.waitForStatus(orderID, "refunded")
        #expect(try Self.refundedAmount(stack, orderID) == 2400)

        let more = try Self.refund(stack, [orderID, "--amount", "1"])
        #expect(more.status == 1)
        #expect(more.stderr.contains("charge_already_refunded"), "\(more.stderr)")

        // Our metadata and key reached Stripe; the books hold each refund once.
        let refunds = try Self.stripeRefunds(stack, intent)
        #expect(refunds.count == 2)
        #expect(refunds.allSatisfy { ($0["metadata"] as? [String: String])?["order_id"] == orderID })
        #expect(refunds.allSatisfy { (($0["metadata"] as? [String: String])?["refund_request"] ?? "").hasPrefix("rr_") })
        #expect(try sqlite(stack.dir.file("d/payments.sqlite"), "SELECT count(*), sum(amount) FROM refunds WHERE status = 'succeeded'") == ["2|2400"])
        let events = try Self.orderEvents(stack, orderID)
        #expect(events.filter { $0 == "order.partially_refunded" }.count == 1)
        #expect(events.filter { $0 == "order.refunded" }.count == 1)

        // The customer is told each time: the amount and currency, partial or full.
        try waitUntil("three emails (confirmation, partial refund, refund)") { stack.emlFiles().count == 3 }
        let mails = try Self.emails(stack)
        let partial = try #require(mails.first { $0.subject.hasPrefix("Partial refund") })
        #expect(partial.subject == "Partial refund for order \(orderID): $10.00")
        #expect(partial.text.contains("we have refunded $10.00 to you"))
        #expect(partial.text.contains("In all, $10.00 of your payment of $24.00 has been refunded."))
        let full = try #require(mails.first { $0.subject.hasPrefix("Refund for") })
        #expect(full.subject == "Refund for order \(orderID): $14.00")
        #expect(full.text.contains("has now been refunded in full"))
    }

    @Test("an over-refund is refused with Stripe's reason and the books do not move")
    func overRefund() throws {
        let stack = try Self.stack()
        let (orderID, _) = try Self.paidOrder(stack)
        #expect(try Self.refund(stack, [orderID, "--amount", "2000"]).status == 0)
        try stack.waitForStatus(orderID, "partially_refunded")
        let over = try Self.refund(stack, [orderID, "--amount", "1000"])
        #expect(over.status == 1)
        #expect(over.stderr.contains("amount_too_large"), "\(over.stderr)")
        #expect(over.stderr.contains("greater than unrefunded amount"), "\(over.stderr)")
        #expect(try Self.refundedAmount(stack, orderID) == 2000)
        #expect(try stack.status(orderID) == "partially_refunded")
        #expect(try sqlite(stack.dir.file("d/payments.sqlite"), "SELECT state, error_code FROM refund_requests ORDER BY created_at")
                == ["answered|", "refused|amount_too_large"])

        // An unpaid order cannot be refunded.
        let unpaid = try stack.create(sku: "mug")
        let refused = try Self.refund(stack, [unpaid["order_id"] as? String ?? ""])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("order_not_paid"), "\(refused.stderr)")
        let bad = try Self.refund(stack, [orderID, "--amount", "-5"])
        #expect(bad.status == 64)
    }

    @Test("a refund made in the Dashboard is synced into the books and the order")
    func dashboardRefund() throws {
        let stack = try Self.stack()
        let (orderID, intent) = try Self.paidOrder(stack)
        try stack.act("/_emulator/refunds", ["payment_intent": intent, "amount": 500])
        try waitUntil("the Dashboard refund in the order") { try Self.refundedAmount(stack, orderID) == 500 }
        #expect(try stack.status(orderID) == "partially_refunded")
        #expect(try sqlite(stack.dir.file("d/payments.sqlite"), "SELECT amount, status, coalesce(request_id, 'none') FROM refunds")
                == ["500|succeeded|none"])
        try waitUntil("order.partially_refunded") { try Self.orderEvents(stack, orderID).contains("order.partially_refunded") }
        // The rest, from the Dashboard too: refunded.
        try stack.act("/_emulator/refunds", ["payment_intent": intent])
        try stack.waitForStatus(orderID, "refunded")
        #expect(try Self.refundedAmount(stack, orderID) == 2400)
    }

    @Test("20 redeliveries of refund events in random order, old and new event ids: each refund counted once")
    func redeliveries() throws {
        let stack = try Self.stack()
        let (orderID, intent) = try Self.paidOrder(stack)
        #expect(try Self.refund(stack, [orderID, "--amount", "300"]).status == 0)
        try stack.act("/_emulator/refunds", ["payment_intent": intent, "amount": 200])
        try waitUntil("both refunds in the order") { try Self.refundedAmount(stack, orderID) == 500 }

        let list = try stack.emulator.stripe("GET", "/v1/events", [("type", "charge.refunded"), ("limit", "100")])
        var bodies = try #require(list.json["data"] as? [[String: Any]])
        #expect(bodies.count == 2)
        for event in try stack.emulator.stripe("GET", "/v1/events", [("type", "refund.created"), ("limit", "100")]).json["data"] as? [[String: Any]] ?? [] {
            bodies.append(event)
        }
        var deliveries: [[UInt8]] = []
        for i in 0..<20 {
            var event = bodies[i % bodies.count]
            event.removeValue(forKey: "emulator_deliveries")
            // Half are redeliveries of Stripe's own events, half look like new events about the same refunds.
            if i % 2 == 1 { event["id"] = "evt_redelivery_\(i)" }
            deliveries.append(Array(try JSONSerialization.data(withJSONObject: event)))
        }
        deliveries.shuffle()
        for body in deliveries {
            let r = try stack.deliver(body)
            #expect(r.status == 200, "\(r.text)")
        }
        // Every redelivery was taken; wait until payments has no sync left to do.
        try waitUntil("the refund syncs to finish") {
            try sqlite(stack.dir.file("d/payments.sqlite"), "SELECT count(*) FROM refund_sync") == ["0"]
        }
        try waitUntil("fulfillment to apply what was published") {
            try sqlite(stack.dir.file("d/payments.sqlite"),
                       "SELECT count(*) FROM outbox_deliveries WHERE status = 'pending'") == ["0"]
        }
        #expect(try sqlite(stack.dir.file("d/payments.sqlite"), "SELECT count(*), sum(amount) FROM refunds") == ["2|500"])
        #expect(try Self.stripeRefunds(stack, intent).count == 2)
        #expect(try Self.refundedAmount(stack, orderID) == 500)
        #expect(try stack.status(orderID) == "partially_refunded")
        #expect(try Self.orderEvents(stack, orderID).filter { $0 == "order.partially_refunded" }.count == 2)
    }

    @Test("a refund that succeeds and later fails is reversed in the books and the merchant is told")
    func failsAfterSuccess() throws {
        let stack = try Self.stack()
        let (orderID, intent) = try Self.paidOrder(stack, card: "4000000000005126")
        #expect(try Self.refund(stack, [orderID]).status == 0)
        try stack.waitForStatus(orderID, "refunded")
        let refundID = try #require(Self.stripeRefunds(stack, intent).first?["id"] as? String)
        try stack.act("/_emulator/refunds/\(refundID)/settle", ["outcome": "failed"])
        try stack.waitForStatus(orderID, "fulfilled")
        #expect(try Self.refundedAmount(stack, orderID) == 0)
        #expect(try sqlite(stack.dir.file("d/payments.sqlite"), "SELECT status, failure_reason FROM refunds")
                == ["failed|expired_or_canceled_card"])
        try waitUntil("order.refund_failed") { try Self.orderEvents(stack, orderID).contains("order.refund_failed") }
    }

    @Test("a pending refund leaves the order as it is; when it fails the merchant is told")
    func pendingThenFailed() throws {
        let stack = try Self.stack()
        let (orderID, intent) = try Self.paidOrder(stack, card: "4000000000007726")
        let r = try Self.refund(stack, [orderID, "--amount", "700"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("pending: 700 usd"), "\(r.stdout)")
        #expect(r.stdout.contains("pending 700 usd"), "\(r.stdout)")
        #expect(try stack.status(orderID) == "fulfilled")
        let refundID = try #require(Self.stripeRefunds(stack, intent).first?["id"] as? String)
        try stack.act("/_emulator/refunds/\(refundID)/settle", [:])
        try waitUntil("order.refund_failed") { try Self.orderEvents(stack, orderID).contains("order.refund_failed") }
        #expect(try stack.status(orderID) == "fulfilled")
        #expect(try Self.refundedAmount(stack, orderID) == 0)
    }

    @Test("a refund that requires action stays pending in the books; canceled, it is given back and the merchant is told")
    func requiresActionThenCanceled() throws {
        let stack = try Self.stack()
        let (orderID, intent) = try Self.paidOrder(stack, card: "4000000000007726")
        let r = try Self.refund(stack, [orderID, "--amount", "500"])
        #expect(r.status == 0, "\(r.stderr)")
        let refundID = try #require(Self.stripeRefunds(stack, intent).first?["id"] as? String)
        try stack.act("/_emulator/refunds/\(refundID)/settle", ["outcome": "requires_action"])
        try waitUntil("requires_action in payments' books") {
            try sqlite(stack.dir.file("d/payments.sqlite"), "SELECT status FROM refunds") == ["requires_action"]
        }
        try waitUntil("the pending amount in the order") {
            try sqlite(stack.dir.file("d/fulfillment.sqlite"), "SELECT refund_pending_amount FROM orders WHERE order_id = '\(orderID)'") == ["500"]
        }
        #expect(try stack.status(orderID) == "fulfilled")
        #expect(try Self.refundedAmount(stack, orderID) == 0)

        let canceled = try stack.emulator.stripe("POST", "/v1/refunds/\(refundID)/cancel")
        #expect(canceled.json["status"] as? String == "canceled", "\(canceled.json)")
        try waitUntil("order.refund_failed") { try Self.orderEvents(stack, orderID).contains("order.refund_failed") }
        #expect(try sqlite(stack.dir.file("d/payments.sqlite"), "SELECT status FROM refunds") == ["canceled"])
        #expect(try sqlite(stack.dir.file("d/fulfillment.sqlite"), "SELECT refund_pending_amount FROM orders WHERE order_id = '\(orderID)'") == ["0"])
        #expect(try stack.status(orderID) == "fulfilled")
        #expect(try Self.refundedAmount(stack, orderID) == 0)
        // The whole amount can be refunded again: Stripe gave the canceled 500 back to the charge.
        #expect(try Self.refund(stack, [orderID]).status == 0)
    }

    @Test("--restock puts the order's units back once the refund succeeds")
    func restock() throws {
        let stack = try Self.stack()
        let before = try stack.sold("mug")
        let (orderID, _) = try Self.paidOrder(stack, quantity: 3)
        #expect(try stack.sold("mug") == before + 3)
        #expect(try Self.refund(stack, [orderID, "--restock"]).status == 0)
        try stack.waitForStatus(orderID, "refunded")
        #expect(try stack.sold("mug") == before)
    }

    /// A payment for `orderID` through a PaymentIntent of its own (made outside our records, with the order
    /// in its metadata), after the order expired: the way money still reaches an expired order now that
    /// expiry cancels the order's own PaymentIntent at Stripe first.
    static func latePayment(_ stack: FullStack, orderID: String, amount: Int) throws -> String {
        let pi = try stack.emulator.stripe("POST", "/v1/payment_intents", [("amount", "\(amount)"), ("currency", "usd"),
                                                                           ("metadata[order_id]", orderID)])
        let id = try #require(pi.json["id"] as? String)
        try stack.act("/_emulator/payment_intents/\(id)/confirm", ["card": "4242424242424242"])
        return id
    }

    @Test("a late payment (the order expired first) is refunded automatically, never fulfilled")
    func latePaymentRefunded() throws {
        let stack = try Self.stack(["ORDER_TTL_SECONDS": "1", "ORDER_SWEEP_INTERVAL_MS": "50"])
        let created = try stack.create(sku: "mug")
        let orderID = try #require(created["order_id"] as? String)
        try stack.waitForStatus(orderID, "expired")
        let late = try Self.latePayment(stack, orderID: orderID, amount: 1200)
        try stack.waitForStatus(orderID, "refunded")
        #expect(try Self.refundedAmount(stack, orderID) == 1200)
        #expect(try stack.fulfilments(orderID) == 0)
        let refunds = try Self.stripeRefunds(stack, late)
        #expect(refunds.count == 1)
        #expect(refunds.first?["reason"] as? String == "requested_by_customer")
        #expect((refunds.first?["metadata"] as? [String: String])?["refund_request"] == "late:\(orderID)")
        let statuses = try #require(stack.order(orderID)["history"] as? [[String: Any]]).compactMap { $0["status"] as? String }
        #expect(statuses == ["awaiting_payment", "expired", "needs_review", "refunded"])
        #expect(try Self.orderEvents(stack, orderID) == ["order.expired", "order.needs_review", "order.refunded"])
        try waitUntil("the late-payment refund email") { try Self.emails(stack).contains { $0.subject.hasPrefix("Refund for") } }
        let mail = try #require(Self.emails(stack).first { $0.subject.hasPrefix("Refund for") })
        #expect(mail.text.contains("we have refunded $12.00 to you"))
        #expect(mail.text.contains("Your payment arrived after order \(orderID) had expired"))
    }

    @Test("LATE_PAYMENT_POLICY=review keeps a late payment in review, unrefunded and unfulfilled")
    func latePaymentReviewed() throws {
        let stack = try Self.stack(["ORDER_TTL_SECONDS": "1", "ORDER_SWEEP_INTERVAL_MS": "50", "LATE_PAYMENT_POLICY": "review"])
        let created = try stack.create(sku: "mug")
        let orderID = try #require(created["order_id"] as? String)
        try stack.waitForStatus(orderID, "expired")
        let late = try Self.latePayment(stack, orderID: orderID, amount: 1200)
        try stack.waitForStatus(orderID, "needs_review")
        #expect(try stack.fulfilments(orderID) == 0)
        #expect(try sqlite(stack.dir.file("d/fulfillment.sqlite"),
                           "SELECT coalesce(late_refund_state, 'none') FROM orders WHERE order_id = '\(orderID)'") == ["none"])
        #expect(try Self.stripeRefunds(stack, late).isEmpty)
    }

    @Test("kill -9 of payments between Stripe's refund answer and our commit: the retry reuses the key, one refund exists")
    func crashAfterAnswer() throws {
        let stack = try Self.stack(["PAYMENTS_FAULT": "crash_after_refund_answer"])
        let (orderID, intent) = try Self.paidOrder(stack)
        let r = try Self.refund(stack, [orderID, "--amount", "900", "--request-id", "rr_crash_test"])
        #expect(r.status != 0)
        #expect(stack.payments.waitForExit(timeout: .seconds(10)) != nil)
        #expect(try sqlite(stack.dir.file("d/payments.sqlite"), "SELECT state FROM refund_requests") == ["requested"])
        #expect(try Self.stripeRefunds(stack, intent).count == 1)

        var env = stack.env
        env.removeValue(forKey: "PAYMENTS_FAULT")
        let again = try ServiceProcess("payments", environment: env, logDirectory: stack.dir)
        // The restarted service resumes the open request with the same key: Stripe replays its refund.
        try stack.waitForStatus(orderID, "partially_refunded")
        #expect(try Self.refundedAmount(stack, orderID) == 900)
        #expect(try Self.stripeRefunds(stack, intent).count == 1)
        #expect(try sqlite(stack.dir.file("d/payments.sqlite"), "SELECT state FROM refund_requests") == ["answered"])
        // The operator retrying with the same request id gets the same refund, not a second one.
        let retry = try Self.refund(stack, [orderID, "--amount", "900", "--request-id", "rr_crash_test"])
        #expect(retry.status == 0, "\(retry.stderr)")
        #expect(try Self.stripeRefunds(stack, intent).count == 1)
        withExtendedLifetime(again) {}
    }
}
