import Curl
import Foundation
import Stripe
import Testing

/// The client's requests, byte for byte, against what the official Python client (stripe-python 16.1.0)
/// sends for the same parameters. Both go to a capturing server on loopback: Python's to the
/// `http.server` in Scripts/capture_requests.py, ours (through libcurl) to a `StubServer`.
@Suite("Wire format against stripe-python")
struct WireFormatTests {
    static let apiKey = "sk_test_wire_123"
    static let note = "Tee & cap = 2 \u{2713} {x} 100% [sale] a+b/c"
    static let returnURL = "https://shop.example/return?session_id={CHECKOUT_SESSION_ID}&order=o1"
    static let lines = [StripeClient.CheckoutLine(name: "T-shirt (\u{9ed1}\u{8272}) size M", unitAmount: 400, quantity: 1),
                        StripeClient.CheckoutLine(name: "Mug", unitAmount: 250, quantity: 2)]
    static let methods = ["card", "alipay", "wechat_pay", "link"]
    /// Answers every request; decodes as any object, a list, or an event page.
    static let genericResponse = #"{"id":"obj_1","object":"list","data":[],"has_more":false}"#

    /// One call, named as in capture_requests.py, made with the project's operations.
    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var version = StripeAPIVersion.pinned
        var call: @Sendable (StripeClient) async throws -> Void
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "payment_intent_automatic") { client in
            _ = try await client.createPaymentIntent(amount: 400, currency: "cny", metadata: [("order_id", "o1"), ("note", note)],
                                                     paymentMethodTypes: [], idempotencyKey: "order-o1-payment-intent")
        },
        Case(name: "payment_intent_types") { client in
            _ = try await client.createPaymentIntent(amount: 1099, currency: "usd", metadata: [("order_id", "o2")],
                                                     paymentMethodTypes: ["card", "alipay"], customer: "cus_123",
                                                     receiptEmail: "buyer@example.com", idempotencyKey: "order-o2-payment-intent")
        },
        Case(name: "payment_intent_retrieve") { client in _ = try await client.retrievePaymentIntent("pi_123") },
        Case(name: "payment_intent_cancel") { client in
            _ = try await client.cancelPaymentIntent("pi_123", idempotencyKey: "order-o1-cancel")
        },
        Case(name: "checkout_create") { client in
            _ = try await client.createCheckoutSession(currency: "cny", lines: lines, returnURL: returnURL, metadata: [("order_id", "o1")],
                                                       paymentMethodTypes: methods, customerEmail: "buyer+1@example.com",
                                                       expiresAt: 1774342496, idempotencyKey: "order-o1-checkout")
        },
        Case(name: "checkout_create_dahlia", version: StripeAPIVersion("2026-03-25.dahlia")) { client in
            _ = try await client.createCheckoutSession(currency: "cny", lines: lines, returnURL: returnURL, metadata: [("order_id", "o1")],
                                                       paymentMethodTypes: methods, customerEmail: "buyer+1@example.com",
                                                       expiresAt: 1774342496, idempotencyKey: "order-o1-checkout")
        },
        Case(name: "checkout_retrieve") { client in _ = try await client.retrieveCheckoutSession("cs_test_123") },
        Case(name: "checkout_expire") { client in
            _ = try await client.expireCheckoutSession("cs_test_123", idempotencyKey: "order-o1-expire")
        },
        Case(name: "customer_find_or_create") { client in
            _ = try await client.findOrCreateCustomer(email: "buyer+1@example.com", idempotencyKey: "order-o1-customer")
        },
        Case(name: "invoice_create") { client in
            _ = try await client.createInvoice(customer: "cus_123", currency: "cny", metadata: [("order_id", "o1")],
                                               idempotencyKey: "order-o1-invoice")
        },
        Case(name: "invoice_item") { client in
            _ = try await client.createInvoiceItem(customer: "cus_123", invoice: "in_123", amount: 400, currency: "cny",
                                                   description: "T-shirt \u{d7} 1", metadata: [("order_id", "o1"), ("line", "0")],
                                                   idempotencyKey: "order-o1-item-0")
        },
        Case(name: "invoice_finalize") { client in _ = try await client.finalizeInvoice("in_123", idempotencyKey: "order-o1-finalize") },
        Case(name: "invoice_finalize_acacia", version: StripeAPIVersion("2025-02-24.acacia")) { client in
            _ = try await client.finalizeInvoice("in_123", idempotencyKey: "order-o1-finalize")
        },
        Case(name: "invoice_retrieve") { client in _ = try await client.retrieveInvoice("in_123") },
        Case(name: "events_list") { client in
            _ = try await client.listEvents(limit: 100, startingAfter: "evt_0", createdSince: 1774000000, deliverySuccess: false)
        },
    ]

    /// One request as Python sent it.
    struct PythonRequest: Decodable {
        var method: String
        /// Path and query as they reached the server (after requests/urllib3).
        var target: String
        /// Lower-cased header names.
        var headers: [String: String]
        var body: String
        /// The URL stripe-python handed to its HTTP library.
        var handed_url: String
        var handed_body: String
    }

    /// Python runs once for all cases.
    static let python: Task<[String: [PythonRequest]], any Error> = Task {
        let out = try await Python.run("capture_requests.py")
        return try JSONDecoder().decode([String: [PythonRequest]].self, from: Data(out))
    }

    /// Sends `call` through our client to a capturing server and returns what arrived.
    static func capture(_ c: Case) async throws -> [CapturedRequest] {
        let server = try StubServer { _, _ in .respond(status: 200, headers: [("Request-Id", "req_stub")], body: genericResponse) }
        defer { server.stop() }
        let client = StripeClient(StripeConfiguration(secretKey: apiKey, apiBase: server.baseURL, apiVersion: c.version,
                                                      retry: RetryPolicy(maxRetries: 0),
                                                      timeouts: ClientTimeouts(connect: .seconds(5), total: .seconds(10))))
        try await c.call(client)
        return server.requests
    }

    @Test("requests equal stripe-python's", arguments: cases)
    func matchesPython(_ c: Case) async throws {
        let all = try await Self.python.value
        let theirs = try #require(all[c.name], "capture_requests.py has no case \(c.name)")
        let ours = try await Self.capture(c)
        try #require(ours.count == theirs.count, "\(c.name): we sent \(ours.count) requests, python \(theirs.count)")
        for (mine, py) in zip(ours, theirs) {
            #expect(mine.method == py.method)
            // Exactly what stripe-python's encoder produced (brackets literal, like the body)...
            let handedTarget = String(py.handed_url.drop { $0 != "/" }.dropFirst(2).drop { $0 != "/" })
            #expect(mine.target == handedTarget)
            // ...and what reached the wire, except that urllib3 2.x re-escapes brackets in a URL's query.
            #expect(mine.target == py.target.replacingOccurrences(of: "%5B", with: "[").replacingOccurrences(of: "%5D", with: "]"))
            #expect(mine.body == Array(py.body.utf8), "\(c.name) body\n ours:   \(mine.bodyText)\n python: \(py.body)")
            #expect(py.handed_body == py.body)
            for name in ["authorization", "stripe-version", "content-type", "idempotency-key"] {
                #expect(mine.header(name) == py.headers[name], "\(c.name): header \(name)")
            }
            if mine.method == "POST" {
                #expect(mine.header("content-length") == String(mine.body.count))
                #expect(mine.header("idempotency-key") != nil)
            } else {
                #expect(mine.body.isEmpty)
            }
        }
    }

    @Test("the examples of STRIPE-NOTES, literally")
    func notesExamples() {
        var p = FormParams()
        p.set("amount", 400)
        p.set("currency", "cny")
        p.set("metadata", ["order_id": "o1"])
        p.set("automatic_payment_methods", ["enabled": true])
        p.set("expand", ["latest_charge"])
        #expect(p.encoded == "amount=400&currency=cny&metadata[order_id]=o1&automatic_payment_methods[enabled]=true&expand[0]=latest_charge")

        let checkout = StripeClient.checkoutSessionParams(
            version: .pinned, currency: "cny", lines: [.init(name: "T-shirt", unitAmount: 400, quantity: 1)],
            returnURL: "http://localhost:8081/stripe_return?session_id={CHECKOUT_SESSION_ID}", metadata: [("order_id", "o1")],
            paymentMethodTypes: [], customerEmail: nil, expiresAt: nil)
        #expect(checkout.encoded == "mode=payment&ui_mode=embedded"
            + "&line_items[0][price_data][currency]=cny&line_items[0][price_data][unit_amount]=400"
            + "&line_items[0][price_data][product_data][name]=T-shirt&line_items[0][quantity]=1"
            + "&return_url=http%3A%2F%2Flocalhost%3A8081%2Fstripe_return%3Fsession_id%3D%7BCHECKOUT_SESSION_ID%7D"
            + "&metadata[order_id]=o1&payment_intent_data[metadata][order_id]=o1")
    }

    @Test("PaymentIntent create sends payment_method_types[] instead of automatic_payment_methods when types are listed")
    func paymentIntentParams() {
        let automatic = StripeClient.paymentIntentParams(amount: 400, currency: "cny", metadata: [("order_id", "o1")], paymentMethodTypes: [])
        #expect(automatic.encoded == "amount=400&currency=cny&metadata[order_id]=o1&automatic_payment_methods[enabled]=true")
        let typed = StripeClient.paymentIntentParams(amount: 400, currency: "cny", metadata: [("order_id", "o1")], paymentMethodTypes: ["card"])
        #expect(typed.encoded == "amount=400&currency=cny&metadata[order_id]=o1&payment_method_types[0]=card")
        #expect(!typed.encoded.contains("automatic_payment_methods"))
    }

    @Test("makeRequest: headers, GET query, POST body and a generated idempotency key")
    func makeRequest() {
        let client = StripeClient(StripeConfiguration(secretKey: "sk_test_x", apiBase: "https://api.example/"))
        let get = client.makeRequest("GET", "/v1/events", params: ["limit": 3], idempotencyKey: nil)
        #expect(get.url == "https://api.example/v1/events?limit=3")
        #expect(get.body.isEmpty)
        #expect(!get.headers.contains { $0.0 == "Idempotency-Key" || $0.0 == "Content-Type" })
        #expect(get.headers.contains { $0 == ("Authorization", "Bearer sk_test_x") })
        #expect(get.headers.contains { $0 == ("Stripe-Version", StripeAPIVersion.pinned.name) })

        let post = client.makeRequest("POST", "/v1/customers", params: ["email": "a@b.c"], idempotencyKey: nil)
        #expect(post.url == "https://api.example/v1/customers")
        #expect(String(decoding: post.body, as: UTF8.self) == "email=a%40b.c")
        #expect(post.headers.contains { $0 == ("Content-Type", "application/x-www-form-urlencoded") })
        let key = post.headers.first { $0.0 == "Idempotency-Key" }?.1
        #expect(key.map { !$0.isEmpty && $0.count <= 255 } == true)
        let other = client.makeRequest("POST", "/v1/customers", params: ["email": "a@b.c"], idempotencyKey: nil)
        #expect(other.headers.first { $0.0 == "Idempotency-Key" }?.1 != key)
        let given = client.makeRequest("POST", "/v1/customers", params: [:], idempotencyKey: "order-o1-customer")
        #expect(given.headers.first { $0.0 == "Idempotency-Key" }?.1 == "order-o1-customer")
    }
}
