import Foundation
import Testing

/// The JSON API of the real gateway in front of the real payments, fulfillment and notifier, with the
/// Stripe stand-in as Stripe: what reaches the services and Stripe, what the gateway answers, and how
/// the services' refusals and outages become HTTP statuses.
@Suite("Gateway API", .serialized)
struct GatewayAPITests {
    @Test("POST /api/orders: priced by fulfillment, a PaymentIntent for that amount at Stripe, the request id as trace id, the idempotency key honoured; GET the order and the catalog")
    func createOrder() throws {
        let stack = try FullStack(webhooks: false)
        // The browser's "amount" is ignored: prices come from fulfillment's catalog (mug: 12.00 USD).
        let body = #"{"items":[{"sku":"mug","quantity":2}],"email":"buyer@example.com","amount":1}"#
        let r = try stack.http.postJSON("/api/orders", body, headers: [("X-Request-Id", "trace-abc-1"), ("Idempotency-Key", "key-42")])
        #expect(r.status == 201, "\(r)\n\(stack.logs)")
        let orderID = try #require(r.json["order_id"] as? String)
        let intent = try #require(r.json["payment_intent_id"] as? String)
        let secret = try #require(r.json["client_secret"] as? String)
        #expect(r.json["flow"] as? String == "payment_intent")
        #expect(r.json["amount"] as? Int == 2400)
        #expect(r.json["currency"] as? String == "usd")
        #expect(r.json["status"] as? String == "awaiting_payment")
        #expect(intent.hasPrefix("pi_") && secret.hasPrefix(intent + "_secret_"), "\(r)")
        #expect(r.header("X-Request-Id") == "trace-abc-1")
        #expect(r.header("Cache-Control") == "no-store")

        // Stripe holds a PaymentIntent for fulfillment's amount, tied to the order.
        let atStripe = try stack.emulator.stripe("GET", "/v1/payment_intents/\(intent)")
        #expect(atStripe.status == 200, "\(atStripe.json)")
        #expect(atStripe.json["amount"] as? Int == 2400)
        #expect(atStripe.json["currency"] as? String == "usd")
        #expect((atStripe.json["metadata"] as? [String: Any])?["order_id"] as? String == orderID)
        #expect(atStripe.json["client_secret"] as? String == secret)
        // fulfillment recorded the order with the request id as the cause (the trace id it received).
        #expect(try stack.rows("fulfillment", "SELECT cause FROM order_history WHERE order_id = '\(orderID)'") == ["request:trace-abc-1"])
        #expect(try stack.rows("fulfillment", "SELECT email, flow FROM orders WHERE order_id = '\(orderID)'") == ["buyer@example.com|payment_intent"])
        #expect(try stack.count("payments", "SELECT amount FROM payments WHERE order_id = '\(orderID)'") == 2400)

        // The same key again: the same order and PaymentIntent, nothing reserved twice.
        let again = try stack.http.postJSON("/api/orders", body, headers: [("Idempotency-Key", "key-42")])
        #expect(again.status == 201, "\(again)")
        #expect(again.json["order_id"] as? String == orderID)
        #expect(again.json["payment_intent_id"] as? String == intent)
        #expect(again.json["client_secret"] as? String == secret)
        #expect(try stack.count("fulfillment", "SELECT count(*) FROM orders") == 1)
        #expect(try stack.count("fulfillment", "SELECT reserved FROM products WHERE sku = 'mug'") == 2)
        #expect((try stack.emulator.stripe("GET", "/v1/payment_intents", [("limit", "100")]).json["data"] as? [Any])?.count == 1)
        // The same key for another order: 409.
        let reused = try stack.http.postJSON("/api/orders", FullStack.orderBody(sku: "sticker"), headers: [("Idempotency-Key", "key-42")])
        #expect(reused.status == 409 && reused.errorCode == "conflict", "\(reused)")
        #expect(reused.errorValue("reason") == "idempotency_key_reused", "\(reused)")
        // No key: a new order each time.
        let fresh = try stack.create(sku: "mug", quantity: 1)
        #expect(fresh["order_id"] as? String != orderID)

        // The order as the browser reads it: status, lines and history, never the email.
        let order = try stack.http.get("/api/orders/\(orderID)")
        #expect(order.status == 200, "\(order)")
        #expect(order.json["status"] as? String == "awaiting_payment")
        #expect(order.json["amount"] as? Int == 2400)
        #expect(order.json["flow"] as? String == "payment_intent")
        let items = try #require(order.json["items"] as? [[String: Any]])
        #expect(items.count == 1 && items[0]["sku"] as? String == "mug" && items[0]["name"] as? String == "Coffee mug"
                && items[0]["quantity"] as? Int == 2 && items[0]["unit_amount"] as? Int == 1200 && items[0]["amount"] as? Int == 2400,
                "\(items)")
        #expect((order.json["history"] as? [[String: Any]])?.first?["status"] as? String == "awaiting_payment")
        #expect(order.json["email"] == nil && !order.text.contains("buyer@example.com"), "the email stays private")
        #expect(order.header("Cache-Control") == "no-store")

        // The catalog from fulfillment, availability net of the reservations.
        let catalog = try stack.http.get("/api/catalog")
        #expect(catalog.status == 200, "\(catalog)")
        let products = try #require(catalog.json["products"] as? [[String: Any]])
        let mug = try #require(products.first { $0["sku"] as? String == "mug" }, "\(products)")
        #expect(mug["name"] as? String == "Coffee mug" && mug["unit_amount"] as? Int == 1200 && mug["currency"] as? String == "usd")
        #expect(mug["available"] as? Int == 50 - 3)
        #expect(products.first { $0["sku"] as? String == "poster-limited" }?["available"] as? Int == 3)
    }

    @Test("POST /api/checkout/sessions and /api/invoices: Stripe gets fulfillment's lines, PUBLIC_BASE_URL/stripe_return with a literal {CHECKOUT_SESSION_ID}, the order's expiry; /config and session-status")
    func checkoutSessionAndInvoice() throws {
        let stack = try FullStack(webhooks: false, environment: ["PUBLIC_BASE_URL": "https://shop.example.com/", "ORDER_TTL_SECONDS": "7200"])
        let r = try stack.http.postJSON("/api/checkout/sessions", FullStack.orderBody(sku: "mug", quantity: 2))
        #expect(r.status == 201, "\(r)\n\(stack.logs)")
        let orderID = try #require(r.json["order_id"] as? String)
        let session = try #require(r.json["session_id"] as? String)
        #expect(session.hasPrefix("cs_"))
        #expect(r.json["flow"] as? String == "checkout_session")
        #expect(r.json["amount"] as? Int == 2400)
        #expect((r.json["client_secret"] as? String)?.isEmpty == false)
        // The session expires with the order (2 h from now is inside Stripe's 30 min to 24 h window).
        let expires = try #require(r.json["expires_at"] as? Int, "\(r)")
        #expect(abs(expires - Int(Date().timeIntervalSince1970) - 7200) < 120, "\(expires)")
        #expect(try stack.rows("fulfillment", "SELECT flow FROM orders WHERE order_id = '\(orderID)'") == ["checkout_session"])

        let atStripe = try stack.emulator.stripe("GET", "/v1/checkout/sessions/\(session)")
        #expect(atStripe.status == 200, "\(atStripe.json)")
        #expect(atStripe.json["return_url"] as? String == "https://shop.example.com/stripe_return?session_id={CHECKOUT_SESSION_ID}")
        #expect(atStripe.json["amount_total"] as? Int == 2400)
        #expect(atStripe.json["expires_at"] as? Int == expires)
        #expect((atStripe.json["metadata"] as? [String: Any])?["order_id"] as? String == orderID)
        let lines = try stack.emulator.stripe("GET", "/v1/checkout/sessions/\(session)/line_items").json["data"] as? [[String: Any]] ?? []
        #expect(lines.count == 1, "\(lines)")
        #expect(lines.first?["description"] as? String == "Coffee mug", "\(lines)")
        #expect(lines.first?["quantity"] as? Int == 2, "\(lines)")

        // session-status: Stripe's view (through payments) and the order's.
        let status = try stack.http.get("/api/checkout/session-status?session_id=\(session)")
        #expect(status.status == 200, "\(status)")
        #expect(status.json["status"] as? String == "open")
        #expect(status.json["payment_status"] as? String == "unpaid")
        #expect(status.json["order_id"] as? String == orderID)
        #expect(status.json["order_status"] as? String == "awaiting_payment")
        let missing = try stack.http.get("/api/checkout/session-status")
        #expect(missing.status == 400 && missing.errorField == "session_id", "\(missing)")
        let unknown = try stack.http.get("/api/checkout/session-status?session_id=cs_test_nosuchsession")
        #expect(unknown.status == 404 && unknown.errorCode == "not_found", "\(unknown)")

        let invoice = try stack.http.postJSON("/api/invoices", FullStack.orderBody(sku: "sticker", quantity: 3))
        #expect(invoice.status == 201, "\(invoice)")
        let invoiceID = try #require(invoice.json["invoice_id"] as? String)
        let invoiceOrder = try #require(invoice.json["order_id"] as? String)
        #expect(invoice.json["flow"] as? String == "invoice")
        #expect(invoice.json["amount"] as? Int == 1200)
        #expect((invoice.json["client_secret"] as? String)?.contains("_secret_") == true, "\(invoice)")
        let stripeInvoice = try stack.emulator.stripe("GET", "/v1/invoices/\(invoiceID)")
        #expect(stripeInvoice.json["amount_due"] as? Int == 1200, "\(stripeInvoice.json)")
        #expect(stripeInvoice.json["status"] as? String == "open")
        #expect((stripeInvoice.json["metadata"] as? [String: Any])?["order_id"] as? String == invoiceOrder)
        #expect(try stack.rows("fulfillment", "SELECT flow FROM orders WHERE order_id = '\(invoiceOrder)'") == ["invoice"])

        // /config: payments' publishable key and UI mode, the public return URL; cacheable by browsers.
        let config = try stack.http.get("/config")
        #expect(config.status == 200, "\(config)")
        #expect(config.json["publishableKey"] as? String == "pk_test_end_to_end")
        #expect(config.json["mode"] as? String == "emulator")
        #expect(["embedded", "embedded_page"].contains(config.json["checkoutUiMode"] as? String ?? ""), "\(config)")
        #expect(config.json["returnUrl"] as? String == "https://shop.example.com/payment/return")
        #expect(config.header("Cache-Control") == "public, max-age=60")
        #expect(!config.text.contains("sk_test") && !config.text.contains("whsec_"), "a secret leaked: \(config)")
    }

    @Test("bad bodies are 400 (shape) or 422 (values) naming the field without asking fulfillment; fulfillment's refusals are 422 unknown SKU, 409 out of stock, 404; fulfillment down is 503")
    func validationAndFulfillmentErrors() throws {
        let stack = try FullStack(webhooks: false, environment: FullStack.quickDeadline)
        // fulfillment is down while the bad bodies arrive: a 400/422 (not a 503) proves the gateway refused
        // them itself.
        stack.fulfillment.crash()
        let cases: [(String, Int, String)] = [
            ("not json", 400, "body"),
            ("[1,2]", 400, "body"),
            (#"{"items":[{"sku":"mug","quantity":1}]}"#, 400, "email"),
            (#"{"email":"a@b.co"}"#, 400, "items"),
            (#"{"items":"mug","email":"a@b.co"}"#, 400, "items"),
            (#"{"items":[{"sku":"mug","quantity":"2"}],"email":"a@b.co"}"#, 400, "items[0].quantity"),
            (#"{"items":[{"quantity":2}],"email":"a@b.co"}"#, 400, "items[0].sku"),
            (#"{"items":[],"email":"a@b.co"}"#, 422, "items"),
            (#"{"items":[{"sku":"mug","quantity":0}],"email":"a@b.co"}"#, 422, "items[0].quantity"),
            (#"{"items":[{"sku":"mug","quantity":1001}],"email":"a@b.co"}"#, 422, "items[0].quantity"),
            (#"{"items":[{"sku":"a b","quantity":1}],"email":"a@b.co"}"#, 422, "items[0].sku"),
            (#"{"items":[{"sku":"mug","quantity":1},{"sku":"mug","quantity":1}],"email":"a@b.co"}"#, 422, "items[1].sku"),
            (#"{"items":[{"sku":"mug","quantity":1}],"email":"not-an-email"}"#, 422, "email"),
            // Edges where the gateway's copy of the rules was looser than fulfillment's.
            (#"{"items":[{"sku":"mug","quantity":1}],"email":"a(b)@example.com"}"#, 422, "email"),
            (#"{"items":[{"sku":"mug","quantity":1}],"email":"a:b@example.com"}"#, 422, "email"),
            ("{\"items\":[" + (0...50).map { "{\"sku\":\"s\($0)\",\"quantity\":1}" }.joined(separator: ",") + "],\"email\":\"a@b.co\"}", 422, "items"),
        ]
        for (body, status, field) in cases {
            let r = try stack.http.postJSON("/api/orders", body)
            #expect(r.status == status, "\(body) -> \(r)")
            #expect(r.errorField == field, "\(body) -> \(r)")
            #expect(r.errorCode == (status == 400 ? "invalid_argument" : "unprocessable"), "\(body) -> \(r)")
        }
        // Read by Wire's reader (no longer Foundation's): the messages still name the field and the
        // expected kind, and a key given twice is refused rather than one of them used.
        let notArray = try stack.http.postJSON("/api/orders", #"{"items":"mug","email":"a@b.co"}"#)
        #expect(notArray.errorValue("message") == "field 'items' must be an array", "\(notArray)")
        let notInt = try stack.http.postJSON("/api/orders", #"{"items":[{"sku":"mug","quantity":"2"}],"email":"a@b.co"}"#)
        #expect(notInt.errorValue("message") == "field 'items[0].quantity' must be an integer", "\(notInt)")
        let twice = try stack.http.postJSON("/api/orders", #"{"items":[{"sku":"mug","quantity":1}],"email":"a@b.co","email":"c@d.co"}"#)
        #expect(twice.status == 400 && twice.errorField == "body", "\(twice)")
        let form = try stack.http.send("POST", "/api/orders", headers: [("Content-Type", "application/x-www-form-urlencoded")],
                                       body: Array("a=1".utf8))
        #expect(form.status == 415, "\(form)")
        let key = try stack.http.postJSON("/api/orders", FullStack.orderBody(), headers: [("Idempotency-Key", String(repeating: "k", count: 256))])
        #expect(key.status == 400 && key.errorField == "Idempotency-Key", "\(key)")
        let badID = try stack.http.get("/api/orders/bad%20id")
        #expect(badID.status == 400 && badID.errorField == "order_id", "\(badID)")

        // A good body with fulfillment down: 503 with Retry-After, the request id echoed (or generated).
        let down = try stack.http.postJSON("/api/orders", FullStack.orderBody(), headers: [("X-Request-Id", "down-1")])
        #expect(down.status == 503 && down.errorCode == "unavailable", "\(down)")
        #expect(down.header("Retry-After") == "1")
        #expect(down.header("X-Request-Id") == "down-1")
        #expect(down.errorValue("order_id") == nil, "no order was created")
        let catalogDown = try stack.http.get("/api/catalog")
        #expect(catalogDown.status == 503, "\(catalogDown)")
        #expect((catalogDown.header("X-Request-Id")?.count ?? 0) >= 16, "a generated request id")
        #expect(try stack.http.get("/api/orders/ord_x").status == 503)
        // payments was never asked for a payment.
        #expect(try stack.count("payments", "SELECT count(*) FROM payments") == 0)

        // fulfillment back: the gateway reconnects, and fulfillment's own refusals map through the table.
        try stack.fulfillment.restart()
        _ = try stack.eventuallyAnswers("the catalog after fulfillment restarted", { try stack.http.get("/api/catalog") }) { $0.status == 200 }
        #expect(try stack.count("fulfillment", "SELECT count(*) FROM orders") == 0, "no bad body reached fulfillment")
        let unknown = try stack.http.postJSON("/api/orders", FullStack.orderBody(sku: "no-such-sku"))
        #expect(unknown.status == 422 && unknown.errorCode == "unprocessable", "\(unknown)")
        #expect(unknown.errorValue("reason") == "unknown_sku", "\(unknown)")
        #expect(unknown.errorValue("message")?.contains("no-such-sku") == true, "\(unknown)")
        let tooMany = try stack.http.postJSON("/api/orders", FullStack.orderBody(sku: "poster-limited", quantity: 4))
        #expect(tooMany.status == 409 && tooMany.errorCode == "conflict", "\(tooMany)")
        #expect(tooMany.errorValue("reason") == "out_of_stock", "\(tooMany)")
        // All three left are sold to one order; the next one is out of stock.
        let all = try stack.create(sku: "poster-limited", quantity: 3)
        #expect(all["amount"] as? Int == 7500)
        let one = try stack.http.postJSON("/api/orders", FullStack.orderBody(sku: "poster-limited"))
        #expect(one.status == 409 && one.errorValue("reason") == "out_of_stock", "\(one)")
        let missing = try stack.http.get("/api/orders/ord_nope")
        #expect(missing.status == 404 && missing.errorCode == "not_found", "\(missing)")
        let payMissing = try stack.http.postJSON("/api/orders/ord_nope/payment", "{}", headers: [FullStack.anyToken])
        #expect(payMissing.status == 404 && payMissing.errorCode == "not_found", "\(payMissing)")
        #expect(try stack.count("fulfillment", "SELECT count(*) FROM orders") == 1)

        #expect(try stack.metric(#"gateway_upstream_errors_total{service="fulfillment",code="not_found"}"#) == 2)
        #expect(try stack.metric(#"gateway_upstream_errors_total{service="fulfillment",code="unprocessable"}"#) == 1)
        #expect(try stack.metric(#"gateway_upstream_errors_total{service="fulfillment",code="conflict"}"#) == 2)
        #expect((try stack.metric(#"gateway_upstream_errors_total{service="fulfillment",code="unavailable"}"#) ?? 0) >= 3)
        #expect(try stack.metric(#"gateway_http_requests_total{method="POST",route="/api/orders",status="422"}"#) == 10, "nine bad values and the unknown SKU")
    }

    @Test("payments down or unconfigured is 503 and Stripe failing is 502, the order id kept so it can be paid later; /config is served from its cache meanwhile")
    func paymentsAndStripeFailures() throws {
        let stack = try FullStack(webhooks: false, environment: FullStack.quickDeadline)
        let config = try stack.http.get("/config")
        #expect(config.status == 200 && config.json["publishableKey"] as? String == "pk_test_end_to_end", "\(config)")

        stack.payments.crash()
        // payments.config is cached: /config still answers with payments down.
        let cached = try stack.http.get("/config")
        #expect(cached.status == 200 && cached.json["publishableKey"] as? String == "pk_test_end_to_end", "\(cached)")
        let down = try stack.http.postJSON("/api/orders", FullStack.orderBody(), headers: [("X-Request-Id", "pay-down-1")])
        #expect(down.status == 503 && down.errorCode == "unavailable", "\(down)")
        #expect(down.header("Retry-After") == "1")
        // fulfillment created the order before payments failed: the client can pay for it later.
        let kept = try #require(down.errorValue("order_id"), "\(down)")
        let keptToken = try #require(down.errorValue("order_token"), "the token of the kept order: \(down)")
        #expect(try stack.status(kept) == "awaiting_payment")
        let sessionDown = try stack.http.postJSON("/api/checkout/sessions", FullStack.orderBody())
        #expect(sessionDown.status == 503 && sessionDown.errorValue("order_id") != nil, "\(sessionDown)")

        // Stripe unreachable (nothing listens on port 9; no retries): 502, the order id kept.
        var replacement = try stack.launch("payments", overrides: ["STRIPE_API_BASE": "http://127.0.0.1:9", "STRIPE_MAX_RETRIES": "0"])
        let unreachable = try stack.eventuallyAnswers("502 from payments without Stripe",
                                                      { try stack.http.postJSON("/api/orders", FullStack.orderBody()) }) { $0.status != 503 }
        #expect(unreachable.status == 502 && unreachable.errorCode == "upstream_failed", "\(unreachable)")
        #expect(unreachable.errorValue("reason") == "connection", "\(unreachable)")
        #expect(unreachable.errorValue("order_id") != nil, "\(unreachable)")
        let retry = try stack.http.postJSON("/api/orders/\(kept)/payment", "{}", headers: [("Order-Token", keptToken)])
        #expect(retry.status == 502 && retry.errorCode == "upstream_failed", "\(retry)")

        // Stripe refusing the API key (the stand-in takes sk_test_ keys only): 502, and the key never shows.
        stack.stop(replacement)
        replacement = try stack.launch("payments", overrides: ["STRIPE_SECRET_KEY": "rk_test_51Habcdefghijklmnop"])
        let refused = try stack.eventuallyAnswers("502 from payments with a refused key",
                                                  { try stack.http.postJSON("/api/orders", FullStack.orderBody()) }) { $0.status != 503 }
        #expect(refused.status == 502 && refused.errorCode == "upstream_failed", "\(refused)")
        #expect(!refused.text.contains("rk_test_51H") && !refused.text.contains("abcdefghijklmnop"), "a secret leaked: \(refused)")

        // payments without a secret key: it runs (degraded) and refuses Stripe calls as unavailable.
        stack.stop(replacement)
        replacement = try stack.launch("payments", overrides: ["STRIPE_SECRET_KEY": ""])
        // Once it answers (degraded), the 503 below is its own refusal, not a lost connection.
        _ = try stack.eventuallyAnswers("payments degraded in /readyz", { try stack.readiness() }) {
            (($0.json["services"] as? [String: [String: Any]])?["payments"]?["status"] as? String) == "degraded"
        }
        let unconfigured = try stack.http.postJSON("/api/invoices", FullStack.orderBody())
        #expect(unconfigured.status == 503 && unconfigured.errorCode == "unavailable", "\(unconfigured)")
        #expect(unconfigured.errorValue("order_id") != nil, "\(unconfigured)")
        #expect(unconfigured.header("Retry-After") == "1")

        // payments back as configured: the order kept from the outage is paid for now.
        try stack.restore(stack.payments, from: replacement)
        let resumed = try stack.eventuallyAnswers("the kept order's payment", { try stack.http.postJSON("/api/orders/\(kept)/payment", "{}", headers: [("Order-Token", keptToken)]) }) {
            $0.status != 503
        }
        #expect(resumed.status == 200, "\(resumed)\n\(stack.logs)")
        #expect(resumed.json["order_id"] as? String == kept)
        #expect((resumed.json["client_secret"] as? String)?.contains("_secret_") == true, "\(resumed)")
        #expect(try stack.create()["order_id"] != nil)

        #expect((try stack.metric(#"gateway_upstream_errors_total{service="payments",code="unavailable"}"#) ?? 0) >= 3)
        #expect((try stack.metric(#"gateway_upstream_errors_total{service="payments",code="upstream_failed"}"#) ?? 0) >= 3)
        #expect((try stack.metric(#"gateway_http_requests_total{method="POST",route="/api/orders",status="502"}"#) ?? 0) >= 2)
    }

    @Test("POST /api/orders/{id}/payment: the same payment again for a payable order (after a decline, or to remount Checkout); 409 once paid")
    func payAgain() throws {
        let stack = try FullStack()
        let created = try stack.create(sku: "sticker", quantity: 2)
        let orderID = try #require(created["order_id"] as? String)
        let intent = try #require(created["payment_intent_id"] as? String)
        let secret = try #require(created["client_secret"] as? String)
        let token = ("Order-Token", try #require(created["order_token"] as? String))
        try stack.act("/_emulator/payment_intents/\(intent)/confirm", ["card": "4000000000000002"])
        try stack.waitForStatus(orderID, "payment_failed")

        let again = try stack.http.postJSON("/api/orders/\(orderID)/payment", "{}", headers: [("X-Request-Id", "pay-again-1"), token])
        #expect(again.status == 200, "\(again)")
        #expect(again.json["order_id"] as? String == orderID)
        #expect(again.json["flow"] as? String == "payment_intent")
        #expect(again.json["amount"] as? Int == 800)
        #expect(again.json["status"] as? String == "payment_failed")
        #expect(again.json["payment_intent_id"] as? String == intent, "the same PaymentIntent while it is usable")
        #expect(again.json["client_secret"] as? String == secret)
        #expect(again.header("Cache-Control") == "no-store")

        try stack.act("/_emulator/payment_intents/\(intent)/confirm", ["card": "4242424242424242"])
        try stack.waitForStatus(orderID, "fulfilled")
        let paid = try stack.http.postJSON("/api/orders/\(orderID)/payment", "{}", headers: [token])
        #expect(paid.status == 409 && paid.errorCode == "conflict", "\(paid)")
        #expect(paid.errorValue("reason") == "order_fulfilled", "\(paid)")
        #expect(paid.errorValue("order_id") == orderID)
        #expect(try stack.fulfilments(orderID) == 1)

        // An embedded Checkout page remounted: the same session.
        let session = try stack.create("/api/checkout/sessions", sku: "mug")
        let sessionOrder = try #require(session["order_id"] as? String)
        let remount = try stack.http.postJSON("/api/orders/\(sessionOrder)/payment", "{}",
                                              headers: [("Order-Token", try #require(session["order_token"] as? String))])
        #expect(remount.status == 200, "\(remount)")
        #expect(remount.json["session_id"] as? String == session["session_id"] as? String)
        #expect(remount.json["client_secret"] as? String == session["client_secret"] as? String)

        let bad = try stack.http.postJSON("/api/orders/bad%20id/payment", "{}")
        #expect(bad.status == 400 && bad.errorField == "order_id", "\(bad)")
    }

    @Test("an order's payment is a capability: the token from creation (or an email's link) is needed to fetch it again, an id is not enough")
    func orderToken() throws {
        let stack = try FullStack()
        let created = try stack.create(sku: "sticker", email: "holder@example.com")
        let orderID = try #require(created["order_id"] as? String)
        let token = try #require(created["order_token"] as? String)
        #expect(token.hasPrefix("otk_") && token.count == 68, "\(token)")
        // Only its hash is stored.
        #expect(try stack.rows("fulfillment", "SELECT token_hash FROM order_tokens WHERE order_id = '\(orderID)'").count == 1)
        #expect(try stack.count("fulfillment", "SELECT count(*) FROM order_tokens WHERE token_hash LIKE 'otk_%'") == 0)

        let noToken = try stack.http.postJSON("/api/orders/\(orderID)/payment", "{}")
        #expect(noToken.status == 401 && noToken.errorCode == "unauthenticated", "\(noToken)")
        #expect(noToken.errorValue("reason") == "order_token_required" && !noToken.text.contains("_secret_"))
        let wrong = try stack.http.postJSON("/api/orders/\(orderID)/payment", "{}", headers: [FullStack.anyToken])
        #expect(wrong.status == 403 && wrong.errorCode == "permission_denied", "\(wrong)")
        #expect(!wrong.text.contains("_secret_"))
        let malformed = try stack.http.postJSON("/api/orders/\(orderID)/payment", "{}", headers: [("Order-Token", "otk_123")])
        #expect(malformed.status == 400 && malformed.errorField == "Order-Token", "\(malformed)")
        // Another order's token opens nothing here.
        let other = try stack.create(sku: "sticker")
        let crossed = try stack.http.postJSON("/api/orders/\(orderID)/payment", "{}",
                                          headers: [("Order-Token", try #require(other["order_token"] as? String))])
        #expect(crossed.status == 403, "\(crossed)")
        let mine = try stack.http.postJSON("/api/orders/\(orderID)/payment", "{}", headers: [("Order-Token", token)])
        #expect(mine.status == 200 && mine.json["client_secret"] as? String == created["client_secret"] as? String, "\(mine)")

        // A decline: the public status shows no decline message and no email; the token holder sees both.
        let intent = try #require(created["payment_intent_id"] as? String)
        try stack.act("/_emulator/payment_intents/\(intent)/confirm", ["card": "4000000000000002"])
        try stack.waitForStatus(orderID, "payment_failed")
        let publicView = try stack.http.get("/api/orders/\(orderID)")
        #expect(publicView.status == 200)
        #expect(!publicView.text.contains("declined") && !publicView.text.contains("holder@example.com"), "\(publicView.text)")
        #expect(publicView.json["email"] == nil)
        let detailed = try stack.http.get("/api/orders/\(orderID)", headers: [("Order-Token", token)])
        #expect(detailed.json["email"] as? String == "holder@example.com", "\(detailed)")
        #expect(detailed.text.contains("declined"), "\(detailed.text)")
        #expect(try stack.http.get("/api/orders/\(orderID)", headers: [FullStack.anyToken]).status == 403)

        // The payment-failed email's pay-again link carries a token of its own, in the fragment.
        try waitUntil("the payment-failed email") { stack.emlFiles().count == 1 }
        let text = try FullStack.plainText(ofEmail: stack.emlFiles()[0])
        let link = try #require(text.components(separatedBy: .newlines).first { $0.contains("/order/pay?order_id=\(orderID)#token=otk_") },
                                "no pay-again link with a token: \(text)")
        let linkToken = String(try #require(link.split(separator: "#token=").last)).trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(linkToken != token && linkToken.count == 68, "\(linkToken)")
        let viaLink = try stack.http.postJSON("/api/orders/\(orderID)/payment", "{}", headers: [("Order-Token", linkToken)])
        #expect(viaLink.status == 200, "\(viaLink)")
        // It expires (seven days); once past, it opens nothing.
        _ = try stack.rows("fulfillment", "UPDATE order_tokens SET expires_at = 1 WHERE purpose = 'email'")
        let expired = try stack.http.postJSON("/api/orders/\(orderID)/payment", "{}", headers: [("Order-Token", linkToken)])
        #expect(expired.status == 403, "\(expired)")
        // The token never reaches a log line.
        for process in [stack.gateway, stack.fulfillment, stack.notifier, stack.payments] {
            #expect(!process.log.contains(token) && !process.log.contains(linkToken), "\(process.name) logged an order token")
        }
    }
}
