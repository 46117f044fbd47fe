import Foundation
import Testing
import Transport
import Wire

/// Durable events between real processes: the harness publisher and subscriber run the real outbox,
/// relay and inbox over real sockets and SQLite files; the tests crash them at will.
@Suite("Durable events")
struct EventsTests {
    let dir: TemporaryDirectory
    let env: [String: String]

    init() throws {
        dir = try TemporaryDirectory()
        env = ServiceProcess.environment(in: dir, extra: [
            "SHOP_LOG_LEVEL": "warn", "SHOP_EVENT_RETRY_BASE_MS": "10", "SHOP_EVENT_RETRY_MAX_MS": "200",
        ])
    }

    private func publisher(_ extra: [String: String] = [:], ready: Bool = true) throws -> ServiceProcess {
        try ServiceProcess("harness-pub", executable: "events-harness",
                           environment: env.merging(["HARNESS_ROLE": "publisher"].merging(extra) { $1 }) { $1 },
                           logDirectory: dir, waitUntilReady: ready)
    }

    private func subscriber(_ extra: [String: String] = [:]) throws -> ServiceProcess {
        try ServiceProcess("harness-sub", executable: "events-harness",
                           environment: env.merging(["HARNESS_ROLE": "subscriber"].merging(extra) { $1 }) { $1 },
                           logDirectory: dir)
    }

    /// Asks the publisher to publish `count` events; returns their ids once committed.
    @discardableResult
    private func emit(_ count: Int, key: String? = nil, type: String? = nil, perTransaction: Int = 1) throws -> [String] {
        var body = #"{"count":\#(count),"per_transaction":\#(perTransaction)"#
        if let key { body += #","key":"\#(key)""# }
        if let type { body += #","type":"\#(type)""# }
        body += "}"
        let reply = try BlockingClient.call(path: dir.file("s/harness-pub.sock"),
                                            message: .request("harness.emit", payload: try RawJSON(validating: Array(body.utf8))),
                                            timeoutMs: 60_000)
        if let error = reply.error { throw ServiceFailure("emit failed: \(error)") }
        struct Emitted: Decodable { var event_ids: [String] }
        return try (reply.payload ?? .emptyObject).decode(Emitted.self).event_ids
    }

    /// Runs SQL on one of the harness databases with the sqlite3 shell; rows as lines.
    private func sql(_ database: String, _ query: String) throws -> [String] {
        let r = try runCommand("/usr/bin/sqlite3", [dir.file("d/\(database).sqlite"), query], environment: [:])
        guard r.status == 0 else { throw ServiceFailure("sqlite3 failed: \(r.stderr)") }
        return r.stdout.split(separator: "\n").map(String.init)
    }

    private func count(_ database: String, _ query: String) throws -> Int {
        Int(try sql(database, query).first ?? "") ?? -1
    }

    /// Polls an observable condition (database state) until it holds.
    private func waitUntil(_ what: String, timeout: Duration = .seconds(30), _ condition: () throws -> Bool) throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if (try? condition()) == true { return }
            usleep(20_000)
        }
        throw ServiceFailure("timed out waiting until \(what)")
    }

    private func operatorCommand(_ args: [String]) throws -> CommandResult {
        try runCommand(Binaries.path("events-harness"), args, environment: env.merging(["HARNESS_ROLE": "publisher"]) { $1 })
    }

    @Test("events published while the subscriber is down all arrive once it starts, once each")
    func subscriberDown() throws {
        let pub = try publisher()
        let ids = try emit(300, perTransaction: 7)
        #expect(ids.count == 300)
        try waitUntil("the relay has tried the absent subscriber") {
            try count("harness-pub", "SELECT COUNT(*) FROM outbox_deliveries WHERE last_error IS NOT NULL") > 0
        }
        #expect(try count("harness-pub", "SELECT COUNT(*) FROM outbox_deliveries WHERE status = 'pending' AND attempts = 0") == 300,
                "an unreachable subscriber must not use up attempts")
        let sub = try subscriber()
        try waitUntil("all 300 delivered") {
            try count("harness-pub", "SELECT COUNT(*) FROM outbox_deliveries WHERE status = 'delivered'") == 300
        }
        #expect(try count("harness-sub", "SELECT COUNT(*) FROM effects") == 300)
        #expect(try count("harness-sub", "SELECT COUNT(DISTINCT event_id) FROM effects") == 300)
        _ = (pub, sub)
    }

    @Test("kill -9 of the subscriber at random moments: every effect exactly once")
    func subscriberCrashes() async throws {
        let pub = try publisher()
        let sub = try subscriber()
        let total = 1_500
        let emitter = Task.detached { [self] in try emit(total, perTransaction: 5) }
        for _ in 0..<5 {
            usleep(UInt32.random(in: 20_000...150_000))
            sub.crash()
            try sub.restart()
        }
        let ids = try await emitter.value
        #expect(ids.count == total)
        try waitUntil("all delivered") {
            try count("harness-pub", "SELECT COUNT(*) FROM outbox_deliveries WHERE status = 'delivered'") == total
        }
        #expect(try count("harness-sub", "SELECT COUNT(*) FROM effects") == total)
        #expect(try count("harness-sub", "SELECT COUNT(DISTINCT event_id) FROM effects") == total)
        _ = pub
    }

    @Test("kill -9 of the publisher mid-burst: every committed event is delivered, nothing uncommitted is")
    func publisherCrash() throws {
        let pub = try publisher()
        let sub = try subscriber()
        // Fire the burst without waiting for its answer, then crash the publisher part-way.
        let socket = try RawSocket(path: pub.socketPath)
        try socket.write(.request("harness.emit", payload: try RawJSON(validating: Array(#"{"count":3000,"per_transaction":1}"#.utf8))))
        try waitUntil("some events committed", timeout: .seconds(20)) {
            try count("harness-pub", "SELECT COUNT(*) FROM outbox_events") > 200
        }
        pub.crash()
        let committed = Set(try sql("harness-pub", "SELECT event_id FROM outbox_events"))
        #expect(committed.count < 3000, "the crash should land mid-burst")
        try pub.restart()
        try waitUntil("every committed event delivered") {
            try count("harness-pub", "SELECT COUNT(*) FROM outbox_deliveries WHERE status != 'delivered'") == 0
        }
        let applied = try sql("harness-sub", "SELECT event_id FROM effects")
        #expect(applied.count == committed.count)
        #expect(Set(applied) == committed)
        _ = sub
    }

    @Test("the same event delivered twice at once on two connections is applied once")
    func concurrentDuplicate() async throws {
        let sub = try subscriber()
        let payload = #"{"event_id":"evt_dup_1","publisher":"harness-pub","key":"k","occurred_at":1,"data":{"n":7}}"#
        let path = sub.socketPath
        let acks = try await withThrowingTaskGroup(of: String.self) { group in
            for _ in 0..<2 {
                group.addTask {
                    let event = Envelope(kind: .event, type: "harness.tick", payload: try RawJSON(validating: Array(payload.utf8)))
                    let reply = try BlockingClient.call(path: path, message: event, timeoutMs: 10_000)
                    #expect(reply.kind == .ack)
                    return reply.payload?.description ?? "error: \(String(describing: reply.error))"
                }
            }
            var all: [String] = []
            for try await a in group { all.append(a) }
            return all.sorted()
        }
        #expect(acks == [#"{"status":"applied"}"#, #"{"status":"duplicate"}"#])
        #expect(try count("harness-sub", "SELECT COUNT(*) FROM effects") == 1)
    }

    @Test("events with one key arrive in publication order")
    func orderPerKey() throws {
        let pub = try publisher()
        let sub = try subscriber()
        try emit(200, key: "order-1", perTransaction: 3)
        try waitUntil("all delivered") {
            try count("harness-pub", "SELECT COUNT(*) FROM outbox_deliveries WHERE status = 'delivered'") == 200
        }
        let published = try sql("harness-pub", "SELECT event_id FROM outbox_events ORDER BY seq")
        let applied = try sql("harness-sub", "SELECT event_id FROM effects ORDER BY id")
        #expect(applied == published)
        _ = (pub, sub)
    }

    @Test("a subscriber that always fails a type: dead letter after the bound, degraded health, replay delivers it")
    func deadLetterAndReplay() throws {
        let pub = try publisher(["SHOP_EVENT_MAX_ATTEMPTS": "3"])
        var sub = try subscriber(["HARNESS_FAIL_TYPES": "harness.poison"])
        try emit(1, key: "p", type: "harness.poison")
        try emit(5)
        try waitUntil("the poison event is dead-lettered") {
            try count("harness-pub", "SELECT COUNT(*) FROM outbox_deliveries WHERE status = 'dead' AND attempts = 3") == 1
        }
        try waitUntil("the other events still flow") {
            try count("harness-sub", "SELECT COUNT(*) FROM effects") == 5
        }
        let health = try runCommand(Binaries.path("events-harness"), ["health"], environment: pub.environment)
        #expect(health.status == 0)
        #expect(health.stdout.contains("harness-pub degraded"))
        #expect(health.stdout.contains("outbox degraded (1 dead-lettered delivery"))
        let dead = try operatorCommand(["events", "dead"])
        #expect(dead.status == 0)
        #expect(dead.stdout.contains("1 dead delivery"))
        #expect(dead.stdout.contains("harness.poison"))
        #expect(dead.stdout.contains("harness told to fail"))

        // The fix: the subscriber stops failing; the operator replays.
        sub.signal(SIGTERM)
        #expect(sub.waitForExit() == 0)
        sub = try subscriber()
        let replay = try operatorCommand(["events", "replay", "--all"])
        #expect(replay.status == 0, "\(replay.stderr)")
        try waitUntil("the replayed event is applied") {
            try count("harness-sub", "SELECT COUNT(*) FROM effects") == 6
        }
        let healthy = try runCommand(Binaries.path("events-harness"), ["health"], environment: pub.environment)
        #expect(healthy.stdout.contains("harness-pub ok"))
        let again = try operatorCommand(["events", "replay", "--all"])
        #expect(again.status == 1)
        #expect(again.stderr.contains("no dead-lettered deliveries"))
        let backlog = try operatorCommand(["events", "backlog"])
        #expect(backlog.stdout.contains("harness-sub  pending=0  dead=0  delivered=6"))
        let bad = try operatorCommand(["events", "frobnicate"])
        #expect(bad.status == 64)
    }
}
