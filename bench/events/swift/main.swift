// bench-events: durable event throughput and latency (publish -> relay -> subscriber commit -> ack, fsync
// on), next to the ceiling: SQLite doing the same inserts with the same durability in one process.
//
//   bench-events ceiling N            same rows, same settings (WAL, synchronous=FULL, group commit), one process
//   bench-events e2e BIN_DIR N        harness publisher + subscriber as real processes; N events, one commit each
//   bench-events latency BIN_DIR K    K events one at a time on an idle system; publish-to-applied latency
import Foundation
import Storage
import Transport
import Wire

func seconds(_ d: Duration) -> Double { Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18 }

/// The rows one delivered event costs: the publisher's event and delivery (then marked delivered) and the
/// subscriber's inbox row and effect, each write its own transaction as in the real flow, with group commit.
func ceiling(_ n: Int) async throws {
    let dir = NSTemporaryDirectory() + "bench-events-\(getpid())"
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let db = try Database(path: dir + "/ceiling.sqlite", migrations: [
        Migration(1, "tables", """
            CREATE TABLE events(seq INTEGER PRIMARY KEY, event_id TEXT UNIQUE, payload BLOB);
            CREATE TABLE deliveries(seq INTEGER PRIMARY KEY, status TEXT);
            CREATE TABLE inbox(event_id TEXT PRIMARY KEY) WITHOUT ROWID;
            CREATE TABLE effects(id INTEGER PRIMARY KEY, event_id TEXT, n INTEGER);
            """),
    ])
    let payload = [UInt8](repeating: 0x61, count: 160)
    let clock = ContinuousClock()
    let start = clock.now
    try await withThrowingTaskGroup(of: Void.self) { group in
        for worker in 0..<64 {
            group.addTask {
                for i in stride(from: worker, to: n, by: 64) {
                    let id = "evt_\(i)"
                    try await db.write { c in
                        try c.execute("INSERT INTO events(event_id, payload) VALUES (?, ?)", id, payload)
                        try c.execute("INSERT INTO deliveries(seq, status) VALUES (?, 'pending')", c.lastInsertRowID)
                    }
                    try await db.write { c in
                        try c.execute("INSERT INTO inbox(event_id) VALUES (?)", id)
                        try c.execute("INSERT INTO effects(event_id, n) VALUES (?, ?)", id, i)
                    }
                    try await db.write { c in try c.execute("UPDATE deliveries SET status = 'delivered' WHERE seq = ?", i + 1) }
                }
            }
        }
        try await group.waitForAll()
    }
    let elapsed = seconds(clock.now - start)
    print(String(format: #"{"label":"sqlite-ceiling","events":%d,"seconds":%.3f,"events_per_s":%.0f}"#, n, elapsed, Double(n) / elapsed))
}

final class Stack {
    let dir: String
    let env: [String: String]
    var processes: [Process] = []

    init(binDirectory: String) throws {
        dir = NSTemporaryDirectory() + "bench-ev-\(getpid())"
        env = ["SHOP_SOCKET_DIR": dir + "/s", "SHOP_DATA_DIR": dir + "/d", "SHOP_LOG_LEVEL": "error", "PATH": "/usr/bin:/bin"]
        for role in ["subscriber", "publisher"] {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: binDirectory + "/events-harness")
            p.arguments = ["serve"]
            p.environment = env.merging(["HARNESS_ROLE": role]) { $1 }
            try p.run()
            processes.append(p)
            let socket = dir + "/s/" + (role == "publisher" ? "harness-pub" : "harness-sub") + ".sock"
            while (try? BlockingClient.call(path: socket, message: .request("sys.ping"), timeoutMs: 500)) == nil { usleep(2_000) }
        }
    }

    func emit(_ count: Int, perTransaction: Int = 1) throws {
        let body = #"{"count":\#(count),"per_transaction":\#(perTransaction)}"#
        let reply = try BlockingClient.call(path: dir + "/s/harness-pub.sock",
                                            message: .request("harness.emit", payload: try RawJSON(validating: Array(body.utf8))),
                                            timeoutMs: 600_000)
        if let error = reply.error { fatalError("emit failed: \(error)") }
    }

    func sqlite(_ db: String, _ sql: String) -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
        p.arguments = [dir + "/d/\(db).sqlite", sql]
        let out = Pipe()
        p.standardOutput = out
        try! p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func delivered() -> Int { Int(sqlite("harness-pub", "SELECT COUNT(*) FROM outbox_deliveries WHERE status = 'delivered'")) ?? 0 }

    deinit {
        for p in processes { p.terminate(); p.waitUntilExit() }
        try? FileManager.default.removeItem(atPath: dir)
    }
}

func endToEnd(_ bin: String, _ n: Int) throws {
    let stack = try Stack(binDirectory: bin)
    let clock = ContinuousClock()
    let start = clock.now
    try stack.emit(n)
    while stack.delivered() < n { usleep(5_000) }
    let elapsed = seconds(clock.now - start)
    let lat = stack.sqlite("harness-sub", "SELECT applied_us - sent_us FROM effects ORDER BY applied_us - sent_us")
        .split(separator: "\n").compactMap { Double($0) }
    print(String(format: #"{"label":"end-to-end","events":%d,"seconds":%.3f,"events_per_s":%.0f,"p50_ms":%.2f,"p99_ms":%.2f}"#,
                 n, elapsed, Double(n) / elapsed, lat[lat.count / 2] / 1000, lat[Int(Double(lat.count) * 0.99)] / 1000))
}

func latency(_ bin: String, _ k: Int) throws {
    let stack = try Stack(binDirectory: bin)
    for i in 1...k {
        try stack.emit(1)
        while stack.delivered() < i { usleep(1_000) }
        usleep(5_000)  // idle between events: this measures an idle system, not a queue
    }
    let lat = stack.sqlite("harness-sub", "SELECT applied_us - sent_us FROM effects ORDER BY applied_us - sent_us")
        .split(separator: "\n").compactMap { Double($0) }
    print(String(format: #"{"label":"idle-latency","events":%d,"p50_ms":%.2f,"p99_ms":%.2f,"max_ms":%.2f}"#,
                 k, lat[lat.count / 2] / 1000, lat[min(lat.count - 1, Int(Double(lat.count) * 0.99))] / 1000, lat.last! / 1000))
}

let args = CommandLine.arguments
switch (args.count > 1 ? args[1] : "", args.count) {
case ("ceiling", 3): try await ceiling(Int(args[2])!)
case ("e2e", 4): try endToEnd(args[2], Int(args[3])!)
case ("latency", 4): try latency(args[2], Int(args[3])!)
default:
    print("usage: bench-events ceiling N | e2e BIN_DIR N | latency BIN_DIR K")
    exit(64)
}
