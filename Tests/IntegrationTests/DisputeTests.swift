import Foundation
import Testing

/// Disputes end to end (issue 17): the stand-in's dispute card, signed dispute webhooks through the
/// gateway, payments' dispute books and the order's dispute fields in fulfillment. Every process is real.
@Suite("disputes end to end")
struct DisputeTests {
    static let disputeCard = "4000000000000259"

    static func dispute(_ stack: FullStack, _ orderID: String) throws -> [String: Any] {
        try stack.order(orderID)["dispute"] as? [String: Any] ?? [:]
    }

    static func disputeID(_ stack: FullStack, intent: String) throws -> String {
        let list = try stack.emulator.stripe("GET", "/v1/disputes", [("payment_intent", intent)])
        let id = (list.json["data"] as? [[String: Any]])?.first?["id"] as? String
        guard let id else { throw ServiceFailure("no dispute on \(intent)") }
        return id
    }

    @Test("a dispute opened, then won: disputed with amount, reason and deadline, then cleared; the status never moves")
    func openedThenWon() throws {
        let stack = try RefundTests.stack()
        let started = Int(Date().timeIntervalSince1970)
        let (orderID, intent) = try RefundTests.paidOrder(stack, card: Self.disputeCard)
        try waitUntil("the order disputed") { try stack.order(orderID)["disputed"] as? Bool == true }
        try waitUntil("the funds withdrawn") { try Self.dispute(stack, orderID)["funds_withdrawn"] as? Bool == true }
        let open = try Self.dispute(stack, orderID)
        #expect(open["status"] as? String == "needs_response")
        #expect(open["amount"] as? Int == 2400)
        #expect(open["currency"] as? String == "usd")
        #expect(open["reason"] as? String == "fraudulent")
        #expect((open["due_by"] as? Int ?? 0) > started)
        #expect(try stack.status(orderID) == "fulfilled")
        try waitUntil("order.disputed") { try RefundTests.orderEvents(stack, orderID).contains("order.disputed") }

        let id = try Self.disputeID(stack, intent: intent)
        try stack.act("/_emulator/disputes/\(id)/close", ["status": "won"])
        try waitUntil("the dispute won") { try Self.dispute(stack, orderID)["status"] as? String == "won" }
        try waitUntil("the funds reinstated") { try Self.dispute(stack, orderID)["funds_reinstated"] as? Bool == true }
        #expect(try stack.order(orderID)["disputed"] as? Bool == false)
        #expect(try Self.dispute(stack, orderID)["due_by"] == nil)
        #expect(try stack.status(orderID) == "fulfilled")
        try waitUntil("order.dispute_closed") { try RefundTests.orderEvents(stack, orderID).contains("order.dispute_closed") }
        #expect(try sqlite(stack.dir.file("d/fulfillment.sqlite"), "SELECT dispute_lost_amount FROM orders WHERE order_id = '\(orderID)'") == ["0"])
    }

    @Test("another dispute opened, then lost (the merchant accepts it): the loss is recorded, the status kept")
    func openedThenLost() throws {
        let stack = try RefundTests.stack()
        let (orderID, intent) = try RefundTests.paidOrder(stack, quantity: 1, card: Self.disputeCard)
        try waitUntil("the order disputed") { try stack.order(orderID)["disputed"] as? Bool == true }
        let id = try Self.disputeID(stack, intent: intent)
        let closed = try stack.emulator.stripe("POST", "/v1/disputes/\(id)/close")
        #expect(closed.status == 200)
        try waitUntil("the dispute lost") { try Self.dispute(stack, orderID)["status"] as? String == "lost" }
        #expect(try stack.order(orderID)["disputed"] as? Bool == false)
        #expect(try stack.status(orderID) == "fulfilled")
        #expect(try sqlite(stack.dir.file("d/fulfillment.sqlite"), "SELECT dispute_lost_amount FROM orders WHERE order_id = '\(orderID)'") == ["1200"])
        try waitUntil("order.dispute_closed") { try RefundTests.orderEvents(stack, orderID).contains("order.dispute_closed") }
        #expect(try sqlite(stack.dir.file("d/payments.sqlite"), "SELECT status, funds_withdrawn FROM disputes") == ["lost|1"])
    }

    @Test("dispute events redelivered out of order and twice, under new ids too: the same result, one alert each")
    func outOfOrderAndDuplicates() throws {
        let stack = try RefundTests.stack()
        let (orderID, intent) = try RefundTests.paidOrder(stack, card: Self.disputeCard)
        try waitUntil("the order disputed") { try stack.order(orderID)["disputed"] as? Bool == true }
        let id = try Self.disputeID(stack, intent: intent)
        try stack.act("/_emulator/disputes/\(id)/close", ["status": "won"])
        try waitUntil("the dispute won") { try Self.dispute(stack, orderID)["status"] as? String == "won" }

        var bodies: [[String: Any]] = []
        for type in ["charge.dispute.closed", "charge.dispute.funds_reinstated", "charge.dispute.funds_withdrawn", "charge.dispute.created"] {
            let events = try stack.emulator.stripe("GET", "/v1/events", [("type", type)]).json["data"] as? [[String: Any]] ?? []
            bodies += events
        }
        #expect(bodies.count == 4)
        var deliveries: [[UInt8]] = []
        for (i, event) in (bodies + bodies + bodies).enumerated() {
            var e = event
            e.removeValue(forKey: "emulator_deliveries")
            if i >= bodies.count { e["id"] = "evt_dispute_copy_\(i)" }
            deliveries.append(Array(try JSONSerialization.data(withJSONObject: e)))
        }
        for body in deliveries.shuffled() {
            #expect(try stack.deliver(body).status == 200)
        }
        try waitUntil("the dispute syncs to finish") {
            try sqlite(stack.dir.file("d/payments.sqlite"), "SELECT count(*) FROM dispute_sync") == ["0"]
        }
        try waitUntil("fulfillment to apply what was published") {
            try sqlite(stack.dir.file("d/payments.sqlite"), "SELECT count(*) FROM outbox_deliveries WHERE status = 'pending'") == ["0"]
        }
        #expect(try Self.dispute(stack, orderID)["status"] as? String == "won")
        #expect(try stack.order(orderID)["disputed"] as? Bool == false)
        let events = try RefundTests.orderEvents(stack, orderID)
        #expect(events.filter { $0 == "order.disputed" }.count == 1)
        #expect(events.filter { $0 == "order.dispute_closed" }.count == 1)
    }

    @Test("a dispute event never moves a refunded order back")
    func refundedStaysRefunded() throws {
        let stack = try RefundTests.stack()
        let (orderID, intent) = try RefundTests.paidOrder(stack, card: Self.disputeCard)
        try waitUntil("the order disputed") { try stack.order(orderID)["disputed"] as? Bool == true }
        let id = try Self.disputeID(stack, intent: intent)
        try stack.act("/_emulator/disputes/\(id)/close", ["status": "won"])
        try waitUntil("the dispute won") { try Self.dispute(stack, orderID)["status"] as? String == "won" }
        #expect(try RefundTests.refund(stack, [orderID]).status == 0)
        try stack.waitForStatus(orderID, "refunded")
        // The opening event again, as a new delivery: the order stays refunded and the dispute stays won.
        var created = try #require((try stack.emulator.stripe("GET", "/v1/events", [("type", "charge.dispute.created")]).json["data"] as? [[String: Any]])?.first)
        created.removeValue(forKey: "emulator_deliveries")
        created["id"] = "evt_dispute_replay"
        #expect(try stack.deliver(Array(try JSONSerialization.data(withJSONObject: created))).status == 200)
        try waitUntil("the dispute sync to finish") {
            try sqlite(stack.dir.file("d/payments.sqlite"), "SELECT count(*) FROM dispute_sync") == ["0"]
        }
        #expect(try stack.status(orderID) == "refunded")
        #expect(try Self.dispute(stack, orderID)["status"] as? String == "won")
        #expect(try stack.order(orderID)["disputed"] as? Bool == false)
    }
}
