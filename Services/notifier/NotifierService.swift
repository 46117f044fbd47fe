import Events
import ServiceKit
import Storage

/// notifier: tells customers (email) and the merchant (signed webhook) about orders, once each.
enum NotifierService {
    static let spec = ServiceSpec(
        name: "notifier",
        summary: "emails customers and posts signed events to the merchant",
        migrations: NotifierSchema.migrations,
        consumes: Subscriptions.table.consumed(by: "notifier"))

    static func build(_ context: ServiceContext) throws -> ServiceParts {
        ServiceParts()
    }
}

/// The notifier database schema, as numbered migrations.
enum NotifierSchema {
    static let migrations = [
        Migration(1, "service metadata", """
            CREATE TABLE service_meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
            """),
        Migration(2, "inbox", EventSchema.inboxSQL),
    ]
}
