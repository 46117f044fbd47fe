import Storage

/// Tables of the durable event machinery, as SQL for a service's migrations.
public enum EventSchema {
    /// The outbox of a publishing service: events, and one delivery row per (event, subscriber).
    ///
    /// `seq` orders events as published; a delivery is `pending`, `delivered` (acked) or `dead`
    /// (gave up after the attempt or age bound; replayable).
    public static let outboxSQL = """
        CREATE TABLE outbox_events(
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            event_id TEXT NOT NULL UNIQUE,
            type TEXT NOT NULL,
            key TEXT NOT NULL,
            payload BLOB NOT NULL,
            trace_id TEXT,
            created_at INTEGER NOT NULL
        );
        CREATE TABLE outbox_deliveries(
            event_seq INTEGER NOT NULL REFERENCES outbox_events(seq),
            subscriber TEXT NOT NULL,
            key TEXT NOT NULL,
            status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'dead')),
            attempts INTEGER NOT NULL DEFAULT 0,
            next_attempt_at INTEGER NOT NULL,
            last_error TEXT,
            delivered_at INTEGER,
            PRIMARY KEY (event_seq, subscriber)
        ) WITHOUT ROWID;
        CREATE INDEX outbox_pending ON outbox_deliveries(subscriber, status, event_seq);
        CREATE INDEX outbox_pending_key ON outbox_deliveries(subscriber, key, status, event_seq);
        """

    /// Replaces the outbox's full indexes on deliveries with partial ones (a later migration of each
    /// publishing service, so existing databases change too).
    ///
    /// The relay and the health check only ever look for `pending` or `dead` deliveries, and those are a
    /// handful at any time while `delivered` ones pile up: indexing only the first two keeps the indexes
    /// a few pages deep, and marking a delivery delivered removes its index entries instead of moving
    /// them. Queries must name the status as a literal for SQLite to use a partial index.
    public static let partialOutboxIndexesSQL = """
        DROP INDEX outbox_pending;
        DROP INDEX outbox_pending_key;
        CREATE INDEX outbox_pending ON outbox_deliveries(subscriber, event_seq) WHERE status = 'pending';
        CREATE INDEX outbox_pending_key ON outbox_deliveries(subscriber, key, event_seq) WHERE status = 'pending';
        CREATE INDEX outbox_dead ON outbox_deliveries(event_seq) WHERE status = 'dead';
        """

    /// The inbox of a consuming service: each event id applied once.
    public static let inboxSQL = """
        CREATE TABLE inbox_events(
            event_id TEXT PRIMARY KEY,
            type TEXT NOT NULL,
            publisher TEXT NOT NULL,
            received_at INTEGER NOT NULL
        ) WITHOUT ROWID;
        """
}
