import Events
import Storage

/// The payments database schema, as numbered migrations.
enum PaymentsSchema {
    /// Raw webhook bodies older than the retention age are emptied. The event id row itself stays: it
    /// is what makes a late redelivery (or a catch-up of the same event) a duplicate.
    static let webhookBodies = RetentionRule(name: "webhook_bodies") { c, cutoff, limit in
        try c.execute("""
            UPDATE stripe_events SET body = NULL WHERE rowid IN
              (SELECT rowid FROM stripe_events WHERE body IS NOT NULL AND received_at < ? ORDER BY received_at LIMIT ?)
            """, cutoff, limit)
    }

    static let migrations = [
        Migration(1, "service metadata", """
            CREATE TABLE service_meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
            """),
        Migration(2, "outbox", EventSchema.outboxSQL),
        Migration(3, "payments and the inbox of Stripe events", """
            -- Which Stripe object belongs to which order. One row per (order, flow, attempt): asking again
            -- for the same attempt answers from here instead of calling Stripe.
            CREATE TABLE payments(
                order_id TEXT NOT NULL,
                flow TEXT NOT NULL,
                attempt INTEGER NOT NULL,
                stripe_id TEXT NOT NULL UNIQUE,
                payment_intent_id TEXT,
                customer_id TEXT,
                amount INTEGER NOT NULL,
                currency TEXT NOT NULL,
                client_secret TEXT NOT NULL,
                expires_at INTEGER,
                created_at INTEGER NOT NULL,
                PRIMARY KEY(order_id, flow, attempt)
            );
            CREATE INDEX payments_by_intent ON payments(payment_intent_id) WHERE payment_intent_id IS NOT NULL;
            -- Every Stripe event ever accepted (webhook, catch-up) and every return-page verdict that
            -- published: the dedupe key of intake. `outcome` is published, ignored (nobody consumes the
            -- type) or unmatched (no order found).
            CREATE TABLE stripe_events(
                event_id TEXT PRIMARY KEY,
                type TEXT NOT NULL,
                created INTEGER NOT NULL,
                received_at INTEGER NOT NULL,
                source TEXT NOT NULL,
                order_id TEXT,
                outcome TEXT NOT NULL,
                body BLOB
            );
            CREATE INDEX stripe_events_by_created ON stripe_events(created);
            """),
        Migration(4, "partial outbox indexes", EventSchema.partialOutboxIndexesSQL),
        // Return pages look ids up here before asking Stripe; invoices recorded before their PaymentIntent
        // id was derived from the client secret (`pi_<id>_secret_<...>`) get it now.
        Migration(5, "PaymentIntent ids of invoices", """
            UPDATE payments SET payment_intent_id = substr(client_secret, 1, instr(client_secret, '_secret_') - 1)
            WHERE payment_intent_id IS NULL AND client_secret LIKE 'pi^_%^_secret^_%' ESCAPE '^';
            """),
        // Retention empties old raw webhook bodies; this finds them without reading the ones already emptied.
        Migration(6, "index of stored webhook bodies by age", """
            CREATE INDEX stripe_events_with_body ON stripe_events(received_at) WHERE body IS NOT NULL;
            """),
        Migration(7, "refund books", """
            -- Our own refund requests (operator command, late-payment policy). Recorded before Stripe is
            -- called; the Stripe idempotency key is shop:refund:<request_id>, so a request retried after a
            -- crash (state still 'requested') reuses the refund Stripe made. state: requested, answered
            -- (refund_id set) or refused (Stripe said no: error_code, error_message).
            CREATE TABLE refund_requests(
                request_id TEXT PRIMARY KEY,
                order_id TEXT NOT NULL,
                payment_intent_id TEXT NOT NULL,
                amount INTEGER,
                reason TEXT,
                restock INTEGER NOT NULL DEFAULT 0,
                state TEXT NOT NULL CHECK (state IN ('requested', 'answered', 'refused')),
                refund_id TEXT,
                error_code TEXT,
                error_message TEXT,
                created_at INTEGER NOT NULL,
                updated_at INTEGER NOT NULL
            ) WITHOUT ROWID;
            CREATE INDEX refund_requests_open ON refund_requests(state) WHERE state = 'requested';
            -- Every refund of an order's payment as Stripe last listed it: one row per refund id, whoever
            -- made it (our requests, the Dashboard). The order's refunded amount is the sum of its
            -- succeeded rows; a row's status only changes when Stripe's list says so.
            CREATE TABLE refunds(
                refund_id TEXT PRIMARY KEY,
                order_id TEXT NOT NULL,
                payment_intent_id TEXT NOT NULL,
                charge_id TEXT,
                amount INTEGER NOT NULL,
                currency TEXT NOT NULL,
                status TEXT NOT NULL,
                reason TEXT,
                failure_reason TEXT,
                request_id TEXT,
                created INTEGER,
                updated_at INTEGER NOT NULL
            ) WITHOUT ROWID;
            CREATE INDEX refunds_by_intent ON refunds(payment_intent_id);
            -- PaymentIntents whose refunds must be listed again (a refund event arrived, or we refunded).
            -- `generation` grows with every new reason, so a sync only clears the row it read.
            CREATE TABLE refund_sync(
                payment_intent_id TEXT PRIMARY KEY,
                order_id TEXT,
                generation INTEGER NOT NULL DEFAULT 1,
                due_at INTEGER NOT NULL,
                attempts INTEGER NOT NULL DEFAULT 0,
                last_error TEXT
            ) WITHOUT ROWID;
            """),
        Migration(8, "dispute books", """
            -- Every dispute on an order's payment as Stripe last showed it; status never moves back.
            CREATE TABLE disputes(
                dispute_id TEXT PRIMARY KEY,
                order_id TEXT NOT NULL,
                payment_intent_id TEXT,
                charge_id TEXT,
                amount INTEGER NOT NULL,
                currency TEXT NOT NULL,
                status TEXT NOT NULL,
                reason TEXT,
                due_by INTEGER,
                funds_withdrawn INTEGER NOT NULL DEFAULT 0,
                funds_reinstated INTEGER NOT NULL DEFAULT 0,
                updated_at INTEGER NOT NULL
            ) WITHOUT ROWID;
            -- Disputes to retrieve again (a dispute event arrived).
            CREATE TABLE dispute_sync(
                dispute_id TEXT PRIMARY KEY,
                payment_intent_id TEXT,
                generation INTEGER NOT NULL DEFAULT 1,
                due_at INTEGER NOT NULL,
                attempts INTEGER NOT NULL DEFAULT 0,
                last_error TEXT
            ) WITHOUT ROWID;
            """),
        // The console's order timeline looks events, refunds, requests and disputes up by order.
        Migration(9, "operator console: Stripe events by order", """
            CREATE INDEX stripe_events_by_order ON stripe_events(order_id) WHERE order_id IS NOT NULL;
            CREATE INDEX refunds_by_order ON refunds(order_id);
            CREATE INDEX refund_requests_by_order ON refund_requests(order_id);
            CREATE INDEX disputes_by_order ON disputes(order_id);
            """),
    ]
}
