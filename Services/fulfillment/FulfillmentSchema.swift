import Events
import Storage

/// The fulfillment database schema, as numbered migrations.
///
/// Stock model (per SKU in `products`):
/// - `stock`: units on hand, not yet sold (includes reserved units);
/// - `reserved`: units held by open orders (`reserved <= stock`);
/// - `sold`: units fulfilled so far;
/// - available to new orders = `stock - reserved`.
/// `orders.create` adds to `reserved`; fulfilment moves the order's units from `stock`/`reserved` to
/// `sold` exactly once (guarded by `orders.reservation` and the `fulfilments` primary key); expiry and
/// cancellation give them back by lowering `reserved`.
enum FulfillmentSchema {
    static let migrations = [
        Migration(1, "service metadata", """
            CREATE TABLE service_meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
            """),
        Migration(2, "outbox and inbox", EventSchema.outboxSQL + EventSchema.inboxSQL),
        Migration(3, "catalog, orders, fulfilments", """
            CREATE TABLE products(
                sku TEXT PRIMARY KEY,
                name TEXT NOT NULL,
                description TEXT,
                unit_amount INTEGER NOT NULL CHECK (unit_amount > 0),
                currency TEXT NOT NULL,
                stock INTEGER NOT NULL CHECK (stock >= 0),
                reserved INTEGER NOT NULL DEFAULT 0 CHECK (reserved >= 0 AND reserved <= stock),
                sold INTEGER NOT NULL DEFAULT 0 CHECK (sold >= 0),
                position INTEGER NOT NULL,
                active INTEGER NOT NULL DEFAULT 1,
                updated_at INTEGER NOT NULL
            ) WITHOUT ROWID;
            CREATE TABLE orders(
                order_id TEXT PRIMARY KEY,
                status TEXT NOT NULL CHECK (status IN ('awaiting_payment', 'processing', 'paid', 'fulfilled',
                                                       'payment_failed', 'canceled', 'expired', 'needs_review')),
                email TEXT NOT NULL,
                currency TEXT NOT NULL,
                amount INTEGER NOT NULL,
                flow TEXT NOT NULL,
                created_at INTEGER NOT NULL,
                expires_at INTEGER NOT NULL,
                updated_at INTEGER NOT NULL,
                -- held: counted in products.reserved; released: given back; consumed: sold by the fulfilment.
                reservation TEXT NOT NULL DEFAULT 'held' CHECK (reservation IN ('held', 'released', 'consumed')),
                idempotency_key TEXT UNIQUE,
                request_fingerprint TEXT,
                payment_intent_id TEXT
            ) WITHOUT ROWID;
            CREATE INDEX orders_expiry ON orders(status, expires_at);
            CREATE TABLE order_lines(
                order_id TEXT NOT NULL REFERENCES orders(order_id),
                line_no INTEGER NOT NULL,
                sku TEXT NOT NULL,
                name TEXT NOT NULL,
                quantity INTEGER NOT NULL CHECK (quantity BETWEEN 1 AND 1000),
                unit_amount INTEGER NOT NULL,
                amount INTEGER NOT NULL,
                PRIMARY KEY (order_id, line_no)
            ) WITHOUT ROWID;
            CREATE TABLE order_history(
                id INTEGER PRIMARY KEY,
                order_id TEXT NOT NULL REFERENCES orders(order_id),
                status TEXT NOT NULL,
                at INTEGER NOT NULL,
                cause TEXT NOT NULL,
                note TEXT
            );
            CREATE INDEX order_history_order ON order_history(order_id, id);
            -- One row per fulfilled order: the primary key is the last guard against a second fulfilment.
            CREATE TABLE fulfilments(
                order_id TEXT PRIMARY KEY REFERENCES orders(order_id),
                fulfilled_at INTEGER NOT NULL,
                cause TEXT NOT NULL,
                payment_intent_id TEXT
            ) WITHOUT ROWID;
            -- Every payment event received, with what it did (or why it did nothing).
            CREATE TABLE payment_events(
                event_id TEXT PRIMARY KEY,
                stripe_event_id TEXT NOT NULL,
                type TEXT NOT NULL,
                order_id TEXT NOT NULL,
                outcome TEXT NOT NULL,
                note TEXT,
                received_at INTEGER NOT NULL
            ) WITHOUT ROWID;
            CREATE INDEX payment_events_order ON payment_events(order_id);
            """),
        Migration(4, "partial outbox indexes", EventSchema.partialOutboxIndexesSQL),
        Migration(5, "inbox index for retention", EventSchema.inboxRetentionIndexSQL),
        // The caps on open unpaid orders count by email and by client address; partial indexes keep
        // that a lookup among the few open orders, however many closed ones pile up.
        Migration(6, "client address of orders, open orders by email and address", """
            ALTER TABLE orders ADD COLUMN client_address TEXT;
            CREATE INDEX orders_open_by_email ON orders(lower(email))
                WHERE status IN ('awaiting_payment', 'processing', 'payment_failed');
            CREATE INDEX orders_open_by_client ON orders(client_address)
                WHERE status IN ('awaiting_payment', 'processing', 'payment_failed') AND client_address IS NOT NULL;
            """),
        // An order's payment is a capability, not an id: the hashes of the tokens issued for each order
        // (the token itself is shown once and never stored). `expires_at` is null for the token of the
        // browser that created the order, a few days out for the link in a customer's email.
        Migration(7, "order tokens", """
            CREATE TABLE order_tokens(
                token_hash TEXT PRIMARY KEY,
                order_id TEXT NOT NULL REFERENCES orders(order_id),
                purpose TEXT NOT NULL,
                created_at INTEGER NOT NULL,
                expires_at INTEGER
            ) WITHOUT ROWID;
            CREATE INDEX order_tokens_order ON order_tokens(order_id);
            """),
    ]
}
