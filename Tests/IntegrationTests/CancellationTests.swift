import Foundation
import HTTPTesting
import Testing

/// Cancellation and expiry (issue 17): `fulfillment orders cancel` and the expiry sweep first make the
/// payment unpayable at Stripe through payments, then release the stock. Every process is real.
@Suite("cancellation and expiry end to end")
struct CancellationTests {
    static func cancel(_ stack: FullStack, _ orderID: String) throws -> CommandResult {
        try runCommand(Binaries.path("fulfillment"), ["orders", "cancel", orderID], environment: stack.env, timeout: .seconds(60))
    }

    static func available(_ stack: FullStack, _ sku: String) throws -> Int {
        let catalog = try stack.http.get("/api/catalog").json["products"] as? [[String: Any]] ?? []
        return catalog.first { $0["sku"] as? String == sku }?["available"] as? Int ?? -1
    }

    @Test("PaymentIntent flow: the PaymentIntent is canceled (requested_by_customer), then the stock released; it can no longer be paid")
    func paymentIntentFlow() throws {
        let stack = try RefundTests.stack()
        let before = try Self.available(stack, "mug")
        let created = try stack.create(sku: "mug", quantity: 2)
        let orderID = try #require(created["order_id"] as? String)
        let intent = try #require(created["payment_intent_id"] as? String)
        #expect(try Self.available(stack, "mug") == before - 2)
        let r = try Self.cancel(stack, orderID)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("order \(orderID) canceled"), "\(r.stdout)")
        #expect(try stack.status(orderID) == "canceled")
        #expect(try Self.available(stack, "mug") == before)
        let pi = try stack.emulator.stripe("GET", "/v1/payment_intents/\(intent)").json
        #expect(pi["status"] as? String == "canceled")
        #expect(pi["cancellation_reason"] as? String == "requested_by_customer")
        let pay = try stack.emulator.helper("POST", "/_emulator/payment_intents/\(intent)/confirm", json: ["card": "4242424242424242"])
        #expect(pay.status == 400)
        try waitUntil("order.canceled") { try RefundTests.orderEvents(stack, orderID).contains("order.canceled") }
        #expect(try RefundTests.orderEvents(stack, orderID).filter { $0 == "order.canceled" }.count == 1)
        try waitUntil("the cancellation email") { try RefundTests.emails(stack).contains { $0.subject == "Order \(orderID) is canceled" } }
        let mail = try #require(RefundTests.emails(stack).first { $0.subject == "Order \(orderID) is canceled" })
        #expect(mail.text.contains("of $24.00 is canceled"))
        #expect(mail.text.contains("you have not been charged"))
        // A second cancel is refused: the order is no longer unpaid.
        let again = try Self.cancel(stack, orderID)
        #expect(again.status == 1)
        #expect(again.stderr.contains("order_canceled"), "\(again.stderr)")
    }

    @Test("Checkout flow: the session's expires_at is the order's expiry (at least 30 min); cancel expires the session first")
    func checkoutFlow() throws {
        let stack = try RefundTests.stack(["ORDER_TTL_SECONDS": "60"])
        let created = try stack.create("/api/checkout/sessions", sku: "mug")
        let orderID = try #require(created["order_id"] as? String)
        let session = try #require(created["session_id"] as? String)
        let order = try stack.order(orderID)
        let expiresMs = try #require(order["expires_at"] as? Int)
        let createdMs = try #require(order["created_at"] as? Int)
        #expect(expiresMs - createdMs >= 30 * 60 * 1000, "Stripe's minimum for a Checkout Session")
        let stripeSession = try stack.emulator.stripe("GET", "/v1/checkout/sessions/\(session)").json
        #expect(stripeSession["expires_at"] as? Int == expiresMs / 1000)
        #expect(created["expires_at"] as? Int == expiresMs / 1000)

        let r = try Self.cancel(stack, orderID)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(try stack.emulator.stripe("GET", "/v1/checkout/sessions/\(session)").json["status"] as? String == "expired")
        // Stripe's checkout.session.expired may end the order first; either way it ended unpaid.
        #expect(["canceled", "expired"].contains(try stack.status(orderID)))
        let pay = try stack.emulator.helper("POST", "/_emulator/checkout/sessions/\(session)/complete", json: ["card": "4242424242424242"])
        #expect(pay.status == 400)
    }

    @Test("invoice flow: the invoice is voided first, then the order canceled")
    func invoiceFlow() throws {
        let stack = try RefundTests.stack()
        let created = try stack.create("/api/invoices", sku: "mug")
        let orderID = try #require(created["order_id"] as? String)
        let invoice = try #require(created["invoice_id"] as? String)
        let r = try Self.cancel(stack, orderID)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(try stack.emulator.stripe("GET", "/v1/invoices/\(invoice)").json["status"] as? String == "void")
        #expect(try stack.status(orderID) == "canceled")
        #expect(try stack.emulator.helper("POST", "/_emulator/invoices/\(invoice)/pay", json: ["card": "4242424242424242"]).status == 400)
    }

    @Test("the expiry sweep cancels the PaymentIntent (abandoned) before it expires the order")
    func sweepCancelsFirst() throws {
        let stack = try RefundTests.stack(["ORDER_TTL_SECONDS": "1", "ORDER_SWEEP_INTERVAL_MS": "50"])
        let created = try stack.create(sku: "mug")
        let orderID = try #require(created["order_id"] as? String)
        let intent = try #require(created["payment_intent_id"] as? String)
        try stack.waitForStatus(orderID, "expired")
        let pi = try stack.emulator.stripe("GET", "/v1/payment_intents/\(intent)").json
        #expect(pi["status"] as? String == "canceled")
        #expect(pi["cancellation_reason"] as? String == "abandoned")
        #expect(try stack.emulator.helper("POST", "/_emulator/payment_intents/\(intent)/confirm", json: ["card": "4242424242424242"]).status == 400)
        #expect(try stack.fulfilments(orderID) == 0)
    }

    @Test("paid at Stripe before the cancel: the order is paid and fulfilled, not canceled")
    func paidFirst() throws {
        let stack = try FullStack(webhooks: false, emulatorEnvironment: ["EMULATOR_ASYNC_SETTLE_MS": "0"])
        let created = try stack.create(sku: "mug")
        let orderID = try #require(created["order_id"] as? String)
        let intent = try #require(created["payment_intent_id"] as? String)
        try stack.act("/_emulator/payment_intents/\(intent)/confirm", ["card": "4242424242424242"])
        // The webhook has not arrived (none registered): the order still looks unpaid.
        #expect(try stack.status(orderID) == "awaiting_payment")
        let r = try Self.cancel(stack, orderID)
        #expect(r.status == 1)
        #expect(r.stderr.contains("already_paid"), "\(r.stderr)")
        #expect(try stack.status(orderID) == "processing")
        // The payment's event, when it comes, fulfils the order.
        #expect(try stack.deliver(try stack.stripeEvent(type: "payment_intent.succeeded", objectID: intent)).status == 200)
        try stack.waitForStatus(orderID, "fulfilled")
        #expect(try RefundTests.stripeRefunds(stack, intent).isEmpty)
    }

    @Test("the customer pays while the shop cancels, 12 times at once: each order ends paid or canceled, never both")
    func race() throws {
        let stack = try RefundTests.stack()
        var orders: [(String, String)] = []
        for i in 0..<12 {
            // One customer each: twelve open orders from one email would meet the open-order cap.
            let created = try stack.create(sku: "sticker", email: "racer\(i)@example.com")
            orders.append((try #require(created["order_id"] as? String), try #require(created["payment_intent_id"] as? String)))
        }
        let pairs = orders
        let exits = ThreadResults<Int32>(pairs.count * 2)
        DispatchQueue.concurrentPerform(iterations: pairs.count * 2) { i in
            let (orderID, intent) = pairs[i / 2]
            if i % 2 == 0 {
                exits.set(i, Result { try Self.cancel(stack, orderID).status })
            } else {
                exits.set(i, Result {
                    _ = try stack.emulator.helper("POST", "/_emulator/payment_intents/\(intent)/confirm", json: ["card": "4242424242424242"])
                    return 0
                })
            }
        }
        let statuses = try exits.values()
        var cancelExits: [String: Int32] = [:]
        for (n, (orderID, _)) in pairs.enumerated() { cancelExits[orderID] = statuses[n * 2] }
        for (orderID, intent) in pairs {
            let piStatus = try stack.emulator.stripe("GET", "/v1/payment_intents/\(intent)").json["status"] as? String
            if piStatus == "succeeded" {
                // Money taken: the order must be fulfilled, never canceled.
                try stack.waitForStatus(orderID, "fulfilled")
                #expect(cancelExits[orderID] == 1)
                #expect(try stack.fulfilments(orderID) == 1)
            } else {
                #expect(piStatus == "canceled")
                #expect(try stack.status(orderID) == "canceled")
                #expect(cancelExits[orderID] == 0)
                #expect(try stack.fulfilments(orderID) == 0)
            }
        }
    }

    /// How each flow is paid in the browser, and whether Stripe holds the money.
    struct Flow: Sendable, CustomTestStringConvertible {
        var path: String
        var idField: String
        var testDescription: String { path }
    }

    @Test("each flow: the customer pays while the shop cancels, at once: paid and fulfilled, or canceled and unpayable, never both",
          arguments: [Flow(path: "/api/orders", idField: "payment_intent_id"),
                      Flow(path: "/api/checkout/sessions", idField: "session_id"),
                      Flow(path: "/api/invoices", idField: "invoice_id")])
    func raceEachFlow(flow: Flow) throws {
        let stack = try RefundTests.stack()
        var orders: [(String, String)] = []
        for _ in 0..<6 {
            let created = try stack.create(flow.path, sku: "sticker")
            orders.append((try #require(created["order_id"] as? String), try #require(created[flow.idField] as? String)))
        }
        let pairs = orders
        let pay: @Sendable (String) throws -> Void = { id in
            switch flow.idField {
            case "session_id": _ = try stack.emulator.helper("POST", "/_emulator/checkout/sessions/\(id)/complete", json: ["card": "4242424242424242"])
            case "invoice_id": _ = try stack.emulator.helper("POST", "/_emulator/invoices/\(id)/pay", json: ["card": "4242424242424242"])
            default: _ = try stack.emulator.helper("POST", "/_emulator/payment_intents/\(id)/confirm", json: ["card": "4242424242424242"])
            }
        }
        let exits = ThreadResults<Int32>(pairs.count * 2)
        DispatchQueue.concurrentPerform(iterations: pairs.count * 2) { i in
            let (orderID, id) = pairs[i / 2]
            if i % 2 == 0 {
                exits.set(i, Result { try Self.cancel(stack, orderID).status })
            } else {
                exits.set(i, Result { try pay(id); return 0 })
            }
        }
        let statuses = try exits.values()
        print("\(flow.path) race: cancel exits \(statuses.enumerated().filter { $0.offset % 2 == 0 }.map(\.element))")
        for (n, (orderID, id)) in pairs.enumerated() {
            let paid: Bool
            switch flow.idField {
            case "session_id": paid = try stack.emulator.stripe("GET", "/v1/checkout/sessions/\(id)").json["payment_status"] as? String == "paid"
            case "invoice_id": paid = try stack.emulator.stripe("GET", "/v1/invoices/\(id)").json["status"] as? String == "paid"
            default: paid = try stack.emulator.stripe("GET", "/v1/payment_intents/\(id)").json["status"] as? String == "succeeded"
            }
            if paid {
                try stack.waitForStatus(orderID, "fulfilled")
                #expect(statuses[n * 2] == 1, "the cancel of a paid order must be refused")
                #expect(try stack.fulfilments(orderID) == 1)
            } else {
                #expect(statuses[n * 2] == 0)
                #expect(["canceled", "expired"].contains(try stack.status(orderID)))
                #expect(try stack.fulfilments(orderID) == 0)
                // And it stays unpayable.
                #expect(throws: (any Error).self) { try Self.payOrThrow(stack, flow, id) }
            }
        }
    }

    /// Pays and throws unless Stripe took the money.
    static func payOrThrow(_ stack: FullStack, _ flow: Flow, _ id: String) throws {
        let r: HTTPTestResponse
        switch flow.idField {
        case "session_id": r = try stack.emulator.helper("POST", "/_emulator/checkout/sessions/\(id)/complete", json: ["card": "4242424242424242"])
        case "invoice_id": r = try stack.emulator.helper("POST", "/_emulator/invoices/\(id)/pay", json: ["card": "4242424242424242"])
        default: r = try stack.emulator.helper("POST", "/_emulator/payment_intents/\(id)/confirm", json: ["card": "4242424242424242"])
        }
        guard r.status == 200, r.json["outcome"] as? String == "succeeded" else { throw ServiceFailure("not paid: \(r.status)") }
    }

    @Test("the expiry sweep races payments made around the deadline: each order paid and fulfilled, or expired and unpayable")
    func sweepRace() throws {
        let stack = try RefundTests.stack(["ORDER_TTL_SECONDS": "1", "ORDER_SWEEP_INTERVAL_MS": "20"])
        var orders: [(String, String)] = []
        for _ in 0..<10 {
            let created = try stack.create(sku: "sticker")
            orders.append((try #require(created["order_id"] as? String), try #require(created["payment_intent_id"] as? String)))
        }
        let pairs = orders
        // Payments spread over 0.5 s to 1.5 s, across the orders' 1 s deadline (deliberate timing, not a wait).
        DispatchQueue.concurrentPerform(iterations: pairs.count) { i in
            usleep(useconds_t(500_000 + i * 100_000))
            _ = try? stack.emulator.helper("POST", "/_emulator/payment_intents/\(pairs[i].1)/confirm", json: ["card": "4242424242424242"])
        }
        var outcomes: [String: Int] = [:]
        for (orderID, intent) in pairs {
            try waitUntil("order \(orderID) settled") { ["fulfilled", "expired"].contains(try stack.status(orderID)) }
            let piStatus = try stack.emulator.stripe("GET", "/v1/payment_intents/\(intent)").json["status"] as? String
            outcomes[piStatus ?? "?", default: 0] += 1
            if piStatus == "succeeded" {
                try stack.waitForStatus(orderID, "fulfilled")
                #expect(try stack.fulfilments(orderID) == 1)
            } else {
                #expect(piStatus == "canceled")
                #expect(try stack.status(orderID) == "expired")
                #expect(try stack.fulfilments(orderID) == 0)
            }
        }
        print("sweep race outcomes (PaymentIntent status: orders): \(outcomes)")
        #expect(try RefundTests.stripeRefunds(stack, pairs[0].1).isEmpty, "no money kept for an expired order, and none to give back")
    }
}
