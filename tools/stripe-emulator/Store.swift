import Storage

/// Persists the ``Ledger`` in a SQLite file (`EMULATOR_DB`), so state survives a restart. Every record
/// (Stripe object, idempotent result, webhook delivery) is one JSON row; the whole file is read back at
/// start. With `:memory:` there is no store and state lives only in the process.
final class Store: Sendable {
    private let db: Database

    static let migrations = [
        Migration(1, "records", """
            CREATE TABLE records(
                kind TEXT NOT NULL,
                id TEXT NOT NULL,
                seq INTEGER NOT NULL,
                json TEXT NOT NULL,
                PRIMARY KEY(kind, id));
            """),
    ]

    init(path: String) throws {
        db = try Database(path: path, migrations: Self.migrations)
    }

    /// Reads everything back into a fresh ledger.
    func load(into ledger: inout Ledger) throws {
        let rows = try db.readSync { c throws(SQLiteError) in try c.query("SELECT kind, id, seq, json FROM records ORDER BY seq") }
        for row in rows {
            guard let kind = row.string("kind"), let id = row.string("id"), let seq = row.int("seq"),
                  let text = row.string("json"), let object = try JSONParser.parse(text).object else { continue }
            switch kind {
            case "object":
                ledger.restore(object, seq: seq)
            case "idempotency":
                ledger.idempotency[id] = Ledger.IdempotentResult(
                    fingerprint: object.string("fingerprint") ?? "", status: Int(object.int("status") ?? 200),
                    body: Array((object.string("body") ?? "").utf8), created: object.int("created") ?? 0)
            case "delivery":
                if let d = Delivery(json: object, seq: seq) { ledger.deliveries[id] = d }
                ledger.restoreSequence(atLeast: seq)
            default:
                continue
            }
        }
    }

    /// Writes one operation's changes in one transaction.
    func save(_ changes: Ledger.Changes) async throws {
        guard !changes.isEmpty else { return }
        try await db.write { c in
            let upsert = "INSERT INTO records(kind, id, seq, json) VALUES (?, ?, ?, ?) ON CONFLICT(kind, id) DO UPDATE SET json = excluded.json"
            for o in changes.objects { try c.execute(upsert, "object", o.id, o.seq, o.json) }
            for id in changes.deletedObjects { try c.execute("DELETE FROM records WHERE kind = 'object' AND id = ?", id) }
            for r in changes.idempotency { try c.execute(upsert, "idempotency", r.key, Int64(0), r.json) }
            for d in changes.deliveries { try c.execute(upsert, "delivery", d.key, d.seq, d.json) }
        }
    }
}
