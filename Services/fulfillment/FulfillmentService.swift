import Events
import ServiceKit
import Storage
import Transport

/// fulfillment: owns orders and stock; fulfils each paid order exactly once.
enum FulfillmentService {
    static let spec = ServiceSpec(
        name: "fulfillment",
        summary: "owns orders and stock; fulfils paid orders exactly once",
        migrations: FulfillmentSchema.migrations,
        peers: ["notifier"],
        emits: Subscriptions.table.emitted(by: "fulfillment"),
        consumes: Subscriptions.table.consumed(by: "fulfillment"),
        commands: [.events])

    static func build(_ context: ServiceContext) throws -> ServiceParts {
        let outbox = Outbox(publisher: "fulfillment")
        return context.publishingParts(outbox, router: Router())
    }
}

/// The fulfillment database schema, as numbered migrations.
enum FulfillmentSchema {
    static let migrations = [
        Migration(1, "service metadata", """
            CREATE TABLE service_meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
            """),
        Migration(2, "outbox and inbox", EventSchema.outboxSQL + EventSchema.inboxSQL),
    ]
}
