import Foundation
import Testing

/// The product end to end, every part real: browser steps are the stand-in's test helpers (what Stripe.js
/// would do), Stripe is the project's stand-in, webhooks are signed and go through the gateway.
@Suite("end to end")
struct EndToEndTests {
    static func percentEncoded(_ s: String) -> String {
        s.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? s
    }

    @Test("PaymentIntent paid with 4242: signed webhook, order fulfilled, one email; the return page says success")
    func paymentIntentSucceeded() throws {
        let stack = try FullStack()
        let created = try stack.create(sku: "mug", quantity: 2)
        let orderID = try #require(created["order_id"] as? String)
        let intent = try #require(created["payment_intent_id"] as? String)
        let secret = try #require(created["client_secret"] as? String)
        #expect(created["amount"] as? Int == 2400)
        #expect(created["currency"] as? String == "usd")
        let before = try stack.sold("mug")

        try stack.act("/_emulator/payment_intents/\(intent)/confirm", ["card": "4242424242424242"])
        try stack.waitForStatus(orderID, "fulfilled")
        #expect(try stack.fulfilments(orderID) == 1)
        #expect(try stack.sold("mug") == before + 2)
        try waitUntil("the customer's email") { stack.emlFiles().count == 1 }
        let mail = try String(contentsOfFile: stack.emlFiles()[0], encoding: .utf8)
        #expect(mail.contains("To: buyer@example.com"))

        let back = try stack.http.get("/payment/return?payment_intent=\(intent)&payment_intent_client_secret=\(Self.percentEncoded(secret))&redirect_status=succeeded")
        #expect(back.status == 303)
        #expect(back.header("Location") == "/order/success?order_id=\(orderID)")
        // A forged client secret never leads to the success page.
        let forged = try stack.http.get("/payment/return?payment_intent=\(intent)&payment_intent_client_secret=\(intent)_secret_forged&redirect_status=succeeded")
        #expect(forged.status == 303)
        #expect(forged.header("Location")?.hasPrefix("/payment/error") == true)
        #expect(try stack.fulfilments(orderID) == 1)
    }

    @Test("declined card: payment_failed, the return page goes to the error page, the customer is told")
    func declined() throws {
        let stack = try FullStack()
        let created = try stack.create(sku: "sticker")
        let orderID = try #require(created["order_id"] as? String)
        let intent = try #require(created["payment_intent_id"] as? String)
        let secret = try #require(created["client_secret"] as? String)
        try stack.act("/_emulator/payment_intents/\(intent)/confirm", ["card": "4000000000000002"])
        try stack.waitForStatus(orderID, "payment_failed")
        let back = try stack.http.get("/payment/return?payment_intent=\(intent)&payment_intent_client_secret=\(Self.percentEncoded(secret))&redirect_status=failed")
        #expect(back.status == 303)
        #expect(back.header("Location")?.hasPrefix("/payment/error?order_id=\(orderID)") == true)
        #expect(try stack.fulfilments(orderID) == 0)
        try waitUntil("the payment-failed email") { stack.emlFiles().count == 1 }
        let mail = try String(contentsOfFile: stack.emlFiles()[0], encoding: .utf8)
        #expect(mail.contains("To: buyer@example.com"))

        // Paying again with a good card (the same PaymentIntent) still fulfils, once.
        try stack.act("/_emulator/payment_intents/\(intent)/confirm", ["card": "4242424242424242"])
        try stack.waitForStatus(orderID, "fulfilled")
        #expect(try stack.fulfilments(orderID) == 1)
    }

    @Test("embedded Checkout Session completed: webhook fulfils, /stripe_return goes to success")
    func checkoutCompleted() throws {
        let stack = try FullStack()
        let created = try stack.create("/api/checkout/sessions", sku: "mug")
        let orderID = try #require(created["order_id"] as? String)
        let session = try #require(created["session_id"] as? String)
        #expect((created["client_secret"] as? String)?.isEmpty == false)
        #expect(created["expires_at"] as? Int != nil)
        let done = try stack.act("/_emulator/checkout/sessions/\(session)/complete", ["card": "4242424242424242"])
        // Stripe substituted the literal {CHECKOUT_SESSION_ID} in the gateway's return URL.
        #expect((done["return_url"] as? String)?.hasSuffix("/stripe_return?session_id=\(session)") == true)
        try stack.waitForStatus(orderID, "fulfilled")
        let back = try stack.http.get("/stripe_return?session_id=\(session)")
        #expect(back.status == 303)
        #expect(back.header("Location") == "/order/success?order_id=\(orderID)")
        let status = try stack.http.get("/api/checkout/session-status?session_id=\(session)").json
        #expect(status["status"] as? String == "complete")
        #expect(status["payment_status"] as? String == "paid")
        #expect(try stack.fulfilments(orderID) == 1)
    }

    @Test("Checkout Session expired: the order expires, stock comes back, /stripe_return goes to the error page")
    func checkoutExpired() throws {
        let stack = try FullStack()
        let before = try stack.http.get("/api/catalog").text
        let created = try stack.create("/api/checkout/sessions", sku: "poster-limited")
        let orderID = try #require(created["order_id"] as? String)
        let session = try #require(created["session_id"] as? String)
        try stack.act("/_emulator/checkout/sessions/\(session)/expire")
        try stack.waitForStatus(orderID, "expired")
        let back = try stack.http.get("/stripe_return?session_id=\(session)")
        #expect(back.status == 303)
        #expect(back.header("Location")?.hasPrefix("/payment/error?order_id=\(orderID)") == true)
        #expect(try stack.http.get("/api/catalog").text == before)
    }

    @Test("invoice paid inside the app is fulfilled, on both sides of the basil API-version split",
          arguments: ["2026-02-25.clover", "2025-02-24.acacia"])
    func invoicePaid(version: String) throws {
        let stack = try FullStack(environment: ["STRIPE_API_VERSION": version])
        let created = try stack.create("/api/invoices", sku: "mug", quantity: 1)
        let orderID = try #require(created["order_id"] as? String)
        let invoice = try #require(created["invoice_id"] as? String)
        #expect((created["client_secret"] as? String)?.contains("_secret_") == true)
        try stack.act("/_emulator/invoices/\(invoice)/pay", ["card": "4242424242424242"])
        try stack.waitForStatus(orderID, "fulfilled")
        #expect(try stack.fulfilments(orderID) == 1)
    }

    @Test("the return page before the webhook: success at once, and the late webhook still fulfils exactly once")
    func returnBeforeWebhook() throws {
        let stack = try FullStack(webhooks: false)
        let created = try stack.create(sku: "mug")
        let orderID = try #require(created["order_id"] as? String)
        let intent = try #require(created["payment_intent_id"] as? String)
        let secret = try #require(created["client_secret"] as? String)
        try stack.act("/_emulator/payment_intents/\(intent)/confirm", ["card": "4242424242424242"])
        let back = try stack.http.get("/payment/return?payment_intent=\(intent)&payment_intent_client_secret=\(Self.percentEncoded(secret))&redirect_status=succeeded")
        #expect(back.header("Location") == "/order/success?order_id=\(orderID)")
        try stack.waitForStatus(orderID, "fulfilled")
        // Now the webhook arrives (twice, as Stripe may send it): acknowledged, nothing fulfilled again.
        let body = try stack.stripeEvent(type: "payment_intent.succeeded", objectID: intent)
        #expect(try stack.deliver(body).status == 200)
        #expect(try stack.deliver(body).status == 200)
        try waitUntil("the late webhook reached fulfillment") {
            Int(try sqlite(stack.dir.file("d/fulfillment.sqlite"), "SELECT count(*) FROM payment_events WHERE order_id = '\(orderID)'").first ?? "") == 2
        }
        #expect(try stack.fulfilments(orderID) == 1)
        try waitUntil("one email") { stack.emlFiles().count == 1 }
    }

    @Test("the same payment_intent.succeeded 50 times at once through the gateway: one fulfilment, stock, email and merchant post")
    func fiftyConcurrentDeliveries() async throws {
        let sink = try MailSink(http: true)
        let stack = try FullStack(webhooks: false, environment: [
            "SMTP_URL": sink.smtpURL, "SMTP_FROM": "shop@example.com",
            "MERCHANT_WEBHOOK_URL": sink.webhookURL, "MERCHANT_WEBHOOK_SECRET": "whsec_merchant_end_to_end",
        ])
        let created = try stack.create(sku: "poster-limited", quantity: 1)
        let orderID = try #require(created["order_id"] as? String)
        let intent = try #require(created["payment_intent_id"] as? String)
        try stack.act("/_emulator/payment_intents/\(intent)/confirm", ["card": "4242424242424242"])
        let body = try stack.stripeEvent(type: "payment_intent.succeeded", objectID: intent)
        let sold = try stack.sold("poster-limited")

        // Fifty threads, so the deliveries really overlap (Swift's cooperative pool has a thread per core).
        let statuses = try await ShopStack.onThreads(50) { _ in try stack.deliver(body).status }
        #expect(statuses.count == 50 && statuses.allSatisfy { $0 == 200 }, "\(statuses)")
        try stack.waitForStatus(orderID, "fulfilled")
        try waitUntil("one email and the merchant posts") {
            try sink.mails().count == 1 && sink.hooks().count >= 2
        }
        #expect(try stack.fulfilments(orderID) == 1)
        #expect(try stack.sold("poster-limited") == sold + 1)
        #expect(try sink.mails().count == 1)
        // One post per order event (order.paid, order.fulfilled), each once.
        let types = try sink.hooks().compactMap { (jsonObject(String(decoding: $0.body, as: UTF8.self))["type"] as? String) }
        #expect(types.sorted() == ["order.fulfilled", "order.paid"])
        let accepted = try sqlite(stack.dir.file("d/payments.sqlite"), "SELECT count(*) FROM stripe_events WHERE source = 'webhook'")
        #expect(accepted == ["1"])
    }
}

extension Heavy {
    /// The end-to-end burst with kill -9, in the heavy suite so it never runs alongside the other bursts.
    @Suite("end to end: crash during a burst")
    struct EndToEndBurstTests {
        @Test("kill -9 of fulfillment, then of notifier, during a burst of 500 paid orders: all fulfilled once, each email once")
        func crashDuringBurst() async throws {
            let sink = try MailSink()
            // A load test from one address: the per-address rate limit and open-order cap would stop it at
            // their defaults (as they should stop a script), so this stack lifts them.
            let stack = try FullStack(webhooks: false, environment: ["SMTP_URL": sink.smtpURL, "SMTP_FROM": "shop@example.com",
                                                                     "GATEWAY_RATE_ORDERS_PER_MINUTE": "0", "ORDER_MAX_OPEN_PER_CLIENT": "0"])
            let n = 500
            // Orders and their PaymentIntents through the gateway, then Stripe's succeeded events for each.
            var bodies: [[UInt8]] = []
            var orders: [String] = []
            for i in 0..<n {
                let created = try stack.create(sku: "sticker", quantity: 1, email: "buyer\(i)@example.com")
                let orderID = try #require(created["order_id"] as? String)
                let intent = try #require(created["payment_intent_id"] as? String)
                orders.append(orderID)
                bodies.append(Array("""
                    {"id":"evt_burst_\(i)","object":"event","api_version":"2026-02-25.clover","created":\(Int(Date().timeIntervalSince1970)),\
                    "data":{"object":{"id":"\(intent)","object":"payment_intent","amount":400,"amount_received":400,"currency":"usd",\
                    "status":"succeeded","metadata":{"order_id":"\(orderID)"}}},"livemode":false,"type":"payment_intent.succeeded"}
                    """.utf8))
            }
            let signedBodies = bodies
            // Deliveries and the crashes run on threads of their own: both block (sockets, polling, kill and
            // restart), and Swift's cooperative pool has only one thread per core.
            async let deliveries = ShopStack.onThreads(16) { worker in
                stride(from: worker, to: n, by: 16).filter { (try? stack.deliver(signedBodies[$0]).status) == 200 }.count
            }
            // Mid-burst: crash fulfillment, bring it back; then the same for notifier.
            _ = try await ShopStack.onThreads(1) { _ in
                try waitUntil("a quarter of the orders fulfilled", timeout: .seconds(120)) { try stack.fulfilments() >= n / 4 }
                stack.fulfillment.crash()
                try stack.fulfillment.restart()
                try waitUntil("half of the orders fulfilled", timeout: .seconds(120)) { try stack.fulfilments() >= n / 2 }
                stack.notifier.crash()
                try stack.notifier.restart()
            }
            let delivered = try await deliveries.reduce(0, +)
            #expect(delivered == n)
            try waitUntil("every order fulfilled", timeout: .seconds(120)) { try stack.fulfilments() == n }
            // Distinct messages: a resend after the crash must not count for a message still on its way.
            try waitUntil("every email received", timeout: .seconds(120)) { Set(try sink.mails().map(\.message_id)).count >= n }
            // SMTP has no idempotency: a message the server accepted just before notifier was killed, and that
            // notifier had not yet recorded, is sent again after the restart, with the same Message-ID, so the
            // receiving side keeps one. Counted at the server: one distinct message per order, every customer
            // reached, and resends bounded by what was in flight at the one notifier crash.
            let mails = try sink.mails()
            #expect(Set(mails.map(\.message_id)).count == n)
            #expect(Set(mails.flatMap(\.rcpt_tos)).count == n)
            #expect(mails.count <= n + 4, "\(mails.count - n) resends after one crash")
            for orderID in orders.prefix(20) { #expect(try stack.fulfilments(orderID) == 1) }
        }
    }
}
