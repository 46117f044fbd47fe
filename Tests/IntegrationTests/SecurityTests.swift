import Crypto
import Foundation
import HTTPTesting
import Messages
import Testing
import Transport
import Wire

/// Safe by default (issue 16): a live key never runs with a public secret or another API host, events of
/// the other mode are refused, and a missing webhook secret is loud. All with the real executables.
@Suite("Security: safe by default")
struct SecurityTests {
    /// A webhook secret that this repository does not ship.
    static let ownSecret = "whsec_security_tests_private_0123"

    @Test("a live key refuses to start with a webhook secret this repository ships, or any API base but https://api.stripe.com", arguments: [
        (["STRIPE_SECRET_KEY": "sk_live_securitytest1", "STRIPE_WEBHOOK_SECRET": "whsec_local_test_mode"], "STRIPE_WEBHOOK_SECRET"),
        (["STRIPE_SECRET_KEY": "rk_live_securitytest1", "STRIPE_WEBHOOK_SECRET": "\(ownSecret),whsec_compose_local_emulator"], "STRIPE_WEBHOOK_SECRET"),
        (["STRIPE_SECRET_KEY": "sk_live_securitytest1", "STRIPE_WEBHOOK_SECRET": ownSecret,
          "STRIPE_API_BASE": "https://api.stripe.com.attacker.example"], "STRIPE_API_BASE"),
        (["STRIPE_SECRET_KEY": "sk_live_securitytest1", "STRIPE_WEBHOOK_SECRET": ownSecret,
          "STRIPE_API_BASE": "https://127.0.0.1:12111"], "STRIPE_API_BASE"),
        (["STRIPE_SECRET_KEY": "rk_live_securitytest1", "STRIPE_WEBHOOK_SECRET": ownSecret,
          "STRIPE_API_BASE": "https://api.stripe.com:8443"], "STRIPE_API_BASE"),
    ])
    func liveRefusals(settings: [String: String], variable: String) throws {
        let dir = try TemporaryDirectory()
        let r = try runCommand(Binaries.path("payments"), ["serve"], environment: ServiceProcess.environment(in: dir, extra: settings))
        #expect(r.status == 78, "\(r.stderr)")
        #expect(r.stderr.contains(variable), "\(r.stderr)")
        #expect(!r.stderr.contains("securitytest1"), "the key never reaches the message")
        #expect(!r.stderr.contains(Self.ownSecret), "the secret never reaches the message")
    }

    /// payments (with `settings`) and the gateway, without fulfillment: webhook intake needs neither.
    final class WebhookStack: @unchecked Sendable {
        // Safe: set once in init and only read.
        let dir: TemporaryDirectory
        let payments: ServiceProcess
        let gateway: ServiceProcess
        let http: HTTPTestClient

        init(_ settings: [String: String]) throws {
            dir = try TemporaryDirectory()
            let env = ServiceProcess.environment(in: dir, extra: ["GATEWAY_PORT": "0", "SHOP_LOG_LEVEL": "info"]
                .merging(try TestConsole.environment(in: dir)) { $1 }
                .merging(settings) { $1 })
            payments = try ServiceProcess("payments", environment: env, logDirectory: dir)
            gateway = try ServiceProcess("gateway", environment: env, logDirectory: dir)
            http = HTTPTestClient(port: try GatewayListenerTests.port(of: gateway))
        }

        func deliver(livemode: Bool, id: String = "evt_sec_" + ShopStack.randomSuffix()) throws -> HTTPTestResponse {
            let event: [String: Any] = ["id": id, "object": "event", "type": "payment_intent.succeeded", "livemode": livemode,
                                        "created": Int(Date().timeIntervalSince1970),
                                        "data": ["object": ["id": "pi_sec_1", "object": "payment_intent", "amount": 400,
                                                            "amount_received": 400, "currency": "usd", "status": "succeeded",
                                                            "livemode": livemode, "metadata": ["order_id": "ord_sec_1"]]]]
            let body = Array(try JSONSerialization.data(withJSONObject: event, options: [.sortedKeys]))
            let signature = WebhookSignature.header(body: body, timestamp: Int64(Date().timeIntervalSince1970),
                                                    secrets: [SecurityTests.ownSecret])
            return try http.send("POST", "/webhooks/stripe", headers: [("Content-Type", "application/json"),
                                                                       ("Stripe-Signature", signature)], body: body)
        }

        func recorded() throws -> Int {
            Int(try sqlite(dir.file("d/payments.sqlite"), "SELECT count(*) FROM stripe_events").first ?? "") ?? -1
        }
    }

    @Test("with a live key, a correctly signed test-mode event is refused 400 livemode_mismatch and not recorded; a live one is")
    func liveKeyRefusesTestEvents() throws {
        let stack = try WebhookStack(["STRIPE_SECRET_KEY": "sk_live_securitytest2", "STRIPE_WEBHOOK_SECRET": Self.ownSecret])
        let refused = try stack.deliver(livemode: false)
        #expect(refused.status == 400, "\(refused)")
        #expect(refused.errorValue("reason") == "livemode_mismatch", "\(refused)")
        #expect(refused.errorValue("message")?.contains("test-mode") == true, "\(refused)")
        #expect(try stack.recorded() == 0)
        try waitUntil("payments logs the refusal") { stack.payments.log.contains("livemode_mismatch") }

        let accepted = try stack.deliver(livemode: true)
        #expect(accepted.status == 200, "\(accepted)")
        #expect(try stack.recorded() == 1)
        #expect(!stack.payments.log.contains("securitytest2"))
    }

    @Test("with a test key, a correctly signed live-mode event is refused 400 livemode_mismatch and not recorded")
    func testKeyRefusesLiveEvents() throws {
        let stack = try WebhookStack(["STRIPE_SECRET_KEY": "sk_test_securitytest3", "STRIPE_API_BASE": "http://127.0.0.1:9",
                                      "STRIPE_WEBHOOK_SECRET": Self.ownSecret])
        let refused = try stack.deliver(livemode: true)
        #expect(refused.status == 400, "\(refused)")
        #expect(refused.errorValue("reason") == "livemode_mismatch", "\(refused)")
        #expect(try stack.recorded() == 0)
        let accepted = try stack.deliver(livemode: false)
        #expect(accepted.status == 200, "\(accepted)")
        #expect(try stack.recorded() == 1)
    }

    @Test("a real key without STRIPE_WEBHOOK_SECRET: a warn line at start, `payments health` and the console's readiness name the missing piece")
    func missingWebhookSecretIsLoud() throws {
        let stack = try WebhookStack(["STRIPE_SECRET_KEY": "sk_test_securitytest4"])
        try waitUntil("the start-up warning") {
            stack.payments.log.split(separator: "\n").contains { $0.contains(#""level":"warn""#) && $0.contains("STRIPE_WEBHOOK_SECRET") }
        }
        let health = try runCommand(Binaries.path("payments"), ["health"], environment: stack.payments.environment)
        #expect(health.stdout.contains("webhook_secret") && health.stdout.contains("STRIPE_WEBHOOK_SECRET"), "\(health.stdout)")
        let ready = try TestConsole.readiness(stack.gateway)
        let checks = ((ready.json["services"] as? [String: [String: Any]])?["payments"]?["checks"] as? [String: String]) ?? [:]
        #expect(checks["webhook_secret"] == "degraded", "\(ready)")
        #expect(checks["stripe"] == "ok", "\(ready)")
        #expect(!stack.payments.log.contains("securitytest4"))
        // And webhooks really are refused (503: Stripe keeps retrying until the secret is set).
        #expect(try stack.deliver(livemode: false).status == 503)
    }
}

/// Issue 16 item 3: return pages and session status look ids up in payments' own table first; an id the
/// shop never issued costs no Stripe request (the stand-in logs every request it gets).
@Suite("Security: no Stripe call for ids we never issued")
struct UnknownIDTests {
    @Test("/payment/return, /stripe_return and /api/checkout/session-status with unknown ids: error redirect or 404, and no request reaches Stripe; known ids still do")
    func unknownIDsCostNoStripeCall() throws {
        let stack = try FullStack(webhooks: false)
        let unknownIntent = "pi_neverissued" + ShopStack.randomSuffix()
        let unknownSession = "cs_test_neverissued" + ShopStack.randomSuffix()

        var r = try stack.paymentReturn(unknownIntent, secret: unknownIntent + "_secret_guess")
        #expect(r.status == 303 && r.header("Location") == "/payment/error?reason=invalid_return", "\(r)")
        r = try stack.http.get("/stripe_return?session_id=\(unknownSession)")
        #expect(r.status == 303 && r.header("Location") == "/payment/error?reason=invalid_return", "\(r)")
        r = try stack.http.get("/api/checkout/session-status?session_id=\(unknownSession)")
        #expect(r.status == 404 && r.errorCode == "not_found", "\(r)")
        // An object that exists at Stripe but that this shop did not create is unknown too.
        let foreign = try stack.emulator.stripe("POST", "/v1/payment_intents", [("amount", "400"), ("currency", "usd")])
        let foreignID = try #require(foreign.json["id"] as? String)
        let foreignSecret = try #require(foreign.json["client_secret"] as? String)
        let before = stack.emulator.log.components(separatedBy: foreignID).count
        r = try stack.paymentReturn(foreignID, secret: foreignSecret)
        #expect(r.status == 303 && r.header("Location") == "/payment/error?reason=invalid_return", "\(r)")

        let log = stack.emulator.log
        #expect(!log.contains(unknownIntent), "the stand-in was asked about a PaymentIntent the shop never issued")
        #expect(!log.contains(unknownSession), "the stand-in was asked about a Checkout Session the shop never issued")
        #expect(log.components(separatedBy: foreignID).count == before, "the stand-in was asked about a foreign PaymentIntent")

        // The control: an id the shop issued is verified with Stripe, as before.
        let created = try stack.create("/api/checkout/sessions", sku: "mug")
        let session = try #require(created["session_id"] as? String)
        r = try stack.http.get("/api/checkout/session-status?session_id=\(session)")
        #expect(r.status == 200 && r.json["status"] as? String == "open", "\(r)")
        #expect(stack.emulator.log.contains("/v1/checkout/sessions/\(session)"), "the known session was not verified with Stripe")
    }
}

/// Issue 16 item 7: SMTP is encrypted by default off the machine, credentials in the URL count as
/// credentials, and the URL's user-info never reaches a log line or an error message.
@Suite("Security: SMTP settings")
struct SMTPSettingsTests {
    static func notifier(_ settings: [String: String]) throws -> (TemporaryDirectory, ServiceProcess) {
        let dir = try TemporaryDirectory()
        let env = ServiceProcess.environment(in: dir, extra: ["SHOP_LOG_LEVEL": "info"].merging(settings) { $1 })
        return (dir, try ServiceProcess("notifier", environment: env, logDirectory: dir))
    }

    static func configured(_ process: ServiceProcess) throws -> String {
        var line = ""
        try waitUntil("notifier configured") {
            line = process.log.split(separator: "\n").first { $0.contains("notifier configured") }.map(String.init) ?? ""
            return !line.isEmpty
        }
        return line
    }

    @Test("STARTTLS is required by default for a remote smtp:// server, off by default on loopback without credentials")
    func startTLSDefaults() throws {
        // (Each directory is kept until the end: the logs live in it.)
        let (d1, remote) = try Self.notifier(["SMTP_URL": "smtp://mail.example:25"])
        #expect(try Self.configured(remote).contains(#""smtp.starttls":"require""#))
        let (d2, local) = try Self.notifier(["SMTP_URL": "smtp://127.0.0.1:2525"])
        #expect(try Self.configured(local).contains(#""smtp.starttls":"off""#))
        let (d3, localLogin) = try Self.notifier(["SMTP_URL": "smtp://relay:pw0123456789@127.0.0.1:2525"])
        #expect(try Self.configured(localLogin).contains(#""smtp.starttls":"require""#))
        withExtendedLifetime((d1, d2, d3)) {}
    }

    @Test("credentials in SMTP_URL's user-info count for the clear-text guard, and never reach a message or a log line")
    func urlCredentials() throws {
        let dir = try TemporaryDirectory()
        let env = ServiceProcess.environment(in: dir)
        var r = try runCommand(Binaries.path("notifier"), ["serve"],
                               environment: env.merging(["SMTP_URL": "smtp://mailer:hunter2secretpw@mail.example:25", "SMTP_STARTTLS": "off"]) { $1 })
        #expect(r.status == 78 && r.stderr.contains("SMTP_STARTTLS"), "\(r.stderr)")
        #expect(!r.stderr.contains("hunter2secretpw"))
        r = try runCommand(Binaries.path("notifier"), ["serve"],
                           environment: env.merging(["SMTP_URL": "smtpx://mailer:hunter2secretpw@mail.example:25"]) { $1 })
        #expect(r.status == 78 && r.stderr.contains("SMTP_URL"), "\(r.stderr)")
        #expect(!r.stderr.contains("hunter2secretpw"))

        let (logDir, process) = try Self.notifier(["SMTP_URL": "smtps://mailer:hunter2secretpw@mail.example:465"])
        let line = try Self.configured(process)
        #expect(line.contains("smtps://[redacted]@mail.example:465"), "\(line)")
        #expect(!process.log.contains("hunter2secretpw"))
        withExtendedLifetime(logDir) {}
    }
}

/// Issue 16 item 6 (without the pages' CSP): POSTs are same-site JSON, operator endpoints need a token.
@Suite("Security: same-site JSON and operator endpoints")
struct BrowserHardeningTests {
    @Test("a cross-site POST (Sec-Fetch-Site or a foreign Origin) is 403 and creates nothing; a non-JSON POST is 415; the shop's own pages pass")
    func crossSiteAndContentType() throws {
        let stack = try FullStack(webhooks: false)
        let body = FullStack.orderBody()
        for headers in [[("Sec-Fetch-Site", "cross-site")], [("Sec-Fetch-Site", "same-site")], [("Origin", "https://attacker.example")],
                        [("Origin", "null")], [("Origin", "http://127.0.0.1:\(stack.port).attacker.example")]] {
            let r = try stack.http.postJSON("/api/orders", body, headers: headers)
            #expect(r.status == 403 && r.errorCode == "cross_site_request", "\(headers): \(r)")
        }
        #expect(try stack.count("fulfillment", "SELECT count(*) FROM orders") == 0)
        // Pay-again is a POST too: no Content-Type (a plain form or fetch without headers) is 415.
        let noType = try stack.http.send("POST", "/api/orders/ord_x/payment")
        #expect(noType.status == 415 && noType.errorCode == "unsupported_media_type", "\(noType)")
        let form = try stack.http.send("POST", "/api/orders/ord_x/payment", headers: [("Content-Type", "text/plain")], body: Array("{}".utf8))
        #expect(form.status == 415, "\(form)")
        // What the shop's own page sends in a browser.
        let own = try stack.http.postJSON("/api/orders", body, headers: [("Sec-Fetch-Site", "same-origin"),
                                                                        ("Origin", "http://127.0.0.1:\(stack.port)")])
        #expect(own.status == 201, "\(own)")
        // The webhook endpoint is not a browser endpoint: Stripe's deliveries are judged by signature only.
        let hook = try stack.http.send("POST", "/webhooks/stripe", headers: [("Content-Type", "text/plain"), ("Origin", "https://stripe.com")],
                                       body: Array("{}".utf8))
        #expect(hook.status == 400 && hook.errorValue("reason") == "missing_header", "\(hook)")
    }

    @Test("the public port has no operator surface: /metrics is 404, /readyz says only ready or not; the console serves both, to a token only; a retired GATEWAY_OPERATOR_TOKEN is a warning")
    func operatorEndpoints() throws {
        let stack = try FullStack(webhooks: false)
        let bearer = [("Authorization", "Bearer test-operator-token-0123456789abcdef")]
        var r = try stack.http.get("/metrics", headers: bearer)
        #expect(r.status == 404, "\(r)")
        for headers in [[], bearer, TestConsole.readAuth] {
            r = try stack.http.get("/readyz", headers: headers)
            #expect(r.status == 200 && r.json["status"] as? String == "ok", "\(r)")
            #expect(r.json["services"] == nil && !r.text.contains("payments"), "\(r)")
        }

        let console = HTTPTestClient(port: try TestConsole.port(of: stack.gateway))
        for path in ["/admin/api/metrics", "/admin/api/readiness"] {
            r = try console.get(path)
            #expect(r.status == 401 && r.header("WWW-Authenticate") == "Bearer", "\(path): \(r)")
            r = try console.get(path, headers: bearer)
            #expect(r.status == 401, "\(path): \(r)")
        }
        r = try TestConsole.metrics(stack.gateway)
        #expect(r.status == 200 && r.text.contains("gateway_http_requests_total"), "\(r)")
        r = try TestConsole.readiness(stack.gateway)
        #expect((r.json["services"] as? [String: Any])?["payments"] != nil, "\(r)")

        // An upgraded deployment that still sets the old token starts, and is told where its job went.
        let upgraded = try stack.replace(stack.gateway, overrides: ["GATEWAY_OPERATOR_TOKEN": "test-operator-token-0123456789abcdef"])
        try waitUntil("the retired-variable warning") {
            upgraded.log.split(separator: "\n").contains {
                $0.contains(#""level":"warn""#) && $0.contains("GATEWAY_OPERATOR_TOKEN") && $0.contains("/admin/api/metrics")
            }
        }
        #expect(!upgraded.log.contains("test-operator-token"), "the old token's value reached the log")
        r = try HTTPTestClient(port: try GatewayListenerTests.port(of: upgraded)).get("/metrics", headers: bearer)
        #expect(r.status == 404, "\(r)")
    }
}

/// Issue 16 item 4: rates per client address, units per order, open unpaid orders per email and address.
@Suite("Security: abuse limits")
struct AbuseLimitTests {
    @Test("order creation over the per-address rate is 429 with Retry-After and creates nothing; return pages too")
    func rates() throws {
        let stack = try FullStack(webhooks: false, environment: ["GATEWAY_RATE_ORDERS_PER_MINUTE": "2",
                                                                 "GATEWAY_RATE_LOOKUPS_PER_MINUTE": "3"])
        for i in 0..<2 { _ = try stack.create(email: "rate\(i)@example.com") }
        let over = try stack.http.postJSON("/api/orders", FullStack.orderBody(email: "rate9@example.com"))
        #expect(over.status == 429 && over.errorCode == "rate_limited", "\(over)")
        let wait = Int(over.header("Retry-After") ?? "") ?? 0
        #expect((1...30).contains(wait), "Retry-After \(wait)")
        #expect(try stack.count("fulfillment", "SELECT count(*) FROM orders") == 2)
        // A client cannot dodge it with a made-up X-Forwarded-For: the gateway trusts no proxy by default.
        let spoofed = try stack.http.postJSON("/api/orders", FullStack.orderBody(email: "rate8@example.com"),
                                              headers: [("X-Forwarded-For", "203.0.113.9")])
        #expect(spoofed.status == 429, "\(spoofed)")

        for _ in 0..<3 { #expect(try stack.http.get("/stripe_return?session_id=cs_test_x").status == 303) }
        let lookups = try stack.http.get("/stripe_return?session_id=cs_test_x")
        #expect(lookups.status == 429 && lookups.header("Retry-After") != nil, "\(lookups)")
        #expect((try stack.metric(#"gateway_rate_limited_total{bucket="orders"}"#) ?? 0) == 2)
        #expect((try stack.metric(#"gateway_rate_limited_total{bucket="lookups"}"#) ?? 0) == 1)
    }

    @Test("behind a trusted proxy each X-Forwarded-For client has its own allowance")
    func trustedProxy() throws {
        let stack = try FullStack(webhooks: false, environment: ["GATEWAY_RATE_ORDERS_PER_MINUTE": "1",
                                                                 "GATEWAY_TRUSTED_PROXIES": "127.0.0.1"])
        let a = [("X-Forwarded-For", "203.0.113.1")], b = [("X-Forwarded-For", "198.51.100.7, 203.0.113.2")]
        #expect(try stack.http.postJSON("/api/orders", FullStack.orderBody(email: "a1@example.com"), headers: a).status == 201)
        #expect(try stack.http.postJSON("/api/orders", FullStack.orderBody(email: "a2@example.com"), headers: a).status == 429)
        #expect(try stack.http.postJSON("/api/orders", FullStack.orderBody(email: "b1@example.com"), headers: b).status == 201)
        let addresses = try stack.rows("fulfillment", "SELECT client_address FROM orders ORDER BY created_at")
        #expect(addresses == ["203.0.113.1", "203.0.113.2"])
    }

    @Test("units per order are capped (422 too_many_units); open unpaid orders per email and per address are capped (429), an idempotent retry is not")
    func orderCaps() throws {
        let stack = try FullStack(webhooks: false, environment: ["ORDER_MAX_UNITS": "5", "ORDER_MAX_OPEN_PER_EMAIL": "2",
                                                                 "ORDER_MAX_OPEN_PER_CLIENT": "3"])
        let big = try stack.http.postJSON("/api/orders", FullStack.orderBody(sku: "sticker", quantity: 6))
        #expect(big.status == 422 && big.errorValue("reason") == "too_many_units", "\(big)")

        let first = try stack.http.postJSON("/api/orders", FullStack.orderBody(email: "Same@Example.com"), headers: [("Idempotency-Key", "cart-1")])
        #expect(first.status == 201, "\(first)")
        _ = try stack.create(email: "same@example.com")
        let third = try stack.http.postJSON("/api/orders", FullStack.orderBody(email: "same@example.com"))
        #expect(third.status == 429 && third.errorValue("reason") == "open_orders_per_email" && third.header("Retry-After") != nil, "\(third)")
        // The same cart retried with its key is the same order, not a new one.
        let retried = try stack.http.postJSON("/api/orders", FullStack.orderBody(email: "Same@Example.com"), headers: [("Idempotency-Key", "cart-1")])
        #expect(retried.status == 201 && retried.json["order_id"] as? String == first.json["order_id"] as? String, "\(retried)")

        _ = try stack.create(email: "other@example.com")
        let fourth = try stack.http.postJSON("/api/orders", FullStack.orderBody(email: "yet-another@example.com"))
        #expect(fourth.status == 429 && fourth.errorValue("reason") == "open_orders_per_client", "\(fourth)")
        #expect(try stack.count("fulfillment", "SELECT count(*) FROM orders") == 3)
    }
}

/// Issue 16 item 5: with SHOP_SERVICE_UIDS each service checks who is calling (SO_PEERCRED). The test
/// process plays one service at a time by mapping its own uid to that service's name.
@Suite("Security: callers checked by uid")
struct PeerCredentialTests {
    static let me = getuid()

    /// `SHOP_SERVICE_UIDS` with this process's uid as `as` and unused uids for the others.
    static func uids(as name: String) -> String {
        var next: UInt32 = 60_001
        return ["gateway", "payments", "fulfillment", "notifier"].map { service -> String in
            if service == name { return "\(service)=\(me)" }
            defer { next += 1 }
            return "\(service)=\(next)"
        }.joined(separator: ",")
    }

    static func paymentEvent(_ order: Order) throws -> Envelope {
        let data = try RawJSON(encoding: PaymentEvent(orderID: order.orderID, stripeEventID: "evt_peer_" + ShopStack.randomSuffix(),
                                                      stripeCreated: 1, source: "webhook", paymentIntentID: "pi_peer_1",
                                                      amount: order.amount, currency: order.currency, status: "succeeded"))
        let payload = #"{"event_id":"evt_peer_\#(ShopStack.randomSuffix())","publisher":"payments","key":"\#(order.orderID)","occurred_at":1,"data":"#
            + data.description + "}"
        return Envelope(kind: .event, type: "payment_intent.succeeded", payload: try RawJSON(validating: Array(payload.utf8)))
    }

    @Test("fulfillment takes a payment event only from payments' uid, and order requests only from the gateway's")
    func fulfillmentChecksCallers() throws {
        let s = try ShopStack()
        var fulfillment = try s.start("fulfillment", ["CATALOG_FILE": try s.catalogFile(ShopStack.testCatalog),
                                                      "SHOP_SERVICE_UIDS": Self.uids(as: "gateway")])
        // As the gateway: orders yes, payment events no.
        let order = try s.createOrder([("tee", 1)])
        let forged = try BlockingClient.call(path: s.socket("fulfillment"), message: try Self.paymentEvent(order), timeoutMs: 10_000)
        #expect(forged.error?.code == "permission_denied", "\(forged)")
        #expect(try s.sql("fulfillment", "SELECT status FROM orders WHERE order_id = '\(order.orderID)'") == ["awaiting_payment"])
        #expect(fulfillment.log.contains("callers are checked by uid"))

        // As payments: the event is applied, an order request is refused; sys.* stays open to anyone.
        fulfillment.signal(SIGTERM)
        _ = fulfillment.waitForExit()
        fulfillment = try s.start("fulfillment", ["CATALOG_FILE": try s.catalogFile(ShopStack.testCatalog),
                                                  "SHOP_SERVICE_UIDS": Self.uids(as: "payments")])
        let applied = try BlockingClient.call(path: s.socket("fulfillment"), message: try Self.paymentEvent(order), timeoutMs: 10_000)
        #expect(applied.error == nil && applied.kind == .ack, "\(applied)")
        try s.waitUntil("fulfilled") { try s.sql("fulfillment", "SELECT status FROM orders WHERE order_id = '\(order.orderID)'") == ["fulfilled"] }
        let request = try s.callError("fulfillment", OrderMessages.get, GetOrderRequest(orderID: order.orderID))
        #expect(request?.code == "permission_denied", "\(String(describing: request))")
        let ping = try BlockingClient.call(path: s.socket("fulfillment"), message: .request("sys.ping"), timeoutMs: 5_000)
        #expect(ping.error == nil)
    }

    @Test("payments takes cancel and refund requests from fulfillment, and an operator's `payments refund` in its own container; nothing else but the gateway's")
    func paymentsChecksCallers() throws {
        let s = try ShopStack()
        // As fulfillment: cancelling an order's payment and refunding a late payment pass the check (the
        // answers are about the order, which payments never saw), a customer's request does not.
        var payments = try s.start("payments", ["STRIPE_WEBHOOK_SECRET": ShopStack.webhookSecret,
                                                "SHOP_SERVICE_UIDS": Self.uids(as: "fulfillment")])
        let cancel = try s.callError("payments", PaymentMessages.cancelPayment, CancelPaymentRequest(orderID: "ord_peer", reason: "abandoned"))
        #expect(cancel?.code != "permission_denied", "\(String(describing: cancel))")
        let refund = try s.callError("payments", PaymentMessages.refund, RefundRequest(orderID: "ord_peer", restock: false))
        #expect(refund != nil && refund?.code != "permission_denied", "\(String(describing: refund))")
        let config = try s.callError("payments", PaymentMessages.config, [String: String]())
        #expect(config?.code == "permission_denied", "\(String(describing: config))")

        // As payments itself (`docker compose exec payments payments refund ...`): its refund command gets
        // the service's answer, not a refusal; cancelling stays fulfillment's.
        payments.signal(SIGTERM)
        _ = payments.waitForExit()
        payments = try s.start("payments", ["STRIPE_WEBHOOK_SECRET": ShopStack.webhookSecret,
                                            "SHOP_SERVICE_UIDS": Self.uids(as: "payments")])
        let command = try s.command("payments", ["refund", "ord_peer"], ["SHOP_SERVICE_UIDS": Self.uids(as: "payments")])
        #expect(command.status != 0 && !command.stderr.contains("permission_denied") && !command.stderr.contains("accepted only from"),
                "\(command.stderr)")
        let foreignCancel = try s.callError("payments", PaymentMessages.cancelPayment, CancelPaymentRequest(orderID: "ord_peer", reason: "abandoned"))
        #expect(foreignCancel?.code == "permission_denied", "\(String(describing: foreignCancel))")
        withExtendedLifetime(payments) {}
    }

    @Test("notifier takes order events only from fulfillment's uid; without SHOP_SERVICE_UIDS a service says at warn that callers are not checked")
    func notifierChecksCallers() throws {
        let s = try ShopStack()
        let notifier = try s.start("notifier", ["SHOP_SERVICE_UIDS": Self.uids(as: "gateway")])
        let payload = #"{"event_id":"evt_peer_n1","publisher":"fulfillment","key":"ord_x","occurred_at":1,"data":{}}"#
        let event = Envelope(kind: .event, type: "order.fulfilled", payload: try RawJSON(validating: Array(payload.utf8)))
        let reply = try BlockingClient.call(path: s.socket("notifier"), message: event, timeoutMs: 10_000)
        #expect(reply.error?.code == "permission_denied", "\(reply)")
        #expect(try s.count("notifier", "SELECT count(*) FROM inbox_events") == 0)
        withExtendedLifetime(notifier) {}

        let other = try ShopStack()
        let unchecked = try other.start("notifier")
        try other.waitUntil("the start-up warning") {
            unchecked.log.split(separator: "\n").contains { $0.contains(#""level":"warn""#) && $0.contains("callers are not checked") }
        }
        let bad = try other.command("notifier", ["serve"], ["SHOP_SERVICE_UIDS": "gateway=1,mailer=2"])
        #expect(bad.status == 78 && bad.stderr.contains("SHOP_SERVICE_UIDS"), "\(bad.stderr)")
    }
}
