import Events
import Messages
import ServiceKit
import Storage
import Transport
import Wire

/// The console's questions to fulfillment: orders by filter, per-day figures, an order's timeline, and the
/// append-only audit log of operators' actions (kept here because fulfillment owns the orders those
/// actions are about, and the gateway keeps no data).
struct FulfillmentAdmin: Sendable {
    let database: Database

    /// The audit table. Triggers make it append-only: no row is ever deleted, and a row's result is
    /// written once.
    static let migration = Migration(11, "operator console: audit log, orders by creation", """
        CREATE TABLE admin_audit(
            id INTEGER PRIMARY KEY,
            request_key TEXT NOT NULL UNIQUE,
            at INTEGER NOT NULL,
            actor TEXT NOT NULL,
            action TEXT NOT NULL,
            target TEXT NOT NULL,
            parameters TEXT NOT NULL,
            result TEXT,
            http_status INTEGER,
            response TEXT,
            finished_at INTEGER
        );
        CREATE INDEX admin_audit_target ON admin_audit(target, id);
        CREATE TRIGGER admin_audit_no_delete BEFORE DELETE ON admin_audit
            BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
        CREATE TRIGGER admin_audit_write_once BEFORE UPDATE ON admin_audit
            WHEN OLD.result IS NOT NULL OR NEW.id IS NOT OLD.id OR NEW.request_key IS NOT OLD.request_key
                 OR NEW.at IS NOT OLD.at OR NEW.actor IS NOT OLD.actor OR NEW.action IS NOT OLD.action
                 OR NEW.target IS NOT OLD.target OR NEW.parameters IS NOT OLD.parameters
            BEGIN SELECT RAISE(ABORT, 'an audit entry is written once'); END;
        CREATE INDEX orders_created ON orders(created_at, order_id);
        """)

    func register(_ router: inout Router, context: ServiceContext) {
        router.on(AdminMessages.ordersList, AdminOrderQuery.self) { _, q in try await list(q) }
        router.on(AdminMessages.ordersDaily, AdminDailyQuery.self) { _, q in try await daily(q) }
        router.on(AdminMessages.timeline, AdminOrderRef.self) { _, r in try await timeline(r.orderID) }
        router.on(AdminMessages.health, AdminEmpty.self) { _, _ in
            AdminHealth(service: "fulfillment", outbox: try await database.read { c in try ServiceContext.adminBacklog(c) })
        }
        router.on(AdminMessages.auditBegin, AdminAuditBegin.self) { _, b in try await begin(b) }
        router.on(AdminMessages.auditFinish, AdminAuditFinish.self) { _, f in try await finish(f) }
        router.on(AdminMessages.auditList, AdminAuditQuery.self) { _, q in try await audit(q) }
        router.on(AdminMessages.stock, AdminEmpty.self) { _, _ in
            try await database.read { c in
                AdminStockList(products: try c.query("SELECT sku, name, stock, reserved, sold, active FROM products ORDER BY active DESC, position")
                    .map { r in
                        AdminStock(sku: r.string("sku") ?? "", name: r.string("name") ?? "", stock: Int(r.int("stock") ?? 0),
                                   reserved: Int(r.int("reserved") ?? 0), sold: Int(r.int("sold") ?? 0), active: r.int("active") == 1)
                    })
            }
        }
        router.on(AdminMessages.setStock, AdminStockRequest.self) { _, r in
            guard (0...Catalog.maxStock).contains(r.stock) else {
                throw WireError.invalidArgument("field 'stock' must be from 0 to \(Catalog.maxStock)")
            }
            return try await database.write { c in
                guard try Catalog.setStock(c, sku: r.sku, stock: r.stock) == 1 else {
                    throw WireError(code: "conflict", message: "no SKU '\(r.sku.prefix(64))', or fewer than its reserved units",
                                    reason: "stock_below_reserved")
                }
                let row = try c.queryOne("SELECT sku, name, stock, reserved, sold, active FROM products WHERE sku = ?", r.sku)!
                return AdminStock(sku: r.sku, name: row.string("name") ?? "", stock: Int(row.int("stock") ?? 0),
                                  reserved: Int(row.int("reserved") ?? 0), sold: Int(row.int("sold") ?? 0), active: row.int("active") == 1)
            }
        }
        context.registerAdminOutbox(&router)
    }

    // MARK: Orders

    /// The filter's WHERE clause and its parameters (the cursor excluded, so the totals cover every page).
    static func filter(_ q: AdminOrderQuery) throws(WireError) -> (String, [any SQLBindable]) {
        var clauses: [String] = [], parameters: [any SQLBindable] = []
        if let email = q.email, !email.isEmpty {
            clauses.append("lower(email) = lower(?)"); parameters.append(email)
        }
        if let status = q.status, !status.isEmpty {
            guard OrderStatus(rawValue: status) != nil else {
                throw .invalidArgument("field 'status' must be one of \(OrderStatus.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            clauses.append("status = ?"); parameters.append(status)
        }
        if let flow = q.flow, !flow.isEmpty {
            guard PaymentFlow(rawValue: flow) != nil else {
                throw .invalidArgument("field 'flow' must be one of \(PaymentFlow.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            clauses.append("flow = ?"); parameters.append(flow)
        }
        if let gte = q.createdGte { clauses.append("created_at >= ?"); parameters.append(gte) }
        if let lt = q.createdLt { clauses.append("created_at < ?"); parameters.append(lt) }
        return (clauses.isEmpty ? "1" : clauses.joined(separator: " AND "), parameters)
    }

    func list(_ q: AdminOrderQuery) async throws -> AdminOrderPage {
        let limit = q.limit ?? 50
        guard (1...200).contains(limit) else { throw WireError.invalidArgument("field 'limit' must be from 1 to 200") }
        let (whereClause, parameters) = try Self.filter(q)
        // Newest first; the cursor is the last row's (created_at, order_id), so pages never skip or repeat a
        // row however many orders arrive meanwhile.
        var pageClause = whereClause, pageParameters = parameters
        if let cursor = q.cursor, !cursor.isEmpty {
            let parts = cursor.split(separator: "~", maxSplits: 1)
            guard parts.count == 2, let created = Int64(parts[0]) else {
                throw WireError.invalidArgument("field 'cursor' is not a cursor this service issued")
            }
            pageClause += " AND (created_at < ? OR (created_at = ? AND order_id < ?))"
            pageParameters += [created, created, String(parts[1])]
        }
        let (pageWhere, pageValues) = (pageClause, pageParameters)
        return try await database.read { c in
            let rows = try c.query("""
                SELECT order_id, status, email, currency, amount, refunded_amount, flow, created_at, disputed FROM orders
                WHERE \(pageWhere) ORDER BY created_at DESC, order_id DESC LIMIT ?
                """, parameters: pageValues + [limit + 1])
            let orders = rows.prefix(limit).map { r in
                AdminOrderSummary(orderID: r.string("order_id") ?? "", status: r.string("status") ?? "", email: r.string("email") ?? "",
                                  currency: r.string("currency") ?? "", amount: Int(r.int("amount") ?? 0),
                                  refundedAmount: Int(r.int("refunded_amount") ?? 0), flow: r.string("flow") ?? "",
                                  createdAt: r.int("created_at") ?? 0, disputed: r.int("disputed") == 1)
            }
            let next = rows.count > limit ? orders.last.map { "\($0.createdAt)~\($0.orderID)" } : nil
            let totals = try c.query("""
                SELECT currency, COUNT(*) AS n, SUM(amount) AS amount FROM orders WHERE \(whereClause) GROUP BY currency ORDER BY currency
                """, parameters: parameters).map { r in
                AdminTotal(currency: r.string("currency") ?? "", orders: Int(r.int("n") ?? 0), amount: Int(r.int("amount") ?? 0))
            }
            return AdminOrderPage(orders: Array(orders), nextCursor: next, totals: totals)
        }
    }

    /// Statuses whose order was paid at some point.
    static let paidStatuses = "('paid', 'fulfilled', 'partially_refunded', 'refunded')"

    func daily(_ q: AdminDailyQuery) async throws -> AdminDailyReply {
        guard (1...366).contains(q.days) else { throw WireError.invalidArgument("field 'days' must be from 1 to 366") }
        let until = q.until ?? Envelope.now()
        let dayMs: Int64 = 86_400_000
        let from = (until / dayMs - Int64(q.days - 1)) * dayMs
        return try await database.read { c in
            AdminDailyReply(days: try c.query("""
                SELECT strftime('%Y-%m-%d', created_at / 1000, 'unixepoch') AS day, currency, COUNT(*) AS n,
                       SUM(CASE WHEN status IN \(Self.paidStatuses) THEN amount ELSE 0 END) AS revenue
                FROM orders WHERE created_at >= ? AND created_at < ? GROUP BY day, currency ORDER BY day, currency
                """, from, until + 1).map { r in
                AdminDay(day: r.string("day") ?? "", currency: r.string("currency") ?? "", orders: Int(r.int("n") ?? 0),
                         revenue: Int(r.int("revenue") ?? 0))
            })
        }
    }

    // MARK: Timeline

    func timeline(_ orderID: String) async throws -> AdminTimeline {
        try await database.read { c in
            guard try c.queryOne("SELECT 1 FROM orders WHERE order_id = ?", orderID) != nil else {
                throw WireError.notFound("no order '\(orderID.prefix(64))'")
            }
            var entries: [AdminTimelineEntry] = []
            for r in try c.query("SELECT status, at, cause, note FROM order_history WHERE order_id = ? ORDER BY id", orderID) {
                let note = r.string("note").map { ": \($0)" } ?? ""
                entries.append(AdminTimelineEntry(at: r.int("at") ?? 0, source: "fulfillment", kind: "status",
                                                  summary: "\(r.string("status") ?? "") (\(r.string("cause") ?? ""))\(note)"))
            }
            for r in try c.query("SELECT stripe_event_id, type, outcome, note, received_at FROM payment_events WHERE order_id = ?", orderID) {
                let note = r.string("note").map { ": \($0)" } ?? ""
                entries.append(AdminTimelineEntry(at: r.int("received_at") ?? 0, source: "fulfillment", kind: "payment",
                                                  summary: "\(r.string("type") ?? "") applied: \(r.string("outcome") ?? "")\(note)"))
            }
            for r in try c.query("SELECT fulfilled_at, cause FROM fulfilments WHERE order_id = ?", orderID) {
                entries.append(AdminTimelineEntry(at: r.int("fulfilled_at") ?? 0, source: "fulfillment", kind: "fulfilment",
                                                  summary: "fulfilled (\(r.string("cause") ?? ""))"))
            }
            for r in try c.query("SELECT refund_id, status, amount, currency, at FROM order_refunds WHERE order_id = ?", orderID) {
                entries.append(AdminTimelineEntry(at: r.int("at") ?? 0, source: "fulfillment", kind: "refund",
                                                  summary: "refund \(r.string("refund_id") ?? "") \(r.string("status") ?? ""): "
                                                      + "\(r.int("amount") ?? 0) \(r.string("currency") ?? "")"))
            }
            for r in try c.query("""
                SELECT at, actor, action, result FROM admin_audit WHERE target = ? ORDER BY id
                """, "order:" + orderID) {
                entries.append(AdminTimelineEntry(at: r.int("at") ?? 0, source: "console", kind: "operator",
                                                  summary: "\(r.string("actor") ?? "") asked: \(r.string("action") ?? "") → "
                                                      + (r.string("result") ?? "no result recorded")))
            }
            return AdminTimeline(entries: entries)
        }
    }

    // MARK: Audit

    static func entry(_ r: Row) -> AdminAuditEntry {
        AdminAuditEntry(id: r.int("id") ?? 0, at: r.int("at") ?? 0, actor: r.string("actor") ?? "", action: r.string("action") ?? "",
                        target: r.string("target") ?? "", parameters: r.string("parameters") ?? "", result: r.string("result"),
                        httpStatus: r.int("http_status").map { Int($0) }, response: r.string("response"),
                        finishedAt: r.int("finished_at"))
    }

    func begin(_ b: AdminAuditBegin) async throws -> AdminAuditEntry {
        guard (1...300).contains(b.requestKey.utf8.count), !b.actor.isEmpty, !b.action.isEmpty else {
            throw WireError.invalidArgument("fields 'request_key', 'actor' and 'action' are required")
        }
        let now = Envelope.now()
        return try await database.write { c in
            try c.execute("""
                INSERT INTO admin_audit(request_key, at, actor, action, target, parameters) VALUES (?, ?, ?, ?, ?, ?)
                ON CONFLICT(request_key) DO NOTHING
                """, b.requestKey, now, b.actor, b.action, b.target, b.parameters)
            let row = try c.queryOne("SELECT * FROM admin_audit WHERE request_key = ?", b.requestKey)!
            let entry = Self.entry(row)
            if entry.action != b.action || entry.target != b.target || entry.parameters != b.parameters {
                throw WireError(code: "conflict", message: "this request id was already used for another action",
                                reason: "idempotency_key_reused")
            }
            return entry
        }
    }

    func finish(_ f: AdminAuditFinish) async throws -> AdminAuditEntry {
        let now = Envelope.now()
        return try await database.write { c in
            try c.execute("""
                UPDATE admin_audit SET result = ?, http_status = ?, response = ?, finished_at = ? WHERE id = ? AND result IS NULL
                """, f.result, f.httpStatus, f.response, now, f.id)
            guard let row = try c.queryOne("SELECT * FROM admin_audit WHERE id = ?", f.id) else {
                throw WireError.notFound("no audit entry \(f.id)")
            }
            return Self.entry(row)
        }
    }

    func audit(_ q: AdminAuditQuery) async throws -> AdminAuditPage {
        let limit = q.limit ?? 100
        guard (1...500).contains(limit) else { throw WireError.invalidArgument("field 'limit' must be from 1 to 500") }
        return try await database.read { c in
            var sql = "SELECT * FROM admin_audit WHERE id < ?"
            var parameters: [any SQLBindable] = [q.before ?? Int64.max]
            if let target = q.target { sql += " AND target = ?"; parameters.append(target) }
            sql += " ORDER BY id DESC LIMIT ?"
            parameters.append(limit)
            return AdminAuditPage(entries: try c.query(sql, parameters: parameters).map(Self.entry))
        }
    }
}
