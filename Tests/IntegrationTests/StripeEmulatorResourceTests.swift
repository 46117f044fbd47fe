import Foundation
import HTTPTesting
import Stripe
import Testing

/// The Stripe stand-in's resources beyond PaymentIntents: Checkout Sessions, customers, invoices on both
/// sides of the API version split, events, persistence, its command line; and its answers decoded with
/// the project's own Stripe types.
@Suite("Stripe emulator: sessions, invoices, events, runtime")
struct StripeEmulatorResourceTests {
    @Test("embedded Checkout: version-dependent ui_mode, validation, completion with its PaymentIntent, expiry")
    func checkoutSessions() throws {
        let dir = try TemporaryDirectory()
        let emulator = try StripeEmulatorProcess(in: dir)
        let base: [(String, String)] = [
            ("mode", "payment"), ("return_url", "http://127.0.0.1:8081/return?session_id={CHECKOUT_SESSION_ID}"),
            ("line_items[0][price_data][currency]", "cny"), ("line_items[0][price_data][unit_amount]", "400"),
            ("line_items[0][price_data][product_data][name]", "T-shirt"), ("line_items[0][quantity]", "2"),
            ("line_items[1][price_data][currency]", "cny"), ("line_items[1][price_data][unit_amount]", "150"),
            ("line_items[1][price_data][product_data][name]", "Socks"), ("line_items[1][quantity]", "1"),
            ("metadata[order_id]", "o42"), ("payment_intent_data[metadata][order_id]", "o42"),
            ("customer_email", "buyer@example.com"),
        ]
        // ui_mode is spelled per API version.
        let dahlia = [("Stripe-Version", "2026-03-25.dahlia")]
        let oldName = try emulator.stripe("POST", "/v1/checkout/sessions", base + [("ui_mode", "embedded")], headers: dahlia)
        #expect(oldName.status == 400)
        #expect(oldName.errorValue("param") == "ui_mode")
        let newName = try emulator.stripe("POST", "/v1/checkout/sessions", base + [("ui_mode", "embedded_page")], headers: dahlia)
        #expect(newName.status == 200)
        #expect(newName.json["ui_mode"] as? String == "embedded_page")
        let newOnOld = try emulator.stripe("POST", "/v1/checkout/sessions", base + [("ui_mode", "embedded_page")],
                                           headers: [("Stripe-Version", "2026-02-25.clover")])
        #expect(newOnOld.status == 400)
        #expect(newOnOld.errorValue("param") == "ui_mode")
        let withSuccess = try emulator.stripe("POST", "/v1/checkout/sessions",
                                              base + [("ui_mode", "embedded"), ("success_url", "http://x/ok")])
        #expect(withSuccess.status == 400)
        #expect(withSuccess.errorValue("param") == "success_url")
        let tooSoon = try emulator.stripe("POST", "/v1/checkout/sessions",
                                          base + [("ui_mode", "embedded"), ("expires_at", String(Int(Date().timeIntervalSince1970) + 600))])
        #expect(tooSoon.status == 400)
        #expect(tooSoon.errorValue("param") == "expires_at")
        let tooLate = try emulator.stripe("POST", "/v1/checkout/sessions",
                                          base + [("ui_mode", "embedded"), ("expires_at", String(Int(Date().timeIntervalSince1970) + 90_000))])
        #expect(tooLate.errorValue("param") == "expires_at")

        let created = try emulator.stripe("POST", "/v1/checkout/sessions",
                                          base + [("ui_mode", "embedded"), ("expires_at", String(Int(Date().timeIntervalSince1970) + 1_900))])
        #expect(created.status == 200)
        let id = try #require(created.json["id"] as? String)
        #expect(id.hasPrefix("cs_test_"))
        #expect(created.json["amount_total"] as? Int == 950)
        #expect(created.json["status"] as? String == "open")
        #expect(created.json["payment_status"] as? String == "unpaid")
        #expect(created.json["payment_intent"] is NSNull)
        #expect((created.json["client_secret"] as? String)?.contains("_secret_") == true)
        #expect(created.json["livemode"] as? Bool == false)
        let withItems = try emulator.stripe("GET", "/v1/checkout/sessions/\(id)", [("expand[]", "line_items")]).json
        #expect(((withItems["line_items"] as? [String: Any])?["data"] as? [Any])?.count == 2)

        // A declined card leaves it open; a good one completes it and creates the PaymentIntent with the metadata.
        let declined = try emulator.helper("POST", "/_emulator/checkout/sessions/\(id)/complete", json: ["card": "4000000000000002"])
        #expect(declined.json["outcome"] as? String == "declined")
        #expect((declined.json["checkout_session"] as? [String: Any])?["status"] as? String == "open")
        let paid = try emulator.helper("POST", "/_emulator/checkout/sessions/\(id)/complete", json: ["card": "4242424242424242"])
        #expect(paid.json["outcome"] as? String == "succeeded")
        #expect(paid.json["return_url"] as? String == "http://127.0.0.1:8081/return?session_id=\(id)")
        #expect(StripeEmulatorProcess.eventTypes(paid.json) == ["charge.succeeded", "payment_intent.succeeded", "checkout.session.completed"])
        let session = try emulator.stripe("GET", "/v1/checkout/sessions/\(id)", [("expand[]", "payment_intent")]).json
        #expect(session["status"] as? String == "complete")
        #expect(session["payment_status"] as? String == "paid")
        let pi = try #require(session["payment_intent"] as? [String: Any])
        #expect(pi["status"] as? String == "succeeded")
        #expect(pi["amount"] as? Int == 950)
        #expect((pi["metadata"] as? [String: String]) == ["order_id": "o42"])
        #expect((session["customer_details"] as? [String: Any])?["email"] as? String == "buyer@example.com")
        let expireDone = try emulator.stripe("POST", "/v1/checkout/sessions/\(id)/expire")
        #expect(expireDone.status == 400)

        // Expiry: through the API, and "now" through the helper.
        let other = try StripeEmulatorTests.createSession(emulator)
        let expired = try emulator.stripe("POST", "/v1/checkout/sessions/\(other)/expire")
        #expect(expired.status == 200)
        #expect(expired.json["status"] as? String == "expired")
        let third = try StripeEmulatorTests.createSession(emulator)
        let now = try emulator.helper("POST", "/_emulator/checkout/sessions/\(third)/expire")
        #expect(now.json["outcome"] as? String == "expired")
        #expect(StripeEmulatorProcess.eventTypes(now.json) == ["checkout.session.expired"])
        let late = try emulator.helper("POST", "/_emulator/checkout/sessions/\(third)/complete", json: ["card": "4242424242424242"])
        #expect(late.status == 400)
        let expiredEvents = (try emulator.stripe("GET", "/v1/events", [("type", "checkout.session.expired")]).json["data"] as? [Any])
        #expect(expiredEvents?.count == 2)
    }

    @Test("invoices: items, finalize with a PaymentIntent, pay; shape per API version", arguments: ["2025-02-24.acacia", "2025-03-31.basil"])
    func invoices(version: String) throws {
        let dir = try TemporaryDirectory()
        let emulator = try StripeEmulatorProcess(in: dir)
        let h = [("Stripe-Version", version)]
        let basil = version.hasSuffix("basil")
        let customer = try #require(try emulator.stripe("POST", "/v1/customers", [("email", "inv@example.com")], headers: h).json["id"] as? String)
        #expect(customer.hasPrefix("cus_"))
        let item = try emulator.stripe("POST", "/v1/invoiceitems", [("customer", customer), ("currency", "eur"),
                                                                     ("price_data[currency]", "eur"), ("price_data[unit_amount]", "600"),
                                                                     ("price_data[product]", "prod_shirt"), ("quantity", "2"),
                                                                     ("description", "Shirts")], headers: h)
        #expect(item.status == 200)
        #expect((item.json["id"] as? String)?.hasPrefix("ii_") == true)
        _ = try emulator.stripe("POST", "/v1/invoiceitems", [("customer", customer), ("amount", "300"), ("currency", "eur")], headers: h)
        let created = try emulator.stripe("POST", "/v1/invoices", [
            ("customer", customer), ("metadata[order_id]", "o-inv"), ("auto_advance", "false"),
            ("collection_method", "charge_automatically"), ("pending_invoice_items_behavior", "include"),
        ], headers: h)
        #expect(created.status == 200)
        let id = try #require(created.json["id"] as? String)
        #expect(id.hasPrefix("in_"))
        #expect(created.json["status"] as? String == "draft")
        #expect(created.json["amount_due"] as? Int == 1500)
        #expect(((created.json["lines"] as? [String: Any])?["data"] as? [Any])?.count == 2)

        let expand = basil ? "confirmation_secret" : "payment_intent"
        let finalized = try emulator.stripe("POST", "/v1/invoices/\(id)/finalize", [("expand[]", expand)], headers: h)
        #expect(finalized.status == 200, "\(String(decoding: finalized.body, as: UTF8.self))")
        #expect(finalized.json["status"] as? String == "open")
        #expect(finalized.json["number"] is String)
        let secret: String?
        if basil {
            #expect(finalized.json["payment_intent"] == nil)
            let cs = finalized.json["confirmation_secret"] as? [String: Any]
            #expect(cs?["type"] as? String == "payment_intent")
            secret = cs?["client_secret"] as? String
            // payment_intent is gone from basil: expanding it is an error, as on Stripe.
            let wrong = try emulator.stripe("GET", "/v1/invoices/\(id)", [("expand[]", "payment_intent")], headers: h)
            #expect(wrong.status == 400)
        } else {
            #expect(finalized.json["confirmation_secret"] == nil)
            secret = (finalized.json["payment_intent"] as? [String: Any])?["client_secret"] as? String
        }
        let piID = try #require(secret?.components(separatedBy: "_secret_").first)
        #expect(piID.hasPrefix("pi_"))
        let pi = try emulator.stripe("GET", "/v1/payment_intents/\(piID)", headers: h).json
        #expect(pi["amount"] as? Int == 1500)
        #expect(pi["currency"] as? String == "eur")

        // A declined /pay is 402 and an invoice.payment_failed; the helper pays it with a good card.
        let declined = try emulator.stripe("POST", "/v1/invoices/\(id)/pay", [("payment_method", "pm_card_visa_chargeDeclined")], headers: h)
        #expect(declined.status == 402)
        #expect(declined.errorValue("decline_code") == "generic_decline")
        let paid = try emulator.helper("POST", "/_emulator/invoices/\(id)/pay", json: ["card": "4242424242424242"])
        #expect(paid.json["outcome"] as? String == "succeeded")
        #expect(StripeEmulatorProcess.eventTypes(paid.json) == ["charge.succeeded", "payment_intent.succeeded", "invoice.paid",
                                                                "invoice.payment_succeeded"])
        let after = try emulator.stripe("GET", "/v1/invoices/\(id)", headers: h).json
        #expect(after["status"] as? String == "paid")
        #expect(after["amount_paid"] as? Int == 1500)
        #expect(after["amount_remaining"] as? Int == 0)
        let types = Set(((try emulator.stripe("GET", "/v1/events", [("type", "invoice.*"), ("limit", "100")]).json["data"] as? [[String: Any]]) ?? [])
            .compactMap { $0["type"] as? String })
        #expect(types == ["invoice.created", "invoice.finalized", "invoice.payment_failed", "invoice.paid", "invoice.payment_succeeded"])
        let again = try emulator.stripe("POST", "/v1/invoices/\(id)/pay", headers: h)
        #expect(again.status == 400)
    }

    @Test("lists: limit, starting_after, has_more, url; customers by email; events by type and created")
    func lists() throws {
        let dir = try TemporaryDirectory()
        let emulator = try StripeEmulatorProcess(in: dir)
        for i in 0..<5 { _ = try emulator.stripe("POST", "/v1/customers", [("email", i == 3 ? "three@example.com" : "c\(i)@example.com")]) }
        let page1 = try emulator.stripe("GET", "/v1/customers", [("limit", "2")]).json
        #expect(page1["object"] as? String == "list")
        #expect(page1["url"] as? String == "/v1/customers")
        #expect(page1["has_more"] as? Bool == true)
        let ids1 = ((page1["data"] as? [[String: Any]]) ?? []).compactMap { $0["id"] as? String }
        #expect(ids1.count == 2)
        let page2 = try emulator.stripe("GET", "/v1/customers", [("limit", "10"), ("starting_after", ids1[1])]).json
        let ids2 = ((page2["data"] as? [[String: Any]]) ?? []).compactMap { $0["id"] as? String }
        #expect(ids2.count == 3)
        #expect(Set(ids1).isDisjoint(with: ids2))
        #expect(page2["has_more"] as? Bool == false)
        let byEmail = (try emulator.stripe("GET", "/v1/customers", [("email", "three@example.com")]).json["data"] as? [[String: Any]]) ?? []
        #expect(byEmail.count == 1)
        #expect(byEmail.first?["email"] as? String == "three@example.com")
        let badLimit = try emulator.stripe("GET", "/v1/customers", [("limit", "0")])
        #expect(badLimit.status == 400)
        #expect(badLimit.errorValue("param") == "limit")

        _ = try emulator.stripe("POST", "/v1/payment_intents", [("amount", "100"), ("currency", "usd")])
        let future = String(Int(Date().timeIntervalSince1970) + 3_600)
        let none = (try emulator.stripe("GET", "/v1/events", [("created[gte]", future)]).json["data"] as? [Any]) ?? [1]
        #expect(none.isEmpty)
        let all = (try emulator.stripe("GET", "/v1/events", [("created[gte]", "0"), ("type", "payment_intent.created")]).json["data"] as? [[String: Any]]) ?? []
        #expect(all.count == 1)
        let event = try #require(all.first?["id"] as? String)
        let one = try emulator.stripe("GET", "/v1/events/\(event)").json
        #expect(one["object"] as? String == "event")
        #expect(one["type"] as? String == "payment_intent.created")
        #expect(one["pending_webhooks"] as? Int == 0)
    }

    @Test("with EMULATOR_DB a file, state survives a restart; SIGTERM stops it with status 0")
    func persistence() throws {
        let dir = try TemporaryDirectory()
        let env = ["EMULATOR_DB": dir.file("emulator.sqlite")]
        var emulator: StripeEmulatorProcess? = try StripeEmulatorProcess(in: dir, environment: env)
        let id = try #require(try emulator!.stripe("POST", "/v1/payment_intents", [("amount", "900"), ("currency", "usd")],
                                                    headers: [("Idempotency-Key", "persist-1")]).json["id"] as? String)
        _ = try emulator!.helper("POST", "/_emulator/payment_intents/\(id)/confirm", json: ["card": "4242424242424242"])
        emulator!.process.signal(SIGTERM)
        #expect(emulator!.process.waitForExit(timeout: .seconds(10)) == 0)
        emulator = nil

        let restarted = try StripeEmulatorProcess(in: dir, environment: env)
        let pi = try restarted.stripe("GET", "/v1/payment_intents/\(id)").json
        #expect(pi["status"] as? String == "succeeded")
        let replay = try restarted.stripe("POST", "/v1/payment_intents", [("amount", "900"), ("currency", "usd")],
                                          headers: [("Idempotency-Key", "persist-1")])
        #expect(replay.json["id"] as? String == id)
        #expect(replay.header("Idempotent-Replayed") == "true")
        let events = (try restarted.stripe("GET", "/v1/events").json["data"] as? [Any]) ?? []
        #expect(events.count == 3)  // payment_intent.created, charge.succeeded, payment_intent.succeeded
    }

    @Test("bad settings stop start-up naming the variable (78); health answers 0 when up and non-zero when not; --help")
    func commandLine() throws {
        let dir = try TemporaryDirectory()
        let binary = Binaries.path("stripe-emulator")
        let bad = try runCommand(binary, ["serve"], environment: ["EMULATOR_PORT": "http", "EMULATOR_WEBHOOK_RETRY_BASE_MS": "-1"])
        #expect(bad.status == 78)
        #expect(bad.stderr.contains("EMULATOR_PORT='http'"))
        #expect(bad.stderr.contains("EMULATOR_WEBHOOK_RETRY_BASE_MS"))
        let secretless = try runCommand(binary, ["serve"], environment: ["EMULATOR_WEBHOOK_URL": "http://127.0.0.1:1/x",
                                                                          "EMULATOR_WEBHOOK_SECRET": "nope_secret_value"])
        #expect(secretless.status == 78)
        #expect(secretless.stderr.contains("EMULATOR_WEBHOOK_SECRET"))
        #expect(!secretless.stderr.contains("nope_secret_value"))

        let emulator = try StripeEmulatorProcess(in: dir)
        let up = try runCommand(binary, ["health", "--url", emulator.baseURL + "/healthz"], environment: [:])
        #expect(up.status == 0)
        let byEnv = try runCommand(binary, ["health"], environment: ["EMULATOR_PORT": String(emulator.port)])
        #expect(byEnv.status == 0)
        let down = try runCommand(binary, ["health", "--url", "http://127.0.0.1:9/healthz"], environment: [:])
        #expect(down.status != 0)
        let help = try runCommand(binary, ["--help"], environment: [:])
        #expect(help.status == 0)
        #expect(help.stdout.contains("EMULATOR_WEBHOOK_RETRY_BASE_MS"))
        // Secrets never reach the log.
        _ = try emulator.helper("POST", "/_emulator/webhooks", json: ["url": "http://127.0.0.1:9/x", "secret": "whsec_do_not_log_me"])
        #expect(!emulator.log.contains("whsec_do_not_log_me"))
        #expect(!emulator.log.contains(StripeEmulatorProcess.key))
    }

    @Test("answers decode with the project's Stripe types (PaymentIntent, CheckoutSession, Invoice, Customer, StripeList, Event)")
    func decodesWithProjectTypes() throws {
        let dir = try TemporaryDirectory()
        let emulator = try StripeEmulatorProcess(in: dir)
        let piBody = try emulator.stripe("POST", "/v1/payment_intents", [("amount", "400"), ("currency", "cny"),
                                                                          ("metadata[order_id]", "o1")]).body
        let pi = try StripeJSON.decode(PaymentIntent.self, from: piBody)
        #expect(pi.amount == 400)
        #expect(pi.currency == "cny")
        #expect(pi.status == "requires_payment_method")
        #expect(pi.metadata == ["order_id": "o1"])
        #expect(pi.livemode == false)
        _ = try emulator.helper("POST", "/_emulator/payment_intents/\(pi.id)/confirm", json: ["card": "4000000000009995"])
        let failed = try StripeJSON.decode(PaymentIntent.self, from: try emulator.stripe("GET", "/v1/payment_intents/\(pi.id)").body)
        #expect(failed.lastPaymentError?.declineCode == "insufficient_funds")
        #expect(failed.lastPaymentError?.type == "card_error")

        let sessionID = try StripeEmulatorTests.createSession(emulator)
        _ = try emulator.helper("POST", "/_emulator/checkout/sessions/\(sessionID)/complete", json: ["payment_method": "pm_card_visa"])
        let session = try StripeJSON.decode(CheckoutSession.self,
                                            from: try emulator.stripe("GET", "/v1/checkout/sessions/\(sessionID)", [("expand[]", "payment_intent")]).body)
        #expect(session.status == "complete")
        #expect(session.paymentStatus == "paid")
        #expect(session.uiMode == "embedded")
        #expect(session.paymentIntentID?.hasPrefix("pi_") == true)
        #expect(session.metadata == ["order_id": "o-cs"])

        let customerBody = try emulator.stripe("POST", "/v1/customers", [("email", "d@example.com")]).body
        let customer = try StripeJSON.decode(Customer.self, from: customerBody)
        #expect(customer.email == "d@example.com")
        let customers = try StripeJSON.decode(StripeList<Customer>.self, from: try emulator.stripe("GET", "/v1/customers").body)
        #expect(customers.data.map(\.id) == [customer.id])
        #expect(customers.hasMore == false)

        for version in ["2025-02-24.acacia", "2025-03-31.basil"] {
            let h = [("Stripe-Version", version)]
            _ = try emulator.stripe("POST", "/v1/invoiceitems", [("customer", customer.id), ("amount", "250"), ("currency", "usd")], headers: h)
            let invoiceID = try #require(try emulator.stripe("POST", "/v1/invoices", [("customer", customer.id),
                                                                                      ("pending_invoice_items_behavior", "include")],
                                                             headers: h).json["id"] as? String)
            let expand = version.hasSuffix("basil") ? "confirmation_secret" : "payment_intent"
            let invoice = try StripeJSON.decode(Invoice.self, from: try emulator.stripe("POST", "/v1/invoices/\(invoiceID)/finalize",
                                                                                       [("expand[]", expand)], headers: h).body)
            #expect(invoice.status == "open")
            #expect(invoice.amountDue == 250)
            #expect(invoice.clientSecret?.contains("_secret_") == true, "\(version)")
        }

        let events = try StripeJSON.decode(StripeList<IDOnly>.self, from: try emulator.stripe("GET", "/v1/events", [("limit", "100")]).body)
        #expect(!events.data.isEmpty)
        for item in events.data.prefix(5) {
            let event = try Stripe.Event.decode(try emulator.stripe("GET", "/v1/events/\(item.id)").body)
            #expect(event.id == item.id)
            #expect(event.livemode == false)
            #expect(event.objectType != nil)
        }
        let succeeded = try #require(try emulator.stripe("GET", "/v1/events", [("type", "payment_intent.succeeded")]).json["data"] as? [[String: Any]])
        let eventID = try #require(succeeded.first?["id"] as? String)
        let event = try Stripe.Event.decode(try emulator.stripe("GET", "/v1/events/\(eventID)").body)
        let object = try event.object(as: PaymentIntent.self)
        #expect(object.status == "succeeded")
        #expect(object.metadata == ["order_id": "o-cs"])
    }
}
