import Events
import Storage

/// The notifier database schema, as numbered migrations.
enum NotifierSchema {
    static let migrations = [
        Migration(1, "service metadata", """
            CREATE TABLE service_meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
            """),
        Migration(2, "inbox", EventSchema.inboxSQL),
        // One row per (order event, channel): what to send, to whom, and how it went. The payload is
        // rendered when the event is consumed (the email's bytes, the merchant post's JSON body), so a
        // retry or a resend after a crash sends exactly the same bytes (same Message-ID, same Date).
        Migration(3, "deliveries", """
            CREATE TABLE deliveries(
                event_id TEXT NOT NULL,
                channel TEXT NOT NULL CHECK (channel IN ('email', 'webhook')),
                event_type TEXT NOT NULL,
                order_id TEXT NOT NULL,
                recipient TEXT NOT NULL,
                payload BLOB NOT NULL,
                status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed_permanent')),
                attempts INTEGER NOT NULL DEFAULT 0,
                next_attempt_at INTEGER NOT NULL,
                last_error TEXT,
                created_at INTEGER NOT NULL,
                delivered_at INTEGER,
                PRIMARY KEY (event_id, channel)
            ) WITHOUT ROWID;
            CREATE INDEX deliveries_due ON deliveries(status, next_attempt_at);
            """),
        Migration(4, "inbox index for retention", EventSchema.inboxRetentionIndexSQL),
        // The console's order timeline and "send the last email again" look deliveries up by order.
        Migration(5, "operator console: deliveries by order", """
            CREATE INDEX deliveries_by_order ON deliveries(order_id, created_at);
            """),
    ]
}
