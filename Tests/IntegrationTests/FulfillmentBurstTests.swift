import Foundation
import Messages
import Testing
import Transport
import Wire

/// The heavy tests (bursts of 500 paid orders with kill -9): nested here, they run one at a time, never
/// alongside each other (`.serialized` on a parent applies to every suite nested in it).
@Suite("heavy", .serialized)
enum Heavy {}

extension Heavy {
    /// Exactly once under pressure: concurrent duplicates of one success, and kill -9 of fulfillment or of
    /// notifier during a burst of 500 paid orders (emails counted at a real SMTP server). Every service is
    /// real: payment events come from the payments service, fed with signed Stripe webhooks.
    @Suite("Fulfillment bursts and crashes", .serialized)
    struct FulfillmentBurstTests {
        /// Orders with their succeeded events.
        private func orders(_ s: ShopStack, _ n: Int) async throws -> [Order] {
            try await withThrowingTaskGroup(of: [Order].self) { group in
                for w in 0..<8 {
                    group.addTask {
                        try stride(from: w, to: n, by: 8).map { i in try s.createOrder([("mug", 1)], email: "buyer\(i)@example.com") }
                    }
                }
                var all: [Order] = []
                for try await part in group { all += part }
                return all
            }
        }

        private func stack(_ sink: MailSink) throws -> (ShopStack, ServiceProcess, ServiceProcess, ServiceProcess) {
            let s = try ShopStack(extra: ["SHOP_LOG_LEVEL": "warn"])
            let ful = try s.start("fulfillment", ["CATALOG_FILE": try s.catalogFile(ShopStack.testCatalog)])
            let not = try s.start("notifier", ["SMTP_URL": sink.smtpURL, "NOTIFIER_RETRY_BASE_MS": "20", "NOTIFIER_RETRY_MAX_MS": "200"])
            let pay = try s.startPayments()
            return (s, ful, not, pay)
        }

        @Test("50 different succeeded events for one order (and 10 repeats of one), sent to payments concurrently: one fulfilment, one decrement, one email")
        func concurrentDuplicates() async throws {
            let sink = try MailSink()
            let (s, ful, not, pay) = try stack(sink)
            let order = try s.createOrder([("mug", 2)], email: "dup@example.com")
            // 50 distinct Stripe events that each mean "paid" (three kinds), plus the first one redelivered 10
            // more times, all sent to payments' webhook intake at once from threads of their own.
            let kinds = ["payment_intent.succeeded", "checkout.session.completed", "invoice.paid"]
            let distinct = (0..<50).map { i in ShopStack.payment(kinds[i % 3], order: order, paymentStatus: "paid") }
            let deliveries = distinct + Array(repeating: distinct[0], count: 10)
            let outcomes = try await ShopStack.onThreads(deliveries.count) { i in (deliveries[i].id, try s.deliver(deliveries[i])) }
            let accepted = outcomes.filter { $0.1 == "accepted" }.map(\.0)
            #expect(accepted.count == 50 && Set(accepted) == Set(distinct.map(\.id)), "different event ids: each accepted once")
            #expect(outcomes.filter { $0.1 == "duplicate" }.count == 10, "the same event id: a duplicate")
            #expect(try s.count("payments", "SELECT COUNT(*) FROM stripe_events") == 50)
            try s.waitUntil("all 50 recorded") {
                try s.count("fulfillment", "SELECT COUNT(*) FROM payment_events WHERE order_id = '\(order.orderID)'") == 50
            }
            #expect(try s.count("fulfillment", "SELECT COUNT(*) FROM payment_events WHERE outcome = 'fulfilled'") == 1)
            #expect(try s.count("fulfillment", "SELECT COUNT(*) FROM fulfilments") == 1)
            #expect(try s.sql("fulfillment", "SELECT stock, reserved, sold FROM products WHERE sku = 'mug'") == ["99998|0|2"])
            #expect(try s.sql("fulfillment", "SELECT type FROM outbox_events ORDER BY seq") == ["order.paid", "order.fulfilled"])
            try s.waitUntil("the email") { try sink.mails().count == 1 }
            try s.waitUntil("notifier saw both events") { try s.count("notifier", "SELECT COUNT(*) FROM inbox_events") == 2 }
            usleep(300_000)
            #expect(try sink.mails().count == 1)
            _ = (ful, not, pay)
        }

        /// Publishes one succeeded event per order in the background while `disturb` runs, then waits for all
        /// orders to be fulfilled and all emails to arrive.
        /// `disturb` runs on a thread of its own while the events are published (it blocks: polling, killing,
        /// restarting), so it ties up none of Swift's cooperative threads; it returns what it counted.
        private func burst(_ n: Int, disturb: @escaping @Sendable (ShopStack, ServiceProcess, ServiceProcess) throws -> [Int]) async throws
            -> (ShopStack, MailSink, [Order], [Int]) {
            let sink = try MailSink()
            let (s, ful, not, pay) = try stack(sink)
            let all = try await orders(s, n)
            let events = all.map { ShopStack.payment("payment_intent.succeeded", order: $0) }
            async let published = s.publishConcurrently(events, workers: 8)
            let counted = try await ShopStack.onThreads(1) { _ in try disturb(s, ful, not) }[0]
            let outcomes = try await published
            #expect(outcomes.count == n && outcomes.allSatisfy { $0 == "accepted" })
            try s.waitUntil("all \(n) fulfilled", timeout: .seconds(120)) {
                try s.count("fulfillment", "SELECT COUNT(*) FROM orders WHERE status = 'fulfilled'") == n
            }
            try s.waitUntil("\(n) distinct emails at the SMTP server", timeout: .seconds(120)) {
                Set(try sink.mails().map(\.message_id)).count == n
            }
            try s.waitUntil("deliveries recorded", timeout: .seconds(120)) {
                try s.count("notifier", "SELECT COUNT(*) FROM deliveries WHERE status = 'delivered'") == n
            }
            #expect(try s.count("fulfillment", "SELECT COUNT(*) FROM fulfilments") == n)
            #expect(try s.count("fulfillment", "SELECT COUNT(DISTINCT order_id) FROM fulfilments") == n)
            #expect(try s.sql("fulfillment", "SELECT stock, reserved, sold FROM products WHERE sku = 'mug'") == ["\(100_000 - n)|0|\(n)"])
            #expect(try s.count("fulfillment", "SELECT COUNT(*) FROM outbox_events WHERE type = 'order.fulfilled'") == n)
            #expect(Set(try sink.mails().flatMap(\.rcpt_tos)) == Set(all.map(\.email)))
            _ = pay
            return (s, sink, all, counted)
        }

        @Test("kill -9 of fulfillment during a burst of 500 paid orders: each fulfilled once, each email sent once")
        func fulfillmentCrashes() async throws {
            let (_, sink, _, doneAtCrash) = try await burst(500) { s, ful, _ in
                var doneAtCrash: [Int] = []
                for _ in 0..<3 {
                    try s.waitUntil("some progress", timeout: .seconds(120)) {
                        try s.count("fulfillment", "SELECT COUNT(*) FROM fulfilments") > (doneAtCrash.last ?? 0)
                    }
                    usleep(UInt32.random(in: 5_000...30_000))
                    ful.crash()
                    doneAtCrash.append(try s.count("fulfillment", "SELECT COUNT(*) FROM fulfilments"))
                    try ful.restart()
                }
                return doneAtCrash
            }
            #expect(doneAtCrash.first! < 500, "the first crash must land mid-burst: \(doneAtCrash)")
            // fulfillment's crashes cannot duplicate mail: each order event is published once and the
            // notifier's inbox dedupes redeliveries.
            #expect(try sink.mails().count == 500)
            print("fulfillment crashes after \(doneAtCrash) fulfilled")
        }

        @Test("kill -9 of notifier during a burst of 500 paid orders, emails as .eml files: a delivered row always has its complete file, one file per email in the end")
        func notifierCrashesWithEmlFiles() async throws {
            let s = try ShopStack(extra: ["SHOP_LOG_LEVEL": "warn"])
            let mailDir = s.dir.file("d/notifier/outbox-mail")
            let ful = try s.start("fulfillment", ["CATALOG_FILE": try s.catalogFile(ShopStack.testCatalog)])
            let not = try s.start("notifier", ["NOTIFIER_RETRY_BASE_MS": "20", "NOTIFIER_RETRY_MAX_MS": "200"])
            let pay = try s.startPayments()
            let n = 500, kills = 3
            let all = try await orders(s, n)
            let events = all.map { ShopStack.payment("payment_intent.succeeded", order: $0) }
            async let published = s.publishConcurrently(events, workers: 8)
            // At each crash (the process is gone, so nothing moves): every row recorded delivered has its file,
            // complete, under its final name, and no file under a final name is incomplete.
            let checks = try await ShopStack.onThreads(1) { _ -> [(delivered: Int, missing: [String], incomplete: [String])] in
                var seen: [(delivered: Int, missing: [String], incomplete: [String])] = []
                for _ in 0..<kills {
                    try s.waitUntil("some mail written", timeout: .seconds(120)) {
                        try s.count("notifier", "SELECT COUNT(*) FROM deliveries WHERE status = 'delivered'") > (seen.last?.delivered ?? 0)
                    }
                    usleep(UInt32.random(in: 2_000...20_000))
                    not.crash()
                    let delivered = try s.sql("notifier", "SELECT event_id FROM deliveries WHERE status = 'delivered'")
                    let files = Set(EML.list(mailDir).eml)
                    let missing = delivered.filter { !files.contains($0 + ".eml") }
                    let incomplete = files.filter { !EML.isComplete((try? Data(contentsOf: URL(fileURLWithPath: mailDir + "/" + $0))) ?? Data()) }
                    seen.append((delivered.count, missing, Array(incomplete)))
                    try not.restart()
                }
                return seen
            }[0]
            let outcomes = try await published
            #expect(outcomes.count == n && outcomes.allSatisfy { $0 == "accepted" })
            #expect(checks.first!.delivered < n, "the first crash must land mid-burst: \(checks.map(\.delivered))")
            for c in checks {
                #expect(c.missing.isEmpty, "delivered without a file: \(c.missing.prefix(5))")
                #expect(c.incomplete.isEmpty, "incomplete files under a final name: \(c.incomplete.prefix(5))")
            }
            try s.waitUntil("all \(n) delivered", timeout: .seconds(120)) {
                try s.count("notifier", "SELECT COUNT(*) FROM deliveries WHERE status = 'delivered'") == n
            }
            let (eml, other) = EML.list(mailDir)
            let expected = Set(try s.sql("fulfillment", "SELECT event_id FROM outbox_events WHERE type = 'order.fulfilled'").map { $0 + ".eml" })
            #expect(expected.count == n)
            let difference = Set(eml).symmetricDifference(expected)
            #expect(eml.count == n && difference.isEmpty, "exactly one file per fulfilment email: \(eml.count) files, \(difference.prefix(5))")
            #expect(other.isEmpty, "no temporary file left: \(other.prefix(5))")
            let incomplete = eml.filter { !EML.isComplete((try? Data(contentsOf: URL(fileURLWithPath: mailDir + "/" + $0))) ?? Data()) }
            #expect(incomplete.isEmpty, "incomplete files: \(incomplete.prefix(5))")
            #expect(try s.count("notifier", "SELECT COUNT(*) FROM deliveries WHERE status != 'delivered'") == 0)
            print("notifier (.eml) crashes after \(checks.map(\.delivered)) delivered")
            _ = (ful, pay)
        }

        @Test("kill -9 of notifier during a burst of 500 paid orders: every email arrives once per Message-ID, delivered ones never resent")
        func notifierCrashes() async throws {
            let kills = 3
            let (s, sink, _, sentAtCrash) = try await burst(500) { s, _, not in
                var sentAtCrash: [Int] = []
                for _ in 0..<kills {
                    try s.waitUntil("some mail sent", timeout: .seconds(120)) {
                        try s.count("notifier", "SELECT COUNT(*) FROM deliveries WHERE status = 'delivered'") > (sentAtCrash.last ?? 0)
                    }
                    usleep(UInt32.random(in: 5_000...30_000))
                    not.crash()
                    sentAtCrash.append(try s.count("notifier", "SELECT COUNT(*) FROM deliveries WHERE status = 'delivered'"))
                    try not.restart()
                }
                return sentAtCrash
            }
            #expect(sentAtCrash.first! < 500, "the first crash must land mid-burst: \(sentAtCrash)")
            print("notifier crashes after \(sentAtCrash) delivered; \(try sink.mails().count - 500) resent")
            // A resend can only happen for a message accepted by the server in the instant between its
            // acceptance and the commit of "delivered" (at most NOTIFIER_CONCURRENCY = 4 in flight per kill);
            // it carries the same Message-ID, so the far side can drop it. Delivered rows are never resent.
            let total = try sink.mails().count
            #expect(total - 500 <= kills * 4, "at most the in-flight messages of each kill may be resent; got \(total - 500)")
            #expect(try s.count("notifier", "SELECT COUNT(*) FROM deliveries WHERE status != 'delivered'") == 0)
        }
    }
}
