import Foundation
import Messages
import Testing

/// Issue 16 item 8: delivered outbox rows, inbox ids and raw webhook bodies older than `SHOP_RETENTION_S`
/// are pruned in the background, and pruning never lets an event redelivered within the window apply
/// twice. Time passing is simulated by ageing rows in the databases; the pruning itself is the services'
/// own background task (every second here).
@Suite("Retention")
struct RetentionTests {
    let s: ShopStack

    init() throws {
        s = try ShopStack(extra: ["SHOP_RETENTION_INTERVAL_S": "1"])
    }

    /// Waits until a retention pass of `service` has run: an aged marker row disappears (or, in payments,
    /// an aged marker body is emptied).
    func pass(_ service: String) throws {
        let marker = "evt_marker_" + ShopStack.randomSuffix()
        if service == "payments" {
            _ = try s.sql(service, """
                INSERT INTO stripe_events(event_id, type, created, received_at, source, outcome, body)
                VALUES ('\(marker)', 'marker', 0, 0, 'test', 'ignored', x'7b7d')
                """)
            try s.waitUntil("a retention pass in payments", timeout: .seconds(20)) {
                try s.count(service, "SELECT count(*) FROM stripe_events WHERE event_id = '\(marker)' AND body IS NULL") == 1
            }
        } else {
            _ = try s.sql(service, "INSERT INTO inbox_events(event_id, type, publisher, received_at) VALUES ('\(marker)', 'marker', 'test', 0)")
            try s.waitUntil("a retention pass in \(service)", timeout: .seconds(20)) {
                try s.count(service, "SELECT count(*) FROM inbox_events WHERE event_id = '\(marker)'") == 0
            }
        }
    }

    @Test("within the window a redelivered event is a duplicate after pruning passes; once aged, delivered rows, inbox ids and raw bodies go, pending deliveries stay")
    func pruning() throws {
        let fulfillment = try s.start("fulfillment", ["CATALOG_FILE": try s.catalogFile(ShopStack.testCatalog)])
        let notifier = try s.start("notifier")
        let payments = try s.startPayments()
        let order = try s.createOrder([("tee", 1)])
        let paid = ShopStack.payment("payment_intent.succeeded", order: order)
        #expect(try s.publish([paid]) == ["accepted"])
        try s.waitUntil("fulfilled and mailed") {
            try s.order(order.orderID).status == .fulfilled
                && s.count("notifier", "SELECT count(*) FROM deliveries WHERE order_id = '\(order.orderID)' AND status = 'delivered'") >= 1
        }
        let inboxRow = "SELECT received_at FROM inbox_events WHERE event_id = '\(paid.id)'"
        let receivedAt = try #require(try s.sql("fulfillment", inboxRow).first)
        let history = try s.order(order.orderID).history.count
        let mails = try s.count("notifier", "SELECT count(*) FROM deliveries")

        // 1. Within the window: passes run in every service and prune nothing of this order.
        for service in ["payments", "fulfillment", "notifier"] { try pass(service) }
        #expect(try s.sql("fulfillment", inboxRow) == [receivedAt])
        #expect(try s.count("payments", "SELECT count(*) FROM outbox_events WHERE event_id = '\(paid.id)'") == 1)
        #expect(try s.count("payments", "SELECT count(*) FROM stripe_events WHERE event_id = '\(paid.id)' AND body IS NOT NULL") == 1)

        // payments redelivers the event (as after a lost ack): fulfillment's inbox still knows it.
        let delivery = "FROM outbox_deliveries WHERE subscriber = 'fulfillment' AND event_seq = (SELECT seq FROM outbox_events WHERE event_id = '\(paid.id)')"
        let attempts = try s.count("payments", "SELECT attempts \(delivery)")
        _ = try s.sql("payments", "UPDATE outbox_deliveries SET status = 'pending', next_attempt_at = 0 WHERE subscriber = 'fulfillment' AND event_seq = (SELECT seq FROM outbox_events WHERE event_id = '\(paid.id)')")
        try s.waitUntil("the redelivery acknowledged") {
            try s.count("payments", "SELECT count(*) \(delivery) AND status = 'delivered' AND attempts > \(attempts)") == 1
        }
        #expect(try s.sql("fulfillment", inboxRow) == [receivedAt], "the redelivery was applied again (a fresh inbox row)")
        #expect(try s.order(order.orderID).history.count == history)
        #expect(try s.count("fulfillment", "SELECT count(*) FROM fulfilments WHERE order_id = '\(order.orderID)'") == 1)
        // Stripe redelivers the webhook: still a duplicate.
        #expect(try s.deliver(paid) == "duplicate")

        // 2. Aged past the window: the delivered outbox event, the inbox id and the raw body are pruned;
        // the Stripe event id stays, so Stripe's late redelivery is still a duplicate.
        _ = try s.sql("payments", "UPDATE outbox_events SET created_at = 0 WHERE event_id = '\(paid.id)'; UPDATE stripe_events SET received_at = 0 WHERE event_id = '\(paid.id)'")
        _ = try s.sql("fulfillment", "UPDATE inbox_events SET received_at = 0 WHERE event_id = '\(paid.id)'")
        try s.waitUntil("aged rows pruned", timeout: .seconds(20)) {
            try s.count("payments", "SELECT count(*) FROM outbox_events WHERE event_id = '\(paid.id)'") == 0
                && s.count("payments", "SELECT count(*) FROM stripe_events WHERE event_id = '\(paid.id)' AND body IS NULL") == 1
                && s.count("fulfillment", "SELECT count(*) FROM inbox_events WHERE event_id = '\(paid.id)'") == 0
        }
        #expect(try s.count("payments", "SELECT count(*) FROM outbox_deliveries WHERE event_seq NOT IN (SELECT seq FROM outbox_events)") == 0)
        #expect(try s.deliver(paid) == "duplicate")
        #expect(try s.count("fulfillment", "SELECT count(*) FROM fulfilments WHERE order_id = '\(order.orderID)'") == 1)
        #expect(try s.order(order.orderID).status == .fulfilled)

        // 3. Deliveries still pending are never pruned, however old: notifier is down, fulfillment's
        // events for a second order wait, aged; after notifier returns each is delivered once.
        notifier.signal(SIGTERM)
        #expect(notifier.waitForExit() != nil)
        let second = try s.createOrder([("tee", 1)], email: "second@example.com")
        #expect(try s.publish([ShopStack.payment("payment_intent.succeeded", order: second)]) == ["accepted"])
        try s.waitUntil("second order fulfilled") { try s.order(second.orderID).status == .fulfilled }
        let waiting = "SELECT count(*) FROM outbox_deliveries d JOIN outbox_events e ON e.seq = d.event_seq WHERE e.key = '\(second.orderID)' AND d.status = 'pending'"
        let pending = try s.count("fulfillment", waiting)
        #expect(pending >= 2, "order.paid and order.fulfilled wait for notifier")
        _ = try s.sql("fulfillment", "UPDATE outbox_events SET created_at = 0 WHERE key = '\(second.orderID)'")
        try pass("fulfillment")
        try pass("fulfillment")
        #expect(try s.count("fulfillment", waiting) == pending)
        try notifier.restart()
        try s.waitUntil("the waiting events delivered") {
            try s.count("notifier", "SELECT count(*) FROM deliveries WHERE order_id = '\(second.orderID)' AND channel = 'email' AND status = 'delivered'") == 1
        }
        #expect(try s.count("notifier", "SELECT count(*) FROM deliveries") == mails + 1)
        // Delivered now, and aged: pruned on a later pass.
        try s.waitUntil("the aged events pruned once delivered", timeout: .seconds(20)) {
            try s.count("fulfillment", "SELECT count(*) FROM outbox_events WHERE key = '\(second.orderID)'") == 0
        }
        withExtendedLifetime((fulfillment, payments)) {}
    }

    @Test("SHOP_RETENTION_S shorter than SHOP_EVENT_MAX_AGE_S is refused at start, naming the variable")
    func retentionShorterThanRedelivery() throws {
        let r = try s.command("fulfillment", ["serve"], ["SHOP_RETENTION_S": "3600", "SHOP_EVENT_MAX_AGE_S": "7200"])
        #expect(r.status == 78 && r.stderr.contains("SHOP_RETENTION_S"), "\(r.stderr)")
    }
}
