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
