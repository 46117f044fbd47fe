import Storage
import Wire

/// A publishing service's durable queue of events (the transactional outbox).
///
/// An event is recorded in the same transaction as the state change that causes it, together with one
/// delivery row per subscriber; nothing is sent from inside a transaction. The ``Relay`` sends deliveries
/// after commit and marks each delivered only on its subscriber's ack.
public struct Outbox: Sendable {
    /// This service's name, recorded as the events' publisher.
    public let publisher: String
    public let subscriptions: SubscriptionTable
    /// Woken after a commit that published something, so the relay sends at once instead of polling.
    public let waker: Waker

    public init(publisher: String, subscriptions: SubscriptionTable = Subscriptions.table, waker: Waker = Waker()) {
        self.publisher = publisher
        self.subscriptions = subscriptions
        self.waker = waker
    }

    /// Records an event inside the caller's write transaction. Returns the event id.
    ///
    /// - Parameters:
    ///   - key: what orders delivery (usually the order id): events with one key reach each subscriber in
    ///     publication order.
    ///   - eventID: a stable id when the event derives from something with an id of its own (a Stripe
    ///     event); by default a new one. Publishing the same id twice is a no-op.
    @discardableResult
    public func publish(in c: Connection, type: String, key: String, data: RawJSON, traceID: String? = nil,
                        eventID: String? = nil, now: Int64 = Envelope.now()) throws -> String {
        let id = eventID ?? "evt_" + MessageID.random()
        let payload = EventHeader.payload(eventID: id, publisher: publisher, key: key, occurredAt: now, data: data)
        let inserted = try c.execute("""
            INSERT OR IGNORE INTO outbox_events(event_id, type, key, payload, trace_id, created_at)
            VALUES (?, ?, ?, ?, ?, ?)
            """, id, type, key, payload, traceID, now)
        guard inserted == 1 else { return id }
        let seq = c.lastInsertRowID
        for subscriber in subscriptions.subscribers(of: publisher, type: type) {
            try c.execute("""
                INSERT INTO outbox_deliveries(event_seq, subscriber, key, next_attempt_at) VALUES (?, ?, ?, ?)
                """, seq, subscriber, key, now)
        }
        return id
    }

    /// Tells the relay that committed events are waiting. Call after the publishing transaction committed.
    public func wake() { waker.notify() }
}
