import Messages
@testable import payments
import ServiceKit
import ServiceTesting
import Testing
import Transport
import Wire

/// payments built and served in the test's process, without Stripe keys.
@Suite("payments in-process")
struct PaymentsServiceTests {
    struct Empty: Encodable, Sendable {}

    static func build(_ context: ServiceContext) throws -> ServiceParts {
        try PaymentsService.build(config: try PaymentsConfig.read([:]), context: context)
    }

    @Test("without keys it serves, answers payments.config, and health names the missing Stripe key")
    func withoutKeys() async throws {
        try await LocalService.with(PaymentsService.spec, build: Self.build) { service in
            let client = service.client()
            let config: PaymentsConfigReply = try await client.call(PaymentMessages.config, Empty())
            #expect(config.publishableKey.isEmpty || config.publishableKey.hasPrefix("pk_"))
            let reply = try await client.send(.request("sys.health"))
            let report = try (reply.payload ?? .emptyObject).decode(HealthReport.self)
            #expect(report.status == .degraded)
            #expect(report.checks.first { $0.name == "stripe" }?.status == .degraded)
            #expect(report.checks.first { $0.name == "database" }?.status == .ok)
            #expect(report.checks.first { $0.name == "outbox" }?.status == .ok)
        }
    }

    @Test("a webhook is refused while no webhook secret is configured, and nothing is recorded")
    func webhookWithoutSecret() async throws {
        try await LocalService.with(PaymentsService.spec, build: Self.build) { service in
            await #expect(throws: ClientError.self) {
                let _: WebhookReply = try await service.client().call(PaymentMessages.webhook,
                                                                     WebhookRequest(bodyBase64: "e30=", signature: "t=1,v1=00"))
            }
            let recorded = try await service.context.database!.read { c in
                try c.queryOne("SELECT COUNT(*) AS n FROM stripe_events")?.int("n")
            }
            #expect(recorded == 0)
        }
    }
}
