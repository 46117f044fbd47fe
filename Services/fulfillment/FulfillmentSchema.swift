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
        // browser that created the order, a few days out for the link in a customer's email. No foreign key:
        // a token is only ever written with its order, and the refunds migration rebuilds `orders`.
        Migration(7, "order tokens", """
            CREATE TABLE order_tokens(
                token_hash TEXT PRIMARY KEY,
                order_id TEXT NOT NULL,
                purpose TEXT NOT NULL,
                created_at INTEGER NOT NULL,
                expires_at INTEGER
            ) WITHOUT ROWID;
            CREATE INDEX order_tokens_order ON order_tokens(order_id);
            """),
        // SQLite cannot change a CHECK constraint: the orders table is rebuilt with the refund statuses and
        // columns. Foreign keys stay on (migrations run in a transaction, where they cannot be turned
        // off), so the tables that reference orders are rebuilt too, pointing at the new table, and the
        // old ones dropped children first; RENAME then updates the references to `orders`.
        Migration(8, "refunds", """
            CREATE TABLE orders_new(
                order_id TEXT PRIMARY KEY,
                status TEXT NOT NULL CHECK (status IN ('awaiting_payment', 'processing', 'paid', 'fulfilled',
                                                       'payment_failed', 'canceled', 'expired', 'needs_review',
                                                       'partially_refunded', 'refunded')),
                email TEXT NOT NULL,
                currency TEXT NOT NULL,
                amount INTEGER NOT NULL,
                flow TEXT NOT NULL,
                created_at INTEGER NOT NULL,
                expires_at INTEGER NOT NULL,
                updated_at INTEGER NOT NULL,
                reservation TEXT NOT NULL DEFAULT 'held' CHECK (reservation IN ('held', 'released', 'consumed')),
                idempotency_key TEXT UNIQUE,
                request_fingerprint TEXT,
                payment_intent_id TEXT,
                client_address TEXT,
                -- Sum of the payment's succeeded refunds, as payments last listed them from Stripe.
                refunded_amount INTEGER NOT NULL DEFAULT 0 CHECK (refunded_amount >= 0),
                -- Sum of its pending refunds.
                refund_pending_amount INTEGER NOT NULL DEFAULT 0 CHECK (refund_pending_amount >= 0),
                -- 1 once any refund was seen (the order then reports refunded_amount).
                refunds_seen INTEGER NOT NULL DEFAULT 0,
                -- The status the order had before its first refund, to return to when refunds fail.
                status_before_refund TEXT,
                -- 1 once a restocking refund put the order's units back.
                restocked INTEGER NOT NULL DEFAULT 0
            ) WITHOUT ROWID;
            INSERT INTO orders_new(order_id, status, email, currency, amount, flow, created_at, expires_at, updated_at,
                                   reservation, idempotency_key, request_fingerprint, payment_intent_id, client_address)
                SELECT order_id, status, email, currency, amount, flow, created_at, expires_at, updated_at,
                       reservation, idempotency_key, request_fingerprint, payment_intent_id, client_address FROM orders;
            CREATE TABLE order_lines_new(
                order_id TEXT NOT NULL REFERENCES orders_new(order_id),
                line_no INTEGER NOT NULL,
                sku TEXT NOT NULL,
                name TEXT NOT NULL,
                quantity INTEGER NOT NULL CHECK (quantity BETWEEN 1 AND 1000),
                unit_amount INTEGER NOT NULL,
                amount INTEGER NOT NULL,
                PRIMARY KEY (order_id, line_no)
            ) WITHOUT ROWID;
            INSERT INTO order_lines_new SELECT order_id, line_no, sku, name, quantity, unit_amount, amount FROM order_lines;
            CREATE TABLE order_history_new(
                id INTEGER PRIMARY KEY,
                order_id TEXT NOT NULL REFERENCES orders_new(order_id),
                status TEXT NOT NULL,
                at INTEGER NOT NULL,
                cause TEXT NOT NULL,
                note TEXT
            );
            INSERT INTO order_history_new SELECT id, order_id, status, at, cause, note FROM order_history;
            CREATE TABLE fulfilments_new(
                order_id TEXT PRIMARY KEY REFERENCES orders_new(order_id),
                fulfilled_at INTEGER NOT NULL,
                cause TEXT NOT NULL,
                payment_intent_id TEXT
            ) WITHOUT ROWID;
            INSERT INTO fulfilments_new SELECT order_id, fulfilled_at, cause, payment_intent_id FROM fulfilments;
            DROP TABLE order_lines;
            DROP TABLE order_history;
            DROP TABLE fulfilments;
            DROP TABLE orders;
            ALTER TABLE orders_new RENAME TO orders;
            ALTER TABLE order_lines_new RENAME TO order_lines;
            ALTER TABLE order_history_new RENAME TO order_history;
            ALTER TABLE fulfilments_new RENAME TO fulfilments;
            CREATE INDEX orders_expiry ON orders(status, expires_at);
            CREATE INDEX order_history_order ON order_history(order_id, id);
            CREATE INDEX orders_open_by_email ON orders(lower(email))
                WHERE status IN ('awaiting_payment', 'processing', 'payment_failed');
            CREATE INDEX orders_open_by_client ON orders(client_address)
                WHERE status IN ('awaiting_payment', 'processing', 'payment_failed') AND client_address IS NOT NULL;
            -- Every refund change applied to an order, once per refund and status.
            CREATE TABLE order_refunds(
                refund_id TEXT NOT NULL,
                status TEXT NOT NULL,
                order_id TEXT NOT NULL,
                amount INTEGER NOT NULL,
                currency TEXT NOT NULL,
                at INTEGER NOT NULL,
                PRIMARY KEY (refund_id, status)
            ) WITHOUT ROWID;
            """),
        Migration(9, "disputes", """
            -- The order's latest dispute, as payments last retrieved it from Stripe. A dispute never
            -- changes the order's status; `disputed` is 1 while it is open.
            ALTER TABLE orders ADD COLUMN dispute_id TEXT;
            ALTER TABLE orders ADD COLUMN dispute_status TEXT;
            ALTER TABLE orders ADD COLUMN dispute_amount INTEGER;
            ALTER TABLE orders ADD COLUMN dispute_currency TEXT;
            ALTER TABLE orders ADD COLUMN dispute_reason TEXT;
            ALTER TABLE orders ADD COLUMN dispute_due_by INTEGER;
            ALTER TABLE orders ADD COLUMN dispute_funds_withdrawn INTEGER NOT NULL DEFAULT 0;
            ALTER TABLE orders ADD COLUMN dispute_funds_reinstated INTEGER NOT NULL DEFAULT 0;
            ALTER TABLE orders ADD COLUMN disputed INTEGER NOT NULL DEFAULT 0;
            -- Minor units lost to disputes closed as lost.
            ALTER TABLE orders ADD COLUMN dispute_lost_amount INTEGER NOT NULL DEFAULT 0;
            """),
        Migration(10, "late payments", """
            -- A payment that arrived after the order expired or was canceled, to be refunded
            -- (LATE_PAYMENT_POLICY=refund): the PaymentIntent, and whether payments took the request.
            ALTER TABLE orders ADD COLUMN late_payment_intent_id TEXT;
            ALTER TABLE orders ADD COLUMN late_refund_state TEXT CHECK (late_refund_state IN ('due', 'requested', 'refused'));
            CREATE INDEX orders_late_refund ON orders(late_refund_state) WHERE late_refund_state = 'due';
            """),
        FulfillmentAdmin.migration,
    ]
}
