import Foundation
import Testing

/// The four real services and the local Stripe stand-in, wired as in production: the gateway on a free
/// loopback port, payments pointed at `stripe-emulator`. The base for full-stack tests of the public API
/// (the end-to-end payment flows build on it).
final class GatewayStack: @unchecked Sendable {
    // Safe: every property is set in init and never mutated.
    static let webhookSecret = "whsec_gateway_stack_tests"
    static let publishableKey = "pk_test_gateway_stack_tests"

    let dir: TemporaryDirectory
    let environment: [String: String]
    let emulator: StripeEmulatorProcess
    let services: [ServiceProcess]
    let gateway: ServiceProcess
    let port: Int
    let http: HTTPTestClient

    var baseURL: String { "http://127.0.0.1:\(port)" }

    init(environment extra: [String: String] = [:]) throws {
        dir = try TemporaryDirectory()
        emulator = try StripeEmulatorProcess(in: dir)
        var env = ServiceProcess.environment(in: dir, extra: [
            "SHOP_LOG_LEVEL": "info", "GATEWAY_PORT": "0",
            "STRIPE_SECRET_KEY": StripeEmulatorProcess.key, "STRIPE_PUBLISHABLE_KEY": Self.publishableKey,
            "STRIPE_WEBHOOK_SECRET": Self.webhookSecret, "STRIPE_API_BASE": emulator.baseURL,
        ])
        env.merge(extra) { _, new in new }
        environment = env
        var started: [ServiceProcess] = []
        for name in ["notifier", "fulfillment", "payments"] {
            started.append(try ServiceProcess(name, environment: env, logDirectory: dir))
        }
        services = started
        gateway = try ServiceProcess("gateway", environment: env, logDirectory: dir)
        port = try GatewayListenerTests.port(of: gateway)
        http = HTTPTestClient(port: port)
    }

    /// Every service's log, for a failure message.
    var logs: String {
        (services + [gateway]).map { "--- \($0.name)\n" + String($0.log.suffix(4000)) }.joined(separator: "\n")
    }
}

/// The gateway in front of the real services.
@Suite("Gateway with the real services", .serialized)
struct GatewayStackTests {
    @Test("the public /readyz is 200 ok when all four real services run, 503 unavailable once one stopped, naming none")
    func readiness() throws {
        let stack = try GatewayStack()
        var r = try stack.http.get("/readyz")
        #expect(r.status == 200 && r.json["status"] as? String == "ok", "\(r)\n\(stack.logs)")
        let notifier = try #require(stack.services.first { $0.name == "notifier" })
        notifier.signal(SIGTERM)
        _ = notifier.waitForExit()
        r = try stack.http.get("/readyz")
        #expect(r.status == 503 && r.json["status"] as? String == "unavailable", "\(r)")
        #expect(r.json["services"] == nil && !r.text.contains("notifier"), "the public answer names no service: \(r)")
    }

    @Test("the API answers through the real services: catalog, config, an order and its PaymentIntent")
    func throughTheServices() throws {
        let stack = try GatewayStack()
        let catalog = try stack.http.get("/api/catalog")
        #expect(catalog.status == 200, "\(catalog)\n\(stack.logs)")
        let config = try stack.http.get("/config")
        #expect(config.status == 200, "\(config)")
        #expect(config.json["publishableKey"] as? String == GatewayStack.publishableKey)
        let sku = try #require((catalog.json["products"] as? [[String: Any]])?.first?["sku"] as? String, "\(catalog)")
        let order = try stack.http.postJSON("/api/orders", #"{"items":[{"sku":"\#(sku)","quantity":1}],"email":"buyer@example.com"}"#,
                                            headers: [("X-Request-Id", "stack-order-1")])
        #expect(order.status == 201, "\(order)\n\(stack.logs)")
        let id = try #require(order.json["order_id"] as? String)
        #expect((order.json["client_secret"] as? String)?.contains("_secret_") == true)
        let fetched = try stack.http.get("/api/orders/\(id)")
        #expect(fetched.status == 200 && fetched.json["status"] as? String == "awaiting_payment", "\(fetched)")
        let unknown = try stack.http.postJSON("/api/orders", #"{"items":[{"sku":"no-such-sku","quantity":1}],"email":"buyer@example.com"}"#)
        #expect(unknown.status == 422, "\(unknown)")
        let webhook = try stack.http.send("POST", "/webhooks/stripe", headers: [("Stripe-Signature", "t=1,v1=00")], body: Array("{}".utf8))
        #expect(webhook.status == 400 && webhook.errorCode == "invalid_signature", "\(webhook)")
    }

    /// Runs `Scripts/gateway_schemathesis.py` (schemathesis from the tools venv: `SHOP_VENV_PYTHON`, else
    /// `.venv-tools/bin/python`) with the `not_a_server_error` check and bounded examples and time.
    @Test("schemathesis against the live gateway, every service up, finds no server error", .timeLimit(.minutes(10)))
    func schemathesis() throws {
        guard FileManager.default.isExecutableFile(atPath: VenvPython.path) else {
            Issue.record("no Python venv at \(VenvPython.path): create it and `pip install schemathesis` (or set SHOP_VENV_PYTHON)")
            return
        }
        let stack = try GatewayStack()
        let r = try runCommand(VenvPython.path, [VenvPython.script("gateway_schemathesis.py"), stack.baseURL, "20", "150"],
                               environment: VenvPython.environment, timeout: .seconds(300))
        // The report lists each failing operation as `____ METHOD /path ____` followed by the status.
        let failures = r.stdout.split(separator: "\n").filter { $0.hasPrefix("___") || $0.hasPrefix("[5") }
            .map { $0.trimmingCharacters(in: CharacterSet(charactersIn: "_ ")) }
        #expect(r.status == 0, """
            schemathesis found server errors:
            \(failures.joined(separator: "\n"))
            --- report (tail)
            \(r.stdout.suffix(6000))
            \(r.stderr.suffix(2000))
            \(stack.logs)
            """)
    }
}
