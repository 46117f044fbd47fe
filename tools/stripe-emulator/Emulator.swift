import Logging

/// Owns the ``Ledger`` and serializes every operation on it. An operation runs synchronously on the
/// actor (so it is atomic), then its changes are written to the ``Store`` before the caller gets the
/// answer.
actor Emulator {
    private var ledger: Ledger
    private let store: Store?
    private let logger: Logger

    init(ledger: Ledger, store: Store?, logger: Logger) {
        self.ledger = ledger
        self.store = store
        self.logger = logger
    }

    /// The result of an operation and the events it emitted (`(id, type)`, in order).
    struct Outcome<T: Sendable>: Sendable {
        var result: Result<T, StripeError>
        var events: [(id: String, type: String)]
    }

    /// Runs `body` on the ledger and persists what it changed (also when it threw after changing state,
    /// e.g. a declined confirmation).
    func perform<T: Sendable>(_ body: @Sendable (inout Ledger) throws -> T) async -> Outcome<T> {
        let result: Result<T, StripeError>
        do {
            result = .success(try body(&ledger))
        } catch let error as StripeError {
            result = .failure(error)
        } catch {
            logger.error("emulator operation failed", ["error": "\(error)"])
            result = .failure(.internalError("The stand-in failed: \(error)"))
        }
        let events = ledger.emitted
        let changes = ledger.takeChanges()
        if let store {
            do {
                try await store.save(changes)
            } catch {
                logger.error("could not persist the emulator state", ["error": "\(error)"])
                return Outcome(result: .failure(.internalError("The stand-in could not write its database.")), events: events)
            }
        }
        return Outcome(result: result, events: events)
    }

    // MARK: For the delivery loop

    func takeDueDeliveries(nowMs: Int64) -> [(delivery: Delivery, body: [UInt8], secret: String)] {
        let due = ledger.takeDueDeliveries(nowMs: nowMs)
        return due
    }

    func recordAttempt(key: String, attempt: Delivery.Attempt) async {
        _ = await perform { ledger in ledger.recordAttempt(key: key, attempt: attempt) }
    }

    func runTimers(nowMs: Int64) async {
        _ = await perform { ledger in ledger.runTimers(nowMs: nowMs) }
    }
}
