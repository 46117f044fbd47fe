import Events
import ServiceKit
import Storage
import Transport

/// payments: the only service that holds the Stripe secret key and calls Stripe; verifies webhooks and
/// turns them into durable events for fulfillment.
enum PaymentsService {
    static let spec = ServiceSpec(
        name: "payments",
        summary: "talks to Stripe, verifies webhooks, publishes payment events",
        migrations: PaymentsSchema.migrations,
        peers: ["fulfillment"],
        emits: Subscriptions.table.emitted(by: "payments"),
        commands: [.events])

    static func build(_ context: ServiceContext) throws -> ServiceParts {
        let outbox = Outbox(publisher: "payments")
        return context.publishingParts(outbox, router: Router())
    }
}

/// The payments database schema, as numbered migrations.
enum PaymentsSchema {
    static let migrations = [
        Migration(1, "service metadata", """
            CREATE TABLE service_meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
            """),
        Migration(2, "outbox", EventSchema.outboxSQL),
    ]
}
