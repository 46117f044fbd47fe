import Foundation
import Stripe
import Testing

/// The live-key rules of `LiveModeGuard`, and the client's last guard: a live key never leaves for any
/// host but api.stripe.com, whatever its configuration says.
@Suite("Live mode guard")
struct LiveModeGuardTests {
    @Test("a live key is never sent to another host: no request reaches the server, the error says why")
    func liveKeyStaysHome() async throws {
        let server = try StubServer { _, _ in .respond(status: 200, body: #"{"id":"pi_x","object":"payment_intent"}"#) }
        defer { server.stop() }
        for key in ["sk_live_guardtest", "rk_live_guardtest"] {
            let client = StripeClient(StripeConfiguration(secretKey: key, apiBase: server.baseURL))
            let error = await #expect(throws: StripeError.self) {
                try await client.send("POST", "/v1/payment_intents", params: ["amount": 400], idempotencyKey: "k")
            }
            #expect(error?.attempts == 0)
            #expect(error?.message.contains("api.stripe.com") == true)
            #expect(error?.message.contains("guardtest") == false)
        }
        #expect(server.requests.isEmpty)
        // A test key against the same server is sent as usual.
        let test = StripeClient(StripeConfiguration(secretKey: "sk_test_guardtest", apiBase: server.baseURL))
        _ = try await test.send("GET", "/v1/payment_intents/pi_x")
        #expect(server.requests.count == 1)
    }

    @Test("which URLs may carry a live key", arguments: [
        ("https://api.stripe.com/v1/events", true),
        ("https://api.stripe.com.attacker.example/v1/events", false),
        ("https://api.stripe.com:8443/v1/events", false),
        ("https://api.stripe.com@attacker.example/v1/events", false),
        ("http://api.stripe.com/v1/events", false),
        ("http://127.0.0.1:12111/v1/events", false),
    ])
    func liveURLs(url: String, allowed: Bool) {
        #expect(LiveModeGuard.mayCarry("sk_live_x", to: url) == allowed)
        #expect(LiveModeGuard.mayCarry("sk_test_x", to: url))
    }

    @Test("every whsec_ literal in compose/, scripts/, bench/, docs/ and the README is a known public secret")
    func shippedSecretsAreListed() throws {
        let root = TestPaths.packageRoot
        var found: Set<String> = []
        let pattern = try NSRegularExpression(pattern: #"whsec_[A-Za-z0-9_]+(?![A-Za-z0-9_$])"#)
        var files = ["README.md"]
        for folder in ["compose", "scripts", "bench", "docs"] {
            let enumerator = FileManager.default.enumerator(atPath: root.appendingPathComponent(folder).path)
            while let path = enumerator?.nextObject() as? String { files.append(folder + "/" + path) }
        }
        for file in files {
            guard let text = try? String(contentsOf: root.appendingPathComponent(file), encoding: .utf8) else { continue }
            for match in pattern.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
                found.insert(String(text[Range(match.range, in: text)!]))
            }
        }
        #expect(found.contains("whsec_local_test_mode"), "the scan found the scripts/run secret")
        #expect(found.contains("whsec_compose_local_emulator"), "the scan found the compose dev secret")
        let unlisted = found.subtracting(LiveModeGuard.shippedWebhookSecrets)
        #expect(unlisted.isEmpty, "add these to LiveModeGuard.shippedWebhookSecrets: \(unlisted.sorted())")
    }

    @Test("live configuration problems name the variable and never the secret")
    func problems() {
        #expect(LiveModeGuard.problems(secretKey: "sk_test_x", webhookSecrets: ["whsec_local_test_mode"], apiBase: "http://x").isEmpty)
        #expect(LiveModeGuard.problems(secretKey: nil, webhookSecrets: ["whsec_local_test_mode"], apiBase: "http://x").isEmpty)
        #expect(LiveModeGuard.problems(secretKey: "sk_live_x", webhookSecrets: ["whsec_mine"], apiBase: "https://api.stripe.com").isEmpty)
        let both = LiveModeGuard.problems(secretKey: "sk_live_x", webhookSecrets: ["whsec_mine", "whsec_bench_secret"],
                                          apiBase: "https://api.stripe.com/v2")
        #expect(both.map(\.variable) == ["STRIPE_WEBHOOK_SECRET", "STRIPE_API_BASE"])
        #expect(!both.contains { $0.message.contains("whsec_") })
    }
}
