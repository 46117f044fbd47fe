import Storage

/// One kind of row that is pruned once it is older than the retention age (`SHOP_RETENTION_S`).
///
/// `prune` deletes (or empties) at most `limit` rows older than `cutoff` (milliseconds since the epoch,
/// as `Envelope.now()`) in one write transaction and returns how many it touched; the caller repeats it
/// until fewer than `limit` come back, so the writer is never held for long.
public struct RetentionRule: Sendable {
    public var name: String
    public var prune: @Sendable (Connection, _ cutoff: Int64, _ limit: Int) throws -> Int

    public init(name: String, prune: @escaping @Sendable (Connection, Int64, Int) throws -> Int) {
        self.name = name
        self.prune = prune
    }
}

extension RetentionRule {
    /// Outbox events every subscriber has acknowledged. Pending and dead deliveries (and their events)
    /// are never pruned, whatever their age: they still have work to do or wait for an operator.
    public static let deliveredOutbox = RetentionRule(name: "outbox") { c, cutoff, limit in
        // Oldest first, in `seq` order: old rows are at the front, so the scan stops early.
        let seqs = try c.query("""
            SELECT seq FROM outbox_events e
            WHERE e.created_at < ?
              AND NOT EXISTS (SELECT 1 FROM outbox_deliveries d WHERE d.event_seq = e.seq AND d.status <> 'delivered')
            ORDER BY seq LIMIT ?
            """, cutoff, limit).compactMap { $0.int("seq") }
        guard !seqs.isEmpty else { return 0 }
        // One statement text whatever the batch (the statement cache keeps it), the ids as a JSON array.
        let list = "[" + seqs.map(String.init).joined(separator: ",") + "]"
        _ = try c.execute("DELETE FROM outbox_deliveries WHERE event_seq IN (SELECT value FROM json_each(?))", list)
        return try c.execute("DELETE FROM outbox_events WHERE seq IN (SELECT value FROM json_each(?))", list)
    }

    /// Ids of applied events. Publishers redeliver an event only until it is acknowledged or dead
    /// (`SHOP_EVENT_MAX_AGE_S`, which the retention age must exceed), so an id older than the retention
    /// age can no longer meet a redelivery, except an operator's replay of an old dead letter.
    public static let inbox = RetentionRule(name: "inbox") { c, cutoff, limit in
        try c.execute("""
            DELETE FROM inbox_events WHERE event_id IN
              (SELECT event_id FROM inbox_events WHERE received_at < ? ORDER BY received_at LIMIT ?)
            """, cutoff, limit)
    }
}

extension EventSchema {
    /// Lets the inbox's retention find old ids without scanning the table (a later migration of each
    /// consuming service).
    public static let inboxRetentionIndexSQL = """
        CREATE INDEX inbox_by_received ON inbox_events(received_at);
        """
}
