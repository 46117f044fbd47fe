import Crypto
import Foundation
import Testing

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
                .merging(settings) { $1 })
            payments = try ServiceProcess("payments", environment: env, logDirectory: dir)
            gateway = try ServiceProcess("gateway", environment: env, logDirectory: dir)
            http = HTTPTestClient(port: try GatewayListenerTests.port(of: gateway))
        }

        func deliver(livemode: Bool, id: String = "evt_sec_" + ShopStack.randomSuffix()) throws -> HTTPTestClient.Response {
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

    @Test("a real key without STRIPE_WEBHOOK_SECRET: a warn line at start, `payments health` and the gateway's /readyz name the missing piece")
    func missingWebhookSecretIsLoud() throws {
        let stack = try WebhookStack(["STRIPE_SECRET_KEY": "sk_test_securitytest4"])
        try waitUntil("the start-up warning") {
            stack.payments.log.split(separator: "\n").contains { $0.contains(#""level":"warn""#) && $0.contains("STRIPE_WEBHOOK_SECRET") }
        }
        let health = try runCommand(Binaries.path("payments"), ["health"], environment: stack.payments.environment)
        #expect(health.stdout.contains("webhook_secret") && health.stdout.contains("STRIPE_WEBHOOK_SECRET"), "\(health.stdout)")
        let ready = try stack.http.get("/readyz")
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
