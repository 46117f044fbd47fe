// events-harness: a minimal publisher or subscriber built from the real ServiceKit and Events code, so the
// durable-event guarantees (outbox, relay, inbox, dead letters, operator commands) are tested with real
// processes, sockets and SQLite files, independently of the business services.
//
//   HARNESS_ROLE=publisher   name "harness-pub": `harness.emit` publishes events; relays them to harness-sub
//   HARNESS_ROLE=subscriber  name "harness-sub": consumes them, recording each effect in table `effects`
//   HARNESS_FAIL_TYPES=a,b   (subscriber) nack these event types
#if canImport(Glibc)
import Glibc
#endif
import Core
import Events
import ServiceKit
import Storage
import Transport
import Wire

let role = ConfigReader().raw("HARNESS_ROLE") ?? "publisher"
let table = SubscriptionTable([
    Subscription(publisher: "harness-pub", subscriber: "harness-sub", types: ["harness.tick", "harness.poison"]),
])

struct Emit: Decodable, Sendable {
    var count: Int
    var key: String?
    var type: String?
    /// Events per transaction (default 1: each event its own commit).
    var perTransaction: Int?
    enum CodingKeys: String, CodingKey { case count, key, type, perTransaction = "per_transaction" }
}
struct Emitted: Encodable, Sendable { var eventIDs: [String]; enum CodingKeys: String, CodingKey { case eventIDs = "event_ids" } }
/// `sent_us`: wall-clock microseconds at publication, so the benchmark can measure delivery latency.
struct Tick: Codable, Sendable {
    var n: Int
    var sentMicros: Int64?
    enum CodingKeys: String, CodingKey { case n, sentMicros = "sent_us" }
}

func nowMicros() -> Int64 {
    var ts = timespec()
    clock_gettime(CLOCK_REALTIME, &ts)
    return Int64(ts.tv_sec) * 1_000_000 + Int64(ts.tv_nsec / 1000)
}

switch role {
case "publisher":
    let outbox = Outbox(publisher: "harness-pub", subscriptions: table)
    let spec = ServiceSpec(name: "harness-pub", summary: "test publisher",
                           migrations: [Migration(1, "outbox", EventSchema.outboxSQL)],
                           peers: ["harness-sub"], emits: table.emitted(by: "harness-pub"), commands: [.events])
    ServiceMain.run(spec) { context in
        let db = context.database!
        var router = Router()
        router.on("harness.emit", Emit.self) { request, emit -> Emitted in
            guard (1...100_000).contains(emit.count) else { throw WireError.invalidArgument("count must be 1...100000") }
            let per = max(1, emit.perTransaction ?? 1)
            var ids: [String] = []
            var start = 0
            // Batches run concurrently so group commit applies, as real traffic would.
            try await withThrowingTaskGroup(of: [String].self) { group in
                while start < emit.count {
                    let range = start..<min(emit.count, start + per)
                    start = range.upperBound
                    group.addTask {
                        try await db.write { c in
                            try range.map { i in
                                try outbox.publish(in: c, type: emit.type ?? "harness.tick",
                                                   key: emit.key ?? "key-\(i)", data: try RawJSON(encoding: Tick(n: i, sentMicros: nowMicros())),
                                                   traceID: request.traceID)
                            }
                        }
                    }
                }
                for try await batch in group { ids += batch }
            }
            outbox.wake()
            return Emitted(eventIDs: ids)
        }
        return context.publishingParts(outbox, router: router)
    }
case "subscriber":
    let failing = Set((ConfigReader().raw("HARNESS_FAIL_TYPES") ?? "").split(separator: ",").map(String.init))
    let spec = ServiceSpec(name: "harness-sub", summary: "test subscriber",
                           migrations: [
                               Migration(1, "inbox", EventSchema.inboxSQL),
                               Migration(2, "effects", """
                                   CREATE TABLE effects(id INTEGER PRIMARY KEY, event_id TEXT NOT NULL, key TEXT NOT NULL,
                                                        n INTEGER NOT NULL, sent_us INTEGER, applied_us INTEGER);
                                   """),
                           ],
                           consumes: table.consumed(by: "harness-sub"))
    ServiceMain.run(spec) { context in
        let inbox = Inbox(database: context.database!)
        var router = Router()
        for type in table.consumed(by: "harness-sub") {
            inbox.consume(type, into: &router) { c, event in
                if failing.contains(event.type) {
                    throw WireError(code: .failedPrecondition, message: "harness told to fail \(event.type)", retryable: true)
                }
                let tick = try event.data(Tick.self)
                try c.execute("INSERT INTO effects(event_id, key, n, sent_us, applied_us) VALUES (?, ?, ?, ?, ?)",
                              event.header.eventID, event.header.key, tick.n, tick.sentMicros, nowMicros())
            }
        }
        return ServiceParts(router: router)
    }
default:
    ServiceMain.printError("HARNESS_ROLE must be publisher or subscriber")
    exit(78)
}
