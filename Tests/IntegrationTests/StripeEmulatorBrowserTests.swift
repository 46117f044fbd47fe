import Foundation
import HTTPTesting
import Testing

/// What the stand-in serves to browsers (issue 15): the emulated Stripe.js and its frames, and the
/// `/v1/` calls Stripe.js makes with a publishable key plus a client secret. The browser tests
/// (Tests/Browser) click through the same surface; these check its HTTP contract on bytes.
@Suite("Stripe emulator: Stripe.js, frames and publishable-key calls")
struct StripeEmulatorBrowserTests {
    static let publishable = "pk_test_browser_tests"

    /// A PaymentIntent with order metadata, created with the secret key.
    func paymentIntent(_ emulator: StripeEmulatorProcess) throws -> (id: String, secret: String) {
        let r = try emulator.stripe("POST", "/v1/payment_intents", [
            ("amount", "1200"), ("currency", "usd"), ("metadata[order_id]", "ord_browser"),
            ("automatic_payment_methods[enabled]", "true"),
        ])
        #expect(r.status == 200, "\(r.json)")
        return (try #require(r.json["id"] as? String), try #require(r.json["client_secret"] as? String))
    }

    @Test("Stripe.js and the frames are served with their types; the frames carry a policy of their own origin")
    func assets() throws {
        let dir = try TemporaryDirectory()
        let emulator = try StripeEmulatorProcess(in: dir)
        let script = try emulator.helper("GET", "/js.stripe.com/v3/")
        #expect(script.status == 200)
        #expect(script.header("Content-Type") == "text/javascript; charset=utf-8")
        let text = String(decoding: script.body, as: UTF8.self)
        for api in ["confirmPayment", "retrievePaymentIntent", "initEmbeddedCheckout", "createEmbeddedCheckoutPage",
                    "handleNextAction", "elements"] {
            #expect(text.contains("prototype.\(api)"), "Stripe.js lacks \(api)")
        }
        for page in ["payment-element.html", "embedded-checkout.html", "3ds-challenge.html"] {
            let r = try emulator.helper("GET", "/elements/\(page)")
            #expect(r.status == 200, "\(page)")
            #expect(r.header("Content-Type") == "text/html; charset=utf-8")
            let policy = try #require(r.header("Content-Security-Policy"))
            #expect(policy.contains("script-src 'self'") && policy.contains("connect-src 'self'"), "\(policy)")
        }
        let element = String(decoding: try emulator.helper("GET", "/elements/payment-element.html").body, as: UTF8.self)
        for name in ["number", "expiry", "cvc", "postalCode"] {
            #expect(element.contains("name=\"\(name)\""), "the Payment Element lacks Stripe's field name \(name)")
        }
        let checkout = String(decoding: try emulator.helper("GET", "/elements/embedded-checkout.html").body, as: UTF8.self)
        for id in ["email", "cardNumber", "cardExpiry", "cardCvc", "billingName"] {
            #expect(checkout.contains("id=\"\(id)\""), "embedded Checkout lacks Stripe's field id \(id)")
        }
        #expect(checkout.contains("data-testid=\"hosted-payment-submit-button\""))
        let challenge = String(decoding: try emulator.helper("GET", "/elements/3ds-challenge.html").body, as: UTF8.self)
        #expect(challenge.contains("id=\"test-source-authorize-3ds\"") && challenge.contains("id=\"test-source-fail-3ds\""))
        #expect(try emulator.helper("GET", "/elements/missing.js").status == 404)
    }

    @Test("a publishable key with the client secret reads the PaymentIntent without its metadata, from any origin")
    func retrieve() throws {
        let dir = try TemporaryDirectory()
        let emulator = try StripeEmulatorProcess(in: dir)
        let pi = try paymentIntent(emulator)
        let r = try emulator.stripe("GET", "/v1/payment_intents/\(pi.id)",
                                    [("key", Self.publishable), ("client_secret", pi.secret)], key: nil)
        #expect(r.status == 200, "\(r.json)")
        #expect(r.json["status"] as? String == "requires_payment_method")
        #expect(r.json["amount"] as? Int == 1200)
        #expect(r.json["metadata"] == nil, "a publishable key must not read metadata")
        #expect(r.json["customer"] == nil)
        #expect(r.header("Access-Control-Allow-Origin") == "*")

        let wrong = try emulator.stripe("GET", "/v1/payment_intents/\(pi.id)",
                                        [("key", Self.publishable), ("client_secret", pi.id + "_secret_wrong")], key: nil)
        #expect(wrong.status == 400)
        #expect(wrong.errorValue("param") == "client_secret")
        let none = try emulator.stripe("GET", "/v1/payment_intents/\(pi.id)", [("key", Self.publishable)], key: nil)
        #expect(none.status == 400)
        #expect(none.errorValue("code") == "parameter_missing")
    }

    @Test("publishable keys: live keys and routes Stripe.js may not call are refused")
    func refusals() throws {
        let dir = try TemporaryDirectory()
        let emulator = try StripeEmulatorProcess(in: dir)
        let pi = try paymentIntent(emulator)
        let live = try emulator.stripe("GET", "/v1/payment_intents/\(pi.id)",
                                       [("key", "pk_live_abcdef"), ("client_secret", pi.secret)], key: nil)
        #expect(live.status == 401)
        #expect(live.errorValue("message")?.contains("test mode") == true)
        #expect(live.errorValue("message")?.contains("pk_live_abcdef") == false, "a key is never echoed whole")
        let listing = try emulator.stripe("GET", "/v1/payment_intents", [("key", Self.publishable)], key: nil)
        #expect(listing.status == 401)
        #expect(listing.errorValue("code") == "secret_key_required")
        let create = try emulator.stripe("POST", "/v1/payment_intents",
                                         [("key", Self.publishable), ("amount", "100"), ("currency", "usd")], key: nil)
        #expect(create.status == 401)
        let preflight = try emulator.client.perform(.init(method: "OPTIONS", url: emulator.baseURL + "/v1/payment_intents/x/confirm"))
        #expect(preflight.status == 204)
    }

    @Test("Stripe.js's confirmation: card details in payment_method_data, a decline as a 402 without metadata, 3-D Secure in the SDK")
    func confirm() throws {
        let dir = try TemporaryDirectory()
        let emulator = try StripeEmulatorProcess(in: dir)
        func confirm(_ pi: (id: String, secret: String), _ number: String) throws -> HTTPTestResponse {
            try emulator.stripe("POST", "/v1/payment_intents/\(pi.id)/confirm", [
                ("key", Self.publishable), ("client_secret", pi.secret), ("use_stripe_sdk", "true"),
                ("return_url", "http://127.0.0.1:9/payment/return?keep=1"),
                ("payment_method_data[type]", "card"), ("payment_method_data[card][number]", number),
                ("payment_method_data[card][exp_month]", "12"), ("payment_method_data[card][exp_year]", "2034"),
                ("payment_method_data[card][cvc]", "123"),
            ], key: nil)
        }
        let declined = try confirm(try paymentIntent(emulator), "4000000000000002")
        #expect(declined.status == 402)
        #expect(declined.errorValue("code") == "card_declined")
        let inError = try #require((declined.json["error"] as? [String: Any])?["payment_intent"] as? [String: Any])
        #expect(inError["status"] as? String == "requires_payment_method")
        #expect(inError["metadata"] == nil)

        let good = try confirm(try paymentIntent(emulator), "4242424242424242")
        #expect(good.status == 200)
        #expect(good.json["status"] as? String == "succeeded")

        // With use_stripe_sdk the next action is handled in the page (a modal), not a full-page redirect.
        let threeDS = try confirm(try paymentIntent(emulator), "4000002500003155")
        #expect(threeDS.json["status"] as? String == "requires_action")
        #expect((threeDS.json["next_action"] as? [String: Any])?["type"] as? String == "use_stripe_sdk")

        let invalid = try confirm(try paymentIntent(emulator), "1234123412341234")
        #expect(invalid.status == 402)
        #expect(invalid.errorValue("code") == "incorrect_number")
    }

    @Test("a redirect_to_url next action leads to a real page that returns to the shop with Stripe's parameters")
    func redirectChallenge() throws {
        let dir = try TemporaryDirectory()
        let emulator = try StripeEmulatorProcess(in: dir)
        let pi = try paymentIntent(emulator)
        let r = try emulator.stripe("POST", "/v1/payment_intents/\(pi.id)/confirm", [
            ("payment_method", "pm_card_authenticationRequired"), ("return_url", "http://127.0.0.1:9/back?x=1"),
        ])
        let next = try #require(r.json["next_action"] as? [String: Any])
        #expect(next["type"] as? String == "redirect_to_url")
        let url = try #require((next["redirect_to_url"] as? [String: Any])?["url"] as? String)
        #expect(url == emulator.baseURL + "/3ds/\(pi.id)")
        let page = try emulator.client.perform(.init(method: "GET", url: url))
        #expect(page.status == 200)
        #expect(String(decoding: page.body, as: UTF8.self).contains("test-source-authorize-3ds"))
        // What the page's Complete button does: the answer names the return URL, query kept.
        let done = try emulator.helper("POST", "/_emulator/payment_intents/\(pi.id)/authenticate",
                                       json: ["success": true, "client_secret": pi.secret])
        #expect(done.status == 200)
        let back = try #require(done.json["redirect_url"] as? String)
        #expect(back.hasPrefix("http://127.0.0.1:9/back?x=1&payment_intent=\(pi.id)&payment_intent_client_secret=\(pi.secret)"))
        #expect(back.hasSuffix("redirect_status=succeeded"))
        let other = try emulator.helper("POST", "/_emulator/payment_intents/\(pi.id)/authenticate",
                                        json: ["success": true, "client_secret": "pi_x_secret_y"])
        #expect(other.status == 400, "the challenge page's secret must match")
    }

    @Test("embedded Checkout's page calls: the session's lines and total with the issued secret, even once expired")
    func checkoutPage() throws {
        let dir = try TemporaryDirectory()
        let emulator = try StripeEmulatorProcess(in: dir)
        let created = try emulator.stripe("POST", "/v1/checkout/sessions", [
            ("mode", "payment"), ("ui_mode", "embedded"), ("return_url", "http://127.0.0.1:9/r?session_id={CHECKOUT_SESSION_ID}"),
            ("line_items[0][price_data][currency]", "usd"), ("line_items[0][price_data][unit_amount]", "400"),
            ("line_items[0][price_data][product_data][name]", "Sticker pack"), ("line_items[0][quantity]", "2"),
            ("customer_email", "page@example.com"), ("metadata[order_id]", "ord_page"),
        ], headers: [("Stripe-Version", "2026-02-25.clover")])
        #expect(created.status == 200, "\(created.json)")
        let id = try #require(created.json["id"] as? String)
        let secret = try #require(created.json["client_secret"] as? String)
        func initPage(_ secret: String) throws -> HTTPTestResponse {
            try emulator.stripe("POST", "/v1/payment_pages/\(id)/init", [("key", Self.publishable), ("client_secret", secret)], key: nil)
        }
        let open = try initPage(secret)
        #expect(open.status == 200, "\(open.json)")
        let view = try #require(open.json["checkout_session"] as? [String: Any])
        #expect(view["status"] as? String == "open")
        #expect(view["amount_total"] as? Int == 800)
        #expect(view["customer_email"] as? String == "page@example.com")
        #expect(view["metadata"] == nil)
        let lines = try #require(view["line_items"] as? [[String: Any]])
        #expect(lines.first?["description"] as? String == "Sticker pack")
        #expect(lines.first?["quantity"] as? Int == 2)
        #expect(try initPage(id + "_secret_wrong").status == 400)

        let declined = try emulator.stripe("POST", "/v1/payment_pages/\(id)/confirm", [
            ("key", Self.publishable), ("client_secret", secret), ("email", "page@example.com"),
            ("payment_method_data[type]", "card"), ("payment_method_data[card][number]", "4000000000000002"),
        ], key: nil)
        #expect(declined.status == 402)
        #expect(declined.errorValue("message") == "Your card was declined.")

        #expect(try emulator.helper("POST", "/_emulator/checkout/sessions/\(id)/expire").status == 200)
        let expired = try initPage(secret)
        #expect(expired.status == 200)
        #expect((expired.json["checkout_session"] as? [String: Any])?["status"] as? String == "expired")
        let late = try emulator.stripe("POST", "/v1/payment_pages/\(id)/confirm", [
            ("key", Self.publishable), ("client_secret", secret),
            ("payment_method_data[type]", "card"), ("payment_method_data[card][number]", "4242424242424242"),
        ], key: nil)
        #expect(late.status == 400, "an expired session cannot be paid")
    }
}
