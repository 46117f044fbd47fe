import ServiceKit
import Storage

/// fulfillment: owns orders and stock; fulfils each paid order exactly once.
enum FulfillmentService {
    static let spec = ServiceSpec(
        name: "fulfillment",
        summary: "owns orders and stock; fulfils paid orders exactly once",
        migrations: FulfillmentSchema.migrations,
        peers: ["notifier"])

    static func build(_ context: ServiceContext) throws -> ServiceParts {
        ServiceParts()
    }
}

/// The fulfillment database schema, as numbered migrations.
enum FulfillmentSchema {
    static let migrations = [
        Migration(1, "service metadata", """
            CREATE TABLE service_meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
            """),
    ]
}
