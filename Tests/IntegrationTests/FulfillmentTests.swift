import Foundation
import Messages
import Testing
import Transport
import Wire

/// fulfillment as a real process: catalog, orders, the status machine fed with payment events by the real
/// payments service (signed Stripe webhooks in, its outbox and relay out), exactly-once fulfilment, expiry.
@Suite("Fulfillment")
struct FulfillmentTests {
    static var sampleCatalogPath: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Services/fulfillment/catalog.sample.json").path
    }

    private func stack(_ extra: [String: String] = [:]) throws -> (ShopStack, ServiceProcess) {
        let s = try ShopStack()
        let ful = try s.start("fulfillment", ["CATALOG_FILE": try s.catalogFile(ShopStack.testCatalog)].merging(extra) { $1 })
        return (s, ful)
    }

    private func available(_ s: ShopStack, _ sku: String) throws -> Int {
        let reply: CatalogReply = try s.call("fulfillment", OrderMessages.catalogList, [String: String]())
        return reply.products.first { $0.sku == sku }?.available ?? -1
    }

    @Test("the built-in catalog is the sample file byte for byte, and catalog.list serves it with its stock")
    func defaultCatalog() throws {
        let s = try ShopStack()
        let ful = try s.start("fulfillment")
        let file = try String(contentsOfFile: Self.sampleCatalogPath, encoding: .utf8)
        let printed = try s.command("fulfillment", ["catalog", "default"])
        #expect(printed.status == 0)
        #expect(printed.stdout == file, "DefaultCatalog.json must equal Services/fulfillment/catalog.sample.json")

        struct Sample: Decodable {
            struct P: Decodable { var sku: String; var unit_amount: Int; var currency: String; var stock: Int }
            var products: [P]
        }
        let sample = try JSONDecoder().decode(Sample.self, from: Data(file.utf8))
        let reply: CatalogReply = try s.call("fulfillment", OrderMessages.catalogList, [String: String]())
        #expect(reply.products.map(\.sku) == sample.products.map(\.sku))
        #expect(reply.products.map(\.unitAmount) == sample.products.map(\.unit_amount))
        #expect(reply.products.map(\.available) == sample.products.map(\.stock))
        #expect(reply.products.contains { $0.currency == "cny" && $0.unitAmount == 400 })
        #expect(reply.products.contains { $0.currency == "usd" })
        #expect(reply.products.contains { $0.available <= 5 })
        _ = ful
    }

    @Test("bad catalog files stop start-up (exit 78) naming the line and the field", arguments: [
        ("{\"products\": [\n {\"sku\": \"a\", \"name\": \"A\", \"unit_amount\": 100, \"currency\": \"usd\", \"stock\": 1},\n"
         + " {\"sku\": \"b\", \"name\": \"B\",\n  \"unit_amount\": -5, \"currency\": \"usd\", \"stock\": 1}\n]}", "line 4", "products[1].unit_amount"),
        ("{\"products\": [\n {\"sku\": \"a\", \"name\": \"A\", \"price\": 100, \"currency\": \"usd\", \"stock\": 1}\n]}", "line 2", "products[0].price"),
        ("{\"products\": [\n {\"sku\": \"a\", \"name\": \"A\", \"unit_amount\": 100,\n \"currency\": \"USD\", \"stock\": 1}\n]}", "line 3", "products[0].currency"),
        ("{\"products\": [\n {\"sku\": \"a\" \"name\": \"A\"}\n]}", "line 2", "not valid JSON"),
        ("{\"products\": [\n {\"sku\": \"a\", \"name\": \"A\", \"unit_amount\": 1, \"currency\": \"usd\", \"stock\": 1},\n"
         + " {\"sku\": \"a\", \"name\": \"A2\", \"unit_amount\": 1, \"currency\": \"usd\", \"stock\": 1}\n]}", "line 3", "products[1].sku"),
        // Found by the catalog fuzz target: "products" given twice used the first silently, and a key
        // canonically equivalent to a known one (KELVIN SIGN for k) was taken for it.
        ("{\"products\": [{\"sku\": \"a\", \"name\": \"A\", \"unit_amount\": 1, \"currency\": \"usd\", \"stock\": 1}],\n"
         + " \"products\": []}", "line 2", "products: given twice"),
        ("{\"products\": [\n {\"sku\": \"a\", \"name\": \"A\", \"unit_amount\": 1, \"currency\": \"usd\", \"stoc\\u212a\": 1}\n]}",
         "line 2", "unknown field"),
    ])
    func badCatalog(_ json: String, _ line: String, _ field: String) throws {
        let s = try ShopStack()
        let r = try s.command("fulfillment", ["serve"], ["CATALOG_FILE": try s.catalogFile(json)])
        #expect(r.status == 78, "stderr: \(r.stderr)")
        #expect(r.stderr.contains("CATALOG_FILE"))
        #expect(r.stderr.contains(line), "stderr: \(r.stderr)")
        #expect(r.stderr.contains(field), "stderr: \(r.stderr)")
    }

    @Test("orders.create validates, prices from the catalog, reserves stock, and honours idempotency keys")
    func createOrders() throws {
        let (s, ful) = try stack()
        func error(_ items: [(String, Int)], email: String = "a@example.com") throws -> WireError? {
            try s.callError("fulfillment", OrderMessages.create,
                            CreateOrderRequest(items: items.map { OrderItemRequest(sku: $0.0, quantity: $0.1) }, email: email, flow: .paymentIntent))
        }
        #expect(try error([])?.code == "invalid_argument")
        #expect(try error([("mug", 0)])?.code == "invalid_argument")
        #expect(try error([("mug", 1001)])?.code == "invalid_argument")
        #expect(try error([("mug", 1)], email: "not-an-email")?.code == "invalid_argument")
        #expect(try error([("mug", 1)], email: "a@b.com\r\nBcc: x@y.com")?.code == "invalid_argument")
        // The edges where fulfillment's copy of the rules was looser than the gateway's: 51 to 100 lines,
        // a SKU outside letters, digits, - _ . (the gateway's, now the one rule in Messages).
        #expect(try error((0...50).map { ("s\($0)", 1) })?.code == "invalid_argument")
        #expect(try error([("a b", 1)])?.code == "invalid_argument")
        let unknown = try error([("nope", 1)])
        #expect(unknown?.code == "unprocessable" && unknown?.reason == "unknown_sku")
        let mixed = try error([("mug", 1), ("tee", 1)])
        #expect(mixed?.code == "unprocessable" && mixed?.reason == "mixed_currencies")
        let tooMany = try error([("rare", 3)])
        #expect(tooMany?.code == "conflict" && tooMany?.reason == "out_of_stock")
        #expect(try available(s, "rare") == 2, "a refused order reserves nothing")

        let order = try s.createOrder([("tee", 2)], email: "li@example.cn", key: "k-1")
        #expect(order.orderID.hasPrefix("ord_"))
        #expect(order.status == .awaitingPayment)
        #expect(order.amount == 800 && order.currency == "cny")
        #expect(order.items == [OrderLine(sku: "tee", name: "Dragon T-shirt (龙)", quantity: 2, unitAmount: 400, amount: 800)])
        #expect(order.history.count == 1 && order.history[0].cause.hasPrefix("request:"))
        #expect(order.expiresAt > order.createdAt)
        #expect(try available(s, "tee") == 100_000 - 2)
        let again = try s.createOrder([("tee", 2)], email: "li@example.cn", key: "k-1")
        #expect(again.orderID == order.orderID, "same idempotency key, same order")
        #expect(try available(s, "tee") == 100_000 - 2, "a repeated request reserves nothing more")
        let reused = try s.callError("fulfillment", OrderMessages.create,
                                     CreateOrderRequest(items: [OrderItemRequest(sku: "tee", quantity: 3)], email: "li@example.cn",
                                                        flow: .paymentIntent, idempotencyKey: "k-1"))
        #expect(reused?.code == "conflict")

        _ = try s.createOrder([("rare", 2)])
        let last = try error([("rare", 1)])
        #expect(last?.reason == "out_of_stock", "the small-stock item is fully reserved")
        #expect(try s.order(order.orderID) == order)
        #expect(try s.callError("fulfillment", OrderMessages.get, GetOrderRequest(orderID: "ord_missing"))?.code == "not_found")
        _ = ful
    }

    @Test("a succeeded payment fulfils the order once: history, stock, fulfilment record, order.paid + order.fulfilled")
    func fulfilment() throws {
        let (s, ful) = try stack()
        let pay = try s.startPayments()
        let order = try s.createOrder([("mug", 3)])
        let succeeded = ShopStack.payment("payment_intent.succeeded", order: order, stripeEventID: "evt_ok_1")
        try s.publish([succeeded])
        try s.waitUntil("fulfilled") { try s.order(order.orderID).status == .fulfilled }
        let o = try s.order(order.orderID)
        #expect(o.history.map(\.status) == [.awaitingPayment, .paid, .fulfilled])
        #expect(o.history.dropFirst().allSatisfy { $0.cause == "event:evt_ok_1" })
        #expect(try s.sql("fulfillment", "SELECT stock, reserved, sold FROM products WHERE sku = 'mug'") == ["99997|0|3"])
        #expect(try s.count("fulfillment", "SELECT COUNT(*) FROM fulfilments WHERE order_id = '\(order.orderID)'") == 1)
        #expect(try s.sql("fulfillment", "SELECT type FROM outbox_events WHERE key = '\(order.orderID)' ORDER BY seq")
                == ["order.paid", "order.fulfilled"])
        // The data of order events is Messages.OrderEvent.
        let payload = try s.sql("fulfillment", "SELECT CAST(payload AS TEXT) FROM outbox_events WHERE type = 'order.fulfilled'").joined()
        struct Wrapped: Decodable { var data: OrderEvent }
        let event = try JSONDecoder().decode(Wrapped.self, from: Data(payload.utf8)).data
        #expect(event.order.status == .fulfilled && event.order.orderID == order.orderID)
        #expect(event.paymentIntentID == succeeded.paymentIntentID)
        // Each event carries the order as stored right after its transition (what orders.get reads back).
        #expect(event.order == o, "order.fulfilled carries the stored order")
        let paidPayload = try s.sql("fulfillment", "SELECT CAST(payload AS TEXT) FROM outbox_events WHERE type = 'order.paid'").joined()
        let paid = try JSONDecoder().decode(Wrapped.self, from: Data(paidPayload.utf8)).data
        var paidOrder = o
        paidOrder.status = .paid
        paidOrder.history.removeLast()
        #expect(paid.order == paidOrder, "order.paid carries the order as it was once paid")

        // The same event again (Stripe redelivering it) and a second success for the order: nothing more happens.
        let outcomes = try s.publish([succeeded, ShopStack.payment("checkout.session.completed", order: order, paymentStatus: "paid")])
        #expect(outcomes == ["duplicate", "accepted"], "the same Stripe event id is a duplicate, a new one is accepted")
        try s.waitUntil("the second success recorded") {
            try s.count("fulfillment", "SELECT COUNT(*) FROM payment_events WHERE order_id = '\(order.orderID)'") == 2
        }
        #expect(try s.count("payments", "SELECT COUNT(*) FROM stripe_events WHERE event_id = 'evt_ok_1'") == 1)
        #expect(try s.count("fulfillment", "SELECT COUNT(*) FROM fulfilments") == 1)
        #expect(try s.sql("fulfillment", "SELECT sold FROM products WHERE sku = 'mug'") == ["3"])
        #expect(try s.count("fulfillment", "SELECT COUNT(*) FROM outbox_events") == 2)

        // An event for an order fulfillment does not know is recorded and acked, not retried forever.
        var ghost = succeeded
        ghost.id = "evt_ghost_1"
        ghost.orderID = "ord_ghost"
        #expect(try s.publish([ghost]) == ["accepted"])
        try s.waitUntil("ghost acked") {
            try s.count("payments", "SELECT COUNT(*) FROM outbox_deliveries WHERE status = 'delivered'") == 3
        }
        #expect(try s.sql("fulfillment", "SELECT outcome FROM payment_events WHERE order_id = 'ord_ghost'") == ["unknown_order"])
        #expect(ful.log.contains("payment event for an unknown order"))
        _ = pay
    }

    @Test("every success type fulfils; processing and unpaid sessions only move to processing")
    func successTypes() throws {
        let (s, ful) = try stack()
        let pay = try s.startPayments()
        let a = try s.createOrder([("mug", 1)]), b = try s.createOrder([("mug", 1)]), c = try s.createOrder([("mug", 1)])
        let d = try s.createOrder([("mug", 1)])
        try s.publish([
            ShopStack.payment("checkout.session.completed", order: a, paymentStatus: "unpaid"),
            ShopStack.payment("checkout.session.async_payment_succeeded", order: a),
            ShopStack.payment("invoice.paid", order: b),
            ShopStack.payment("payment_intent.processing", order: c),
            ShopStack.payment("checkout.session.completed", order: d, paymentStatus: "paid"),
        ])
        try s.waitUntil("applied") { try s.count("fulfillment", "SELECT COUNT(*) FROM payment_events") == 5 }
        #expect(try s.order(a.orderID).history.map(\.status) == [.awaitingPayment, .processing, .paid, .fulfilled])
        #expect(try s.order(b.orderID).status == .fulfilled)
        #expect(try s.order(c.orderID).status == .processing)
        #expect(try s.order(d.orderID).status == .fulfilled)
        _ = (ful, pay)
    }

    @Test("out of order: failure after success, success after expiry or cancel, amount mismatch, retry after failure")
    func outOfOrder() throws {
        let (s, ful) = try stack()
        let pay = try s.startPayments()

        // payment_failed after succeeded: stays fulfilled, no order.payment_failed.
        let a = try s.createOrder([("mug", 1)])
        try s.publish([ShopStack.payment("payment_intent.succeeded", order: a),
                       ShopStack.payment("payment_intent.payment_failed", order: a, failure: "declined"),
                       ShopStack.payment("payment_intent.processing", order: a)])
        // succeeded after the session expired: stock was released; flagged for refund review, not fulfilled.
        let b = try s.createOrder([("rare", 2)])
        try s.publish([ShopStack.payment("checkout.session.expired", order: b)])
        try s.waitUntil("b expired") { try s.order(b.orderID).status == .expired }
        #expect(try available(s, "rare") == 2, "expiry released the reservation")
        try s.publish([ShopStack.payment("payment_intent.succeeded", order: b)])
        // succeeded after canceled: the same.
        let c = try s.createOrder([("mug", 1)])
        try s.publish([ShopStack.payment("payment_intent.canceled", order: c), ShopStack.payment("payment_intent.succeeded", order: c)])
        // amount mismatch: needs review, and a later matching success does not fulfil it either.
        let d = try s.createOrder([("mug", 2)])
        try s.publish([ShopStack.payment("payment_intent.succeeded", order: d, amount: 400),
                       ShopStack.payment("payment_intent.succeeded", order: d)])
        let e = try s.createOrder([("mug", 1)])
        try s.publish([ShopStack.payment("payment_intent.succeeded", order: e, currency: "eur")])
        // failure then success (the customer retried): fulfilled.
        let f = try s.createOrder([("mug", 1)])
        try s.publish([ShopStack.payment("invoice.payment_failed", order: f, failure: "insufficient funds"),
                       ShopStack.payment("payment_intent.succeeded", order: f)])

        try s.waitUntil("all applied") { try s.count("fulfillment", "SELECT COUNT(*) FROM payment_events") == 12 }
        #expect(try s.order(a.orderID).history.map(\.status) == [.awaitingPayment, .paid, .fulfilled])
        let bb = try s.order(b.orderID)
        #expect(bb.history.map(\.status) == [.awaitingPayment, .expired, .needsReview])
        #expect(bb.history.last?.note?.contains("refund") == true)
        #expect(try available(s, "rare") == 2, "the late payment took no stock")
        #expect(try s.order(c.orderID).history.map(\.status) == [.awaitingPayment, .canceled, .needsReview])
        let dd = try s.order(d.orderID)
        #expect(dd.history.map(\.status) == [.awaitingPayment, .needsReview])
        #expect(dd.history.last?.note?.contains("amount mismatch") == true)
        #expect(try s.order(e.orderID).status == .needsReview)
        #expect(try s.order(f.orderID).history.map(\.status) == [.awaitingPayment, .paymentFailed, .paid, .fulfilled])
        #expect(try s.count("fulfillment", "SELECT COUNT(*) FROM fulfilments") == 2)
        #expect(try s.sql("fulfillment", "SELECT type FROM outbox_events WHERE key = '\(a.orderID)' ORDER BY seq") == ["order.paid", "order.fulfilled"])
        #expect(try s.sql("fulfillment", "SELECT type FROM outbox_events WHERE key = '\(b.orderID)' ORDER BY seq") == ["order.expired", "order.needs_review"])
        #expect(try s.sql("fulfillment", "SELECT type FROM outbox_events WHERE key = '\(d.orderID)' ORDER BY seq") == ["order.needs_review"])
        #expect(try s.sql("fulfillment", "SELECT type FROM outbox_events WHERE key = '\(f.orderID)' ORDER BY seq")
                == ["order.payment_failed", "order.paid", "order.fulfilled"])
        _ = (ful, pay)
    }

    @Test("unpaid orders expire after ORDER_TTL_SECONDS: stock released, order.expired emitted")
    func expiry() throws {
        let (s, ful) = try stack(["ORDER_TTL_SECONDS": "1", "ORDER_SWEEP_INTERVAL_MS": "50"])
        // Expiry asks payments first to make the payment unpayable at Stripe (none was created here).
        let pay = try s.startPayments()
        let order = try s.createOrder([("rare", 2)])
        #expect(try available(s, "rare") == 0)
        try s.waitUntil("expired", timeout: .seconds(20)) { try s.order(order.orderID).status == .expired }
        let o = try s.order(order.orderID)
        #expect(o.history.last?.cause == "expiry")
        #expect(try available(s, "rare") == 2)
        #expect(try s.sql("fulfillment", "SELECT type FROM outbox_events WHERE key = '\(order.orderID)'") == ["order.expired"])
        _ = (ful, pay)
    }

    @Test("bad ORDER_TTL_SECONDS stops start-up with exit 78")
    func badConfig() throws {
        let s = try ShopStack()
        let r = try s.command("fulfillment", ["serve"], ["ORDER_TTL_SECONDS": "0"])
        #expect(r.status == 78)
        #expect(r.stderr.contains("ORDER_TTL_SECONDS"))
    }
}
