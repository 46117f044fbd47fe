import Logging
import ServiceKit
import Synchronization
import Testing

/// Records what the pieces of a group did, in order.
final class Journal: Sendable {
    private let lines = Mutex<[String]>([])
    func add(_ line: String) { lines.withLock { $0.append(line) } }
    var all: [String] { lines.withLock { $0 } }
}

/// A piece that notes its start and, once cancelled, its end.
struct Recorder: Service {
    let name: String
    let journal: Journal
    var failPrepare = false
    var failRun = false

    struct Failure: Error {}

    func prepare() throws {
        if failPrepare { throw Failure() }
        journal.add("prepare \(name)")
    }

    func run() async throws {
        if failRun { throw Failure() }
        await untilCancelled()
        journal.add("stop \(name)")
    }
}

@Suite("ServiceGroup lifecycle")
struct ServiceGroupTests {
    let logger = Logger(service: "test", level: .error)

    @Test("pieces are prepared in order and stopped in reverse, each after the next one returned")
    func order() async throws {
        let journal = Journal()
        let group = ServiceGroup(["a", "b", "c"].map { Recorder(name: $0, journal: journal) }, logger: logger)
        try await group.start()
        #expect(journal.all == ["prepare a", "prepare b", "prepare c"])
        await group.stop()
        #expect(journal.all == ["prepare a", "prepare b", "prepare c", "stop c", "stop b", "stop a"])
    }

    @Test("a piece that cannot be prepared stops those already started and fails the start")
    func prepareFails() async {
        let journal = Journal()
        let group = ServiceGroup([Recorder(name: "a", journal: journal), Recorder(name: "b", journal: journal, failPrepare: true),
                                  Recorder(name: "c", journal: journal)], logger: logger)
        await #expect(throws: Recorder.Failure.self) { try await group.start() }
        #expect(journal.all == ["prepare a", "stop a"])
    }

    @Test("wait() returns when its task is cancelled, and throws when a piece fails")
    func wait() async throws {
        let journal = Journal()
        let healthy = ServiceGroup([Recorder(name: "a", journal: journal)], logger: logger)
        try await healthy.start()
        let waiting = Task { try await healthy.wait() }
        waiting.cancel()
        try await waiting.value
        await healthy.stop()

        let failing = ServiceGroup([Recorder(name: "b", journal: journal), Recorder(name: "x", journal: journal, failRun: true)],
                                   logger: logger)
        try await failing.start()
        await #expect(throws: Recorder.Failure.self) { try await failing.wait() }
        await failing.stop()
        #expect(journal.all.suffix(1) == ["stop b"])
    }

    @Test("a periodic task runs again at once while its round says more is due, then waits its interval")
    func periodic() async throws {
        let rounds = Mutex(0)
        let task = PeriodicTask.draining("test", every: .seconds(3_600)) {
            rounds.withLock { $0 += 1; return $0 < 3 ? .again : .wait }
        }
        let group = ServiceGroup([task], logger: logger)
        try await group.start()
        let deadline = ContinuousClock.now + .seconds(10)
        while rounds.withLock({ $0 }) < 3, ContinuousClock.now < deadline { await Task.yield() }
        await group.stop()
        #expect(rounds.withLock { $0 } == 3)
    }
}

@Suite("ServiceGroup stop")
struct ServiceGroupStopTests {
    @Test("stop() ends a wait() in progress")
    func stopEndsWait() async throws {
        let group = ServiceGroup([Recorder(name: "a", journal: Journal())], logger: Logger(service: "test", level: .error))
        try await group.start()
        let waiting = Task { try await group.wait() }
        await group.stop()
        try await waiting.value
    }
}
