import Events
import Messages
import Storage
import Transport

extension ServiceContext {
    /// The console's view of this service's outbox: `admin.dead_letters.list` and `admin.dead_letters.replay`.
    public func registerAdminOutbox(_ router: inout Router) {
        let db = database!
        let service = spec.name
        router.on(AdminMessages.deadLetters, AdminEmpty.self) { _, _ in
            try await db.read { c in
                AdminDeadLetters(deadLetters: try OutboxAdmin.list(c, status: .dead, limit: 200).map { e in
                    AdminDeadLetter(service: service, eventID: e.eventID, type: e.type, key: e.key, subscriber: e.subscriber,
                                    attempts: Int(e.attempts), lastError: e.lastError, createdAt: e.createdAt)
                })
            }
        }
        router.on(AdminMessages.replay, AdminEventRef.self) { _, ref in
            AdminCount(count: try await db.write { c in try OutboxAdmin.replay(c, eventID: ref.eventID) })
        }
    }

    /// Per-subscriber backlog of this service's outbox, for `admin.health`.
    public static func adminBacklog(_ c: Connection) throws -> [AdminBacklog] {
        try OutboxAdmin.backlog(c).map {
            AdminBacklog(subscriber: $0.subscriber, pending: Int($0.pending), dead: Int($0.dead), oldestPendingAt: $0.oldestPendingAt)
        }
    }
}

