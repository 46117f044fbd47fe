import Crypto
import Messages
import Storage
import Wire

/// Orders in the database: creation with stock reservation, loading, and the low-level transitions the
/// status machine and the expiry sweep are built from. Every function runs inside the caller's
/// transaction.
/// Limits on `orders.create` that keep a script from reserving the whole stock or using the shop for
/// card testing: units per order, and open unpaid orders per email and per client address.
struct OrderCaps: Sendable {
    var maxUnits = 100
    /// 0: no cap.
    var maxOpenPerEmail = 10
    /// 0: no cap.
    var maxOpenPerClient = 50
}

enum OrderStore {
    /// Validates a create request without touching the database, by the rules the gateway applies too.
    /// Throws `invalid_argument` naming the field.
    static func validate(_ request: CreateOrderRequest) throws(WireError) {
        if let violation = OrderRules.violation(items: request.items, email: request.email) {
            throw .invalidArgument("field '\(violation.field)': \(violation.message)")
        }
        if let hash = request.tokenHash, !OrderToken.isHash(hash) {
            throw .invalidArgument("field 'token_hash' must be 64 lowercase hex digits (a SHA-256)")
        }
        if let key = request.idempotencyKey {
            guard (1...255).contains(key.utf8.count), key.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F }) else {
                throw .invalidArgument("field 'idempotency_key' must be 1 to 255 printable ASCII characters")
            }
        }
    }

    /// What makes two create requests "the same" for an idempotency key.
    static func fingerprint(_ r: CreateOrderRequest) -> String {
        r.items.map { "\($0.sku)x\($0.quantity)" }.joined(separator: ",") + "|" + r.email + "|" + r.flow.rawValue
    }

    /// Prices the request from the catalog, reserves stock and stores the order, or returns the order an
    /// earlier request with the same idempotency key created.
    static func create(_ c: Connection, _ request: CreateOrderRequest, cause: String, ttlSeconds: Int,
                       now: Int64, caps: OrderCaps = OrderCaps()) throws -> Order {
        let fingerprint = fingerprint(request)
        if let key = request.idempotencyKey,
           let row = try c.queryOne("SELECT order_id, request_fingerprint FROM orders WHERE idempotency_key = ?", key) {
            guard row.string("request_fingerprint") == fingerprint else {
                throw WireError(code: .conflict, message: "idempotency_key was already used for a different order",
                                reason: "idempotency_key_reused")
            }
            let orderID = row.string("order_id") ?? ""
            try issueToken(c, hash: request.tokenHash, orderID: orderID, purpose: "create", now: now, expiresAt: nil)
            return try load(c, orderID)!
        }
        try checkCaps(c, request, caps)
        var lines: [OrderLine] = []
        var currency: String?
        for item in request.items {
            guard let p = try c.queryOne("SELECT name, unit_amount, currency FROM products WHERE sku = ? AND active = 1", item.sku) else {
                throw WireError.unprocessable("unknown SKU '\(item.sku)'", reason: "unknown_sku")
            }
            let unit = Int(p.int("unit_amount") ?? 0), cur = p.string("currency") ?? ""
            if let currency, currency != cur {
                throw WireError.unprocessable("an order is paid in one currency; '\(item.sku)' is priced in \(cur), not \(currency)",
                                              reason: "mixed_currencies")
            }
            currency = cur
            lines.append(OrderLine(sku: item.sku, name: p.string("name") ?? item.sku, quantity: item.quantity,
                                   unitAmount: unit, amount: unit * item.quantity))
        }
        let amount = lines.reduce(0) { $0 + $1.amount }
        guard amount <= Catalog.maxUnitAmount else {
            throw WireError.unprocessable("the order total \(amount) exceeds the largest chargeable amount \(Catalog.maxUnitAmount)",
                                          reason: "amount_too_large")
        }
        for line in lines {
            let took = try c.execute("UPDATE products SET reserved = reserved + ?1 WHERE sku = ?2 AND stock - reserved >= ?1",
                                     line.quantity, line.sku)
            guard took == 1 else {
                // Throwing rolls back this request's savepoint, including reservations made for earlier lines.
                throw WireError(code: .conflict, message: "not enough stock of '\(line.sku)' for \(line.quantity)",
                                reason: "out_of_stock")
            }
        }
        let orderID = "ord_" + MessageID.random().prefix(24)
        try c.execute("""
            INSERT INTO orders(order_id, status, email, currency, amount, flow, created_at, expires_at, updated_at,
                               reservation, idempotency_key, request_fingerprint, client_address)
            VALUES (?, 'awaiting_payment', ?, ?, ?, ?, ?, ?, ?, 'held', ?, ?, ?)
            """, orderID, request.email, currency!, amount, request.flow.rawValue, now, now + Int64(ttlSeconds) * 1000, now,
            request.idempotencyKey, fingerprint, request.clientAddress.map { String($0.prefix(64)) })
        for (n, line) in lines.enumerated() {
            try c.execute("""
                INSERT INTO order_lines(order_id, line_no, sku, name, quantity, unit_amount, amount) VALUES (?, ?, ?, ?, ?, ?, ?)
                """, orderID, n, line.sku, line.name, line.quantity, line.unitAmount, line.amount)
        }
        try recordTransition(c, orderID, .awaitingPayment, cause: cause, note: nil, now: now)
        try issueToken(c, hash: request.tokenHash, orderID: orderID, purpose: "create", now: now, expiresAt: nil)
        return try load(c, orderID)!
    }

    /// Records the hash of a token issued for `orderID` (nothing when `hash` is nil).
    static func issueToken(_ c: Connection, hash: String?, orderID: String, purpose: String, now: Int64,
                           expiresAt: Int64?) throws {
        guard let hash else { return }
        try c.execute("""
            INSERT OR IGNORE INTO order_tokens(token_hash, order_id, purpose, created_at, expires_at) VALUES (?, ?, ?, ?, ?)
            """, hash, orderID, purpose, now, expiresAt)
    }

    /// A new token for a customer's pay-again link, valid for ``linkTokenLifetimeMs``; only its hash is kept.
    static func issueLinkToken(_ c: Connection, orderID: String, now: Int64) throws -> String {
        let token = OrderToken.make()
        try issueToken(c, hash: OrderToken.hash(token), orderID: orderID, purpose: "email", now: now,
                       expiresAt: now + linkTokenLifetimeMs)
        return token
    }

    /// How long the token in a customer email's link stays valid: seven days.
    static let linkTokenLifetimeMs: Int64 = 7 * 24 * 3600 * 1000

    /// Whether a token with hash `hash` was issued for `orderID` and has not expired.
    static func tokenGrants(_ c: Connection, hash: String, orderID: String, now: Int64) throws -> Bool {
        try c.queryOne("""
            SELECT 1 AS ok FROM order_tokens WHERE token_hash = ? AND order_id = ? AND (expires_at IS NULL OR expires_at > ?)
            """, hash, orderID, now) != nil
    }

    /// Refuses an order over the units cap (`unprocessable`, reason `too_many_units`) or one more open
    /// unpaid order than the caps allow (`resource_exhausted`, the gateway's 429; it frees up as orders
    /// are paid or expire). A retried request with its idempotency key never gets here.
    static func checkCaps(_ c: Connection, _ request: CreateOrderRequest, _ caps: OrderCaps) throws {
        let units = request.items.reduce(0) { $0 + $1.quantity }
        guard units <= caps.maxUnits else {
            throw WireError(code: .unprocessable, message: "field 'items': \(units) units in one order; at most \(caps.maxUnits)",
                            reason: "too_many_units")
        }
        // The literal status list matches the partial indexes' (SQLite uses them only then).
        if caps.maxOpenPerEmail > 0 {
            let open = try c.queryOne("""
                SELECT count(*) AS n FROM orders WHERE lower(email) = ? AND status IN ('awaiting_payment', 'processing', 'payment_failed')
                """, request.email.lowercased())?.int("n") ?? 0
            guard open < caps.maxOpenPerEmail else {
                throw WireError(code: .resourceExhausted, message: "this email address has \(open) unpaid orders open; pay or let "
                                + "them expire first", retryable: true, reason: "open_orders_per_email")
            }
        }
        if caps.maxOpenPerClient > 0, let client = request.clientAddress {
            let open = try c.queryOne("""
                SELECT count(*) AS n FROM orders WHERE client_address = ?
                  AND status IN ('awaiting_payment', 'processing', 'payment_failed') AND client_address IS NOT NULL
                """, String(client.prefix(64)))?.int("n") ?? 0
            guard open < caps.maxOpenPerClient else {
                throw WireError(code: .resourceExhausted, message: "too many unpaid orders open from this address; pay or let "
                                + "them expire first", retryable: true, reason: "open_orders_per_client")
            }
        }
    }

    /// The order with its lines and history, or nil.
    static func load(_ c: Connection, _ orderID: String) throws -> Order? {
        guard let o = try c.queryOne("SELECT * FROM orders WHERE order_id = ?", orderID) else { return nil }
        let lines = try c.query("SELECT * FROM order_lines WHERE order_id = ? ORDER BY line_no", orderID).map { r in
            OrderLine(sku: r.string("sku") ?? "", name: r.string("name") ?? "", quantity: Int(r.int("quantity") ?? 0),
                      unitAmount: Int(r.int("unit_amount") ?? 0), amount: Int(r.int("amount") ?? 0))
        }
        let history = try c.query("SELECT * FROM order_history WHERE order_id = ? ORDER BY id", orderID).map { r in
            OrderTransition(status: OrderStatus(rawValue: r.string("status") ?? "") ?? .needsReview, at: r.int("at") ?? 0,
                            cause: r.string("cause") ?? "", note: r.string("note"))
        }
        return Order(orderID: orderID, status: OrderStatus(rawValue: o.string("status") ?? "") ?? .needsReview,
                     email: o.string("email") ?? "", currency: o.string("currency") ?? "", amount: Int(o.int("amount") ?? 0),
                     items: lines, flow: PaymentFlow(rawValue: o.string("flow") ?? "") ?? .paymentIntent,
                     createdAt: o.int("created_at") ?? 0, expiresAt: o.int("expires_at") ?? 0, history: history,
                     refundedAmount: o.int("refunds_seen") == 1 ? Int(o.int("refunded_amount") ?? 0) : nil,
                     disputed: o.string("dispute_id") == nil ? nil : o.int("disputed") == 1,
                     dispute: o.string("dispute_id").map { id in
                         OrderDispute(disputeID: id, status: o.string("dispute_status") ?? "", amount: Int(o.int("dispute_amount") ?? 0),
                                      currency: o.string("dispute_currency") ?? "", reason: o.string("dispute_reason"),
                                      dueBy: o.int("dispute_due_by"), fundsWithdrawn: o.int("dispute_funds_withdrawn") == 1,
                                      fundsReinstated: o.int("dispute_funds_reinstated") == 1)
                     })
    }

    /// Sets the status and appends the history entry.
    static func transition(_ c: Connection, _ orderID: String, to status: OrderStatus, cause: String, note: String?,
                           now: Int64) throws {
        try c.execute("UPDATE orders SET status = ?, updated_at = ? WHERE order_id = ?", status.rawValue, now, orderID)
        try recordTransition(c, orderID, status, cause: cause, note: note, now: now)
    }

    private static func recordTransition(_ c: Connection, _ orderID: String, _ status: OrderStatus, cause: String,
                                         note: String?, now: Int64) throws {
        try c.execute("INSERT INTO order_history(order_id, status, at, cause, note) VALUES (?, ?, ?, ?, ?)",
                      orderID, status.rawValue, now, cause, note)
    }

    /// Gives a held reservation back (expiry, cancellation). A no-op unless the reservation is held.
    static func releaseReservation(_ c: Connection, _ orderID: String) throws {
        let changed = try c.execute("UPDATE orders SET reservation = 'released' WHERE order_id = ? AND reservation = 'held'", orderID)
        guard changed == 1 else { return }
        try c.execute("""
            UPDATE products SET reserved = reserved - l.quantity
            FROM (SELECT sku, quantity FROM order_lines WHERE order_id = ?) AS l WHERE products.sku = l.sku
            """, orderID)
    }

    /// Turns the order's units into sold ones. A held reservation is consumed; an order without one (never
    /// the case in the status machine, kept as a guard) takes from what is available. Returns false if the
    /// stock is not there, in which case nothing changed.
    static func commitStock(_ c: Connection, _ orderID: String) throws -> Bool {
        let reservation = try c.queryOne("SELECT reservation FROM orders WHERE order_id = ?", orderID)?.string("reservation")
        let lines = try c.query("SELECT sku, quantity FROM order_lines WHERE order_id = ?", orderID)
        switch reservation {
        case "held":
            for l in lines {
                try c.execute("UPDATE products SET stock = stock - ?1, reserved = reserved - ?1, sold = sold + ?1 WHERE sku = ?2",
                              l.int("quantity") ?? 0, l.string("sku") ?? "")
            }
        case "released":
            try c.executeScript("SAVEPOINT take_stock")
            for l in lines {
                let took = try c.execute("UPDATE products SET stock = stock - ?1, sold = sold + ?1 WHERE sku = ?2 AND stock - reserved >= ?1",
                                         l.int("quantity") ?? 0, l.string("sku") ?? "")
                if took != 1 {
                    try c.executeScript("ROLLBACK TO take_stock; RELEASE take_stock")
                    return false
                }
            }
            try c.executeScript("RELEASE take_stock")
        default:
            return false  // already consumed: never sell twice
        }
        try c.execute("UPDATE orders SET reservation = 'consumed' WHERE order_id = ?", orderID)
        return true
    }
}
