import Storage
import Transport
import Wire

/// A consuming service's idempotent handling of events (the inbox).
///
/// The event id is recorded in the same transaction as the effects of handling the event, and the ack is
/// sent only after that transaction committed; a redelivered or duplicated event is acked without its
/// effects being applied again (two concurrent deliveries are serialized by the database's writer).
public struct Inbox: Sendable {
    public let database: Database
    /// Notified after each commit that applied an event: the consumer's own outbox (for the follow-up
    /// events its handler published) or whatever else acts on what the handler recorded.
    public let waker: Waker?

    public init(database: Database, outbox: Outbox? = nil) {
        self.init(database: database, waking: outbox?.waker)
    }

    public init(database: Database, waking waker: Waker?) {
        self.database = database
        self.waker = waker
    }

    /// What the ack carries.
    public struct Ack: Codable, Sendable, Equatable {
        /// What the inbox did with the event; a string on the wire.
        public enum Status: String, Codable, Sendable, CaseIterable {
            /// The first delivery: the handler ran and its changes committed.
            case applied
            /// Seen before: the handler did not run.
            case duplicate
        }

        /// `applied` the first time, `duplicate` after.
        public var status: Status
    }

    /// Registers the handler of one event type. `handler` runs inside the write transaction that records
    /// the event id; if it throws, nothing of it is kept and the event is nacked (redelivered later).
    public func consume(_ type: String, into router: inout Router,
                        _ handler: @escaping @Sendable (Connection, ConsumedEvent) throws -> Void) {
        let database = self.database
        let waker = self.waker
        // Deferred: the ack goes out from the database writer's thread as soon as the commit returns.
        router.register(type, .deferred { request, responder in
            let event: ConsumedEvent
            do throws(WireError) {
                let header = try request.decode(EventHeader.self)
                event = ConsumedEvent(type: request.type, header: header, traceID: request.traceID,
                                      payload: request.payload ?? .emptyObject)
            } catch {
                responder.fail(error)
                return
            }
            let header = event.header
            database.write({ c in
                let fresh = try c.execute("""
                    INSERT OR IGNORE INTO inbox_events(event_id, type, publisher, received_at) VALUES (?, ?, ?, ?)
                    """, header.eventID, request.type, header.publisher, Envelope.now())
                guard fresh == 1 else { return false }
                try handler(c, event)
                return true
            }, then: { result in
                responder.answer {
                    let applied = try result.get()
                    if applied { waker?.notify() }
                    return try RawJSON(encoding: Ack(status: applied ? .applied : .duplicate))
                }
            })
        })
    }
}
