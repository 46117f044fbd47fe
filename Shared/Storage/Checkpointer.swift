import CSQLite
@preconcurrency import Dispatch
import Synchronization

/// Keeps a database's WAL short without stalling its writer.
///
/// SQLite's own auto-checkpoint runs inside the `COMMIT` that crosses the threshold: the writer copies
/// every page of the WAL into the database file and fsyncs it before the next batch can start, and every
/// write queued meanwhile waits (the tail of a service's latency). Here the writer only notices the WAL's
/// size after each commit (`sqlite3_wal_hook`), and the copy runs on a connection and a thread of its own,
/// concurrent with later commits (a `PASSIVE` checkpoint takes no lock a writer needs).
///
/// A WAL file starts over only once every frame in it has been copied, and under steady writes the
/// background copy is always a few commits behind. So after a background copy the writer itself copies
/// what was committed meanwhile, if that tail is short (a quarter of the threshold), after which its next
/// transaction restarts the WAL from the beginning; a longer tail gets another background round first.
final class Checkpointer: Sendable {
    /// WAL size, in frames (pages), from which a checkpoint starts.
    let threshold: Int32

    // Touched only on `queue`, one checkpoint at a time.
    private let background: Database.Confined
    private let queue = DispatchQueue(label: "shop.sqlite.checkpoint", qos: .utility)

    private struct State {
        /// A background copy is in progress.
        var copying = false
        /// How many frames, from the WAL's start, the last background copy left in the database file; nil
        /// when the writer has copied the tail since (or none ran yet).
        var copied: Int32?
    }
    private let state = Mutex<State>(State())

    init(path: String, busyTimeoutMs: Int32, threshold: Int32) throws(SQLiteError) {
        let c = try Connection(path: path, readOnly: false)
        try c.executeScript("PRAGMA busy_timeout = \(busyTimeoutMs); PRAGMA synchronous = FULL;")
        background = Database.Confined(c)
        self.threshold = threshold
    }

    /// Takes over checkpoints of `writer` (replacing SQLite's auto-checkpoint). `self` must outlive
    /// `writer`'s use: the hook holds it unretained.
    func attach(to writer: Connection) {
        sqlite3_wal_hook(writer.handle, { context, db, _, frames in
            guard let context, let db else { return SQLITE_OK }
            Unmanaged<Checkpointer>.fromOpaque(context).takeUnretainedValue().committed(frames: frames, writer: db)
            return SQLITE_OK
        }, Unmanaged.passUnretained(self).toOpaque())
    }

    private enum Step { case none, copyInBackground, copyTail }

    /// Runs on the writer's thread inside `COMMIT`, after the transaction is durable; `frames` is the
    /// WAL's size.
    private func committed(frames: Int32, writer: OpaquePointer) {
        guard frames >= threshold else { return }
        let step = state.withLock { s -> Step in
            if s.copying { return .none }
            let copied = s.copied
            s.copied = nil
            // The tail is copied inline only when it is short: a reader holding an old snapshot can stop
            // the background copy early, and a WAL that restarted since has new frames only (fewer frames
            // than were copied): both mean another background round.
            if let copied, frames >= copied, frames - copied <= threshold / 4 { return .copyTail }
            s.copying = true
            return .copyInBackground
        }
        switch step {
        case .none:
            return
        case .copyTail:
            // Only frames committed during the background copy are left: a short copy. Its result needs no
            // handling: a failure (another process checkpointing) leaves the WAL to the next round.
            _ = sqlite3_wal_checkpoint_v2(writer, nil, SQLITE_CHECKPOINT_PASSIVE, nil, nil)
        case .copyInBackground:
            queue.async { [self] in
                var log: Int32 = 0, copied: Int32 = 0
                let rc = sqlite3_wal_checkpoint_v2(background.connection.handle, nil, SQLITE_CHECKPOINT_PASSIVE, &log, &copied)
                state.withLock { s in
                    s.copying = false
                    s.copied = rc == SQLITE_OK ? copied : nil
                }
            }
        }
    }

    /// Waits for a background copy in progress to finish.
    func drain() {
        queue.sync {}
    }
}
