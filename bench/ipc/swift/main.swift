// bench-ipc: round-trip latency and pipelined throughput of the project's real transport (MessageServer,
// MessageClient, envelope encoding) for a ~200-byte request/response pair, printed as one JSON line in the
// same shape as bench/ipc/baseline.c so bench/ipc.sh can put them side by side.
//
//   bench-ipc both   [--rtt-count N] [--pipeline-count N] [--window N] [--label L]
//   bench-ipc server <socket-path>
//   bench-ipc client <socket-path> [options]
//   bench-ipc startup <bin-dir>        start each service, time to healthy, idle RSS
import Foundation
import Logging
import Transport
import Wire

struct Options {
    var rttCount = 20_000
    var pipelineCount = 200_000
    var window = 128
    var label = "swift-transport"
}

func parseOptions(_ args: ArraySlice<String>) -> Options {
    var o = Options()
    var i = args.startIndex
    while i < args.endIndex {
        let value = i + 1 < args.endIndex ? args[i + 1] : ""
        switch args[i] {
        case "--rtt-count": o.rttCount = Int(value) ?? o.rttCount
        case "--pipeline-count": o.pipelineCount = Int(value) ?? o.pipelineCount
        case "--window": o.window = Int(value) ?? o.window
        case "--label": o.label = value
        default: fatalError("unknown option \(args[i])")
        }
        i += 2
    }
    return o
}

/// The request: a realistic envelope whose frame is about 200 bytes.
func benchRequest() -> Envelope {
    let payload = try! RawJSON(validating: Array(#"{"order_id":"ord_3f9a0c1d2b4e","sku":"tee-black-m","quantity":2,"note":"gift"}"#.utf8))
    return .request("bench.echo", payload: payload, traceID: "0123456789abcdef0123456789abcdef")
}

func serve(_ path: String) -> Never {
    var router = Router()
    // Echo the payload back: the response frame is the same size as the request's.
    router.register("bench.echo", .inline { request in request.payload })
    let server = MessageServer(socketPath: path, router: router, logger: Logger(service: "bench", level: .error))
    do { try server.start() } catch { fatalError("\(error)") }
    signal(SIGTERM, SIG_DFL)
    while true { pause() }
}

func percentile(_ sorted: [Double], _ p: Double) -> Double {
    sorted[min(sorted.count - 1, Int((p / 100 * Double(sorted.count)).rounded(.up)) - 1)]
}

func runClient(_ path: String, _ o: Options) async -> String {
    let client = MessageClient(socketPath: path, defaultDeadline: .seconds(30))
    let request = benchRequest()
    let frameSize = request.frame().count
    for _ in 0..<1_000 { _ = try! await client.send(benchRequest()) }

    var samples: [Double] = []
    samples.reserveCapacity(o.rttCount)
    let clock = ContinuousClock()
    for _ in 0..<o.rttCount {
        let message = benchRequest()
        let start = clock.now
        _ = try! await client.send(message)
        let d = clock.now - start
        samples.append(Double(d.components.attoseconds) / 1e12 + Double(d.components.seconds) * 1e6)
    }
    samples.sort()

    // Pipelined: `window` tasks each keep one call outstanding on the shared connection.
    let perTask = o.pipelineCount / o.window
    let start = clock.now
    await withTaskGroup(of: Void.self) { group in
        for _ in 0..<o.window {
            group.addTask {
                for _ in 0..<perTask { _ = try! await client.send(benchRequest()) }
            }
        }
    }
    let elapsed = clock.now - start
    let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    let completed = perTask * o.window
    return String(format: #"{"label":"%@","size":%d,"rtt_count":%d,"p50_us":%.1f,"p99_us":%.1f,"pipelined_count":%d,"pipelined_msgs_per_s":%.1f}"#,
                  o.label, frameSize, o.rttCount, percentile(samples, 50), percentile(samples, 99), completed,
                  Double(completed) / seconds)
}

/// Starts each service, measures time from spawn to an answered sys.health, then its idle RSS.
func startup(binDirectory: String) {
    let dir = NSTemporaryDirectory() + "shop-bench-\(getpid())"
    defer { try? FileManager.default.removeItem(atPath: dir) }
    var env = ProcessInfo.processInfo.environment
    env["SHOP_SOCKET_DIR"] = dir + "/s"
    env["SHOP_DATA_DIR"] = dir + "/d"
    env["SHOP_LOG_LEVEL"] = "warn"
    env["GATEWAY_PORT"] = "0"
    var started: [Process] = []
    defer { for p in started { p.terminate(); p.waitUntilExit() } }
    for name in ["notifier", "fulfillment", "payments", "gateway"] {
        guard FileManager.default.isExecutableFile(atPath: binDirectory + "/" + name) else {
            print(#"{"service":"\#(name)","error":"not built"}"#)
            continue
        }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: binDirectory + "/" + name)
        p.arguments = ["serve"]
        p.environment = env
        let clock = ContinuousClock()
        let t0 = clock.now
        try! p.run()
        started.append(p)
        let socket = dir + "/s/\(name).sock"
        while true {
            if let r = try? BlockingClient.call(path: socket, message: .request("sys.health"), timeoutMs: 1_000), r.error == nil { break }
            usleep(500)
        }
        let ms = Double((clock.now - t0).components.attoseconds) / 1e15 + Double((clock.now - t0).components.seconds) * 1e3
        usleep(1_000_000)  // idle for a second before reading memory
        let status = (try? String(contentsOfFile: "/proc/\(p.processIdentifier)/status", encoding: .utf8)) ?? ""
        let rss = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") }?
            .split(separator: " ", omittingEmptySubsequences: true).dropFirst().first.flatMap { Int($0) } ?? -1
        print(String(format: #"{"service":"%@","start_to_healthy_ms":%.1f,"idle_rss_kb":%d}"#, name, ms, rss))
    }
}

let args = CommandLine.arguments
switch args.count > 1 ? args[1] : "" {
case "server":
    serve(args[2])
case "client":
    let o = parseOptions(args.dropFirst(3))
    print(await runClient(args[2], o))
case "both":
    let o = parseOptions(args.dropFirst(2))
    let path = NSTemporaryDirectory() + "bench-ipc-\(getpid()).sock"
    let server = Process()
    server.executableURL = URL(fileURLWithPath: CommandLine.arguments[0])
    server.arguments = ["server", path]
    try! server.run()
    while (try? BlockingClient.call(path: path, message: .request("sys.ping"), timeoutMs: 500)) == nil {
        usleep(1_000)
    }
    print(await runClient(path, o))
    server.terminate()
    server.waitUntilExit()
    unlink(path)
case "startup":
    startup(binDirectory: args[2])
default:
    print("usage: bench-ipc both|server PATH|client PATH|startup BIN_DIR [--rtt-count N] [--pipeline-count N] [--window N] [--label L]")
    exit(64)
}
