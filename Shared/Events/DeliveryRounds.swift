import Core
import Wire

/// The pipelined delivery loop, written once: the event relay runs it per subscriber, the notifier for its
/// emails and merchant posts.
///
/// Each round reads the due deliveries, attempts them, and hands the outcomes left to record to a task of
/// their own, so round k+1 is read and attempted while the outcomes of round k are committed (the commit,
/// an fsync, no longer stalls the receiver). Deliveries whose outcomes are not committed yet are left out
/// of the next read, so none is attempted twice. With nothing due the loop waits for its ``waker`` (or
/// the next retry, or ``idlePoll``). It stops when its task is cancelled, after recording the round in
/// flight.
public protocol DeliveryRounds: Sendable {
    associatedtype Delivery: Sendable
    associatedtype Key: Hashable & Sendable
    associatedtype Outcome: Sendable

    /// Woken after a commit that made deliveries due.
    var waker: Waker { get }
    /// Most deliveries attempted in one round.
    var batchSize: Int { get }
    /// The longest an idle loop waits before it looks for due retries again.
    var idlePoll: Duration { get }

    /// What tells two deliveries apart (their primary key).
    func key(of delivery: Delivery) -> Key
    /// The due deliveries, in the order they are to be attempted, at most `limit`; nil when they cannot be
    /// read (the conformer logs why).
    func due(now: Int64, limit: Int) async -> [Delivery]?
    /// When the next pending delivery becomes due (ms since the epoch), if any is pending.
    func nextDue() async -> Int64?
    /// Attempts one round. Returns the outcomes left to record, which ``record(_:)`` gets while the next
    /// round runs.
    func attempt(_ batch: [Delivery]) async -> [(Delivery, Outcome)]
    /// Records the outcomes of one round (logging, not throwing, what it cannot record: those deliveries
    /// stay pending and are attempted again).
    func record(_ outcomes: [(Delivery, Outcome)]) async
    /// Whether an outcome says the receiver could not be reached at all (no attempt counted). A round
    /// with one makes the loop back off, 50 ms doubling to 2 s, jittered. The default: never.
    func isUnreachable(_ outcome: Outcome) -> Bool
}

extension DeliveryRounds {
    public func isUnreachable(_ outcome: Outcome) -> Bool { false }

    /// Runs rounds until the task is cancelled.
    public func runRounds() async {
        var unreachableRounds = 0
        var seen = waker.current
        // The round being recorded, and the deliveries it covers.
        var recording: (task: Task<Void, Never>, keys: Set<Key>)?
        func finishRecording() async {
            guard let r = recording else { return }
            await r.task.value
            recording = nil
        }
        while !Task.isCancelled {
            let inFlight = recording?.keys ?? []
            guard var batch = await due(now: Envelope.now(), limit: batchSize + inFlight.count) else {
                await finishRecording()
                await waker.wait(upTo: idlePoll, seen: &seen)
                continue
            }
            if !inFlight.isEmpty { batch = Array(batch.lazy.filter { !inFlight.contains(key(of: $0)) }.prefix(batchSize)) }
            if batch.isEmpty {
                if recording != nil {
                    // Its commit may make more deliveries due (a later event of the same order): look again
                    // right after it.
                    await finishRecording()
                    continue
                }
                let next = await nextDue()
                let wait = next.map { Duration.milliseconds(max(1, min($0 - Envelope.now(), idlePoll.milliseconds))) } ?? idlePoll
                await waker.wait(upTo: min(wait, idlePoll), seen: &seen)
                continue
            }
            let outcomes = await attempt(batch)
            await finishRecording()
            if !outcomes.isEmpty {
                recording = (Task { await record(outcomes) }, Set(outcomes.map { key(of: $0.0) }))
            }
            if outcomes.contains(where: { isUnreachable($0.1) }) {
                unreachableRounds += 1
                try? await Task.sleep(for: Backoff.delay(attempt: unreachableRounds, base: .milliseconds(50), cap: .seconds(2)))
            } else {
                unreachableRounds = 0
            }
        }
        await finishRecording()
    }
}
