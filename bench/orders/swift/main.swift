// bench-orders: orders end to end through the real stack (started by bench/orders.sh): N open orders
// created through fulfillment's `orders.create`, then N signed `payment_intent.succeeded` webhooks (amount,
// currency and metadata.order_id of each order) POSTed to the gateway over C keep-alive connections, timed
// until every order is fulfilled (`fulfilments` rows in fulfillment.sqlite) and notified (one `.eml` per
// order in the notifier's mail directory).
//
//   bench-orders run PORT SOCKET_DIR DATA_DIR N C SECRET
//
// Prints one JSON line: orders/s to fulfilled and to notified (N over first webhook sent to last fulfilment
// / last email written) and to recorded (last `delivered` row committed by the notifier), per-order webhook-to-fulfilment latency (send time recorded just before each
// request is written; fulfilled_at is fulfillment's Unix ms), the HTTP round trip of the webhooks and any
// non-200 answers.
import Crypto
import Foundation
import Messages
import Transport
import Wire
#if canImport(Glibc)
import Glibc
#endif

func realtimeMicros() -> Int64 {
    var ts = timespec()
    clock_gettime(CLOCK_REALTIME, &ts)
    return Int64(ts.tv_sec) * 1_000_000 + Int64(ts.tv_nsec) / 1_000
}

func percentile(_ sorted: [Double], _ p: Double) -> Double {
    sorted.isEmpty ? .nan : sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))]
}

/// One blocking HTTP/1.1 keep-alive connection to 127.0.0.1 (enough for `Content-Length` answers).
final class HTTPConnection {
    let fd: Int32
    var buffer = [UInt8](repeating: 0, count: 65536)

    init(port: UInt16) {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        precondition(rc == 0, "connect to 127.0.0.1:\(port) failed: errno \(errno)")
    }

    deinit { close(fd) }

    /// Sends one request and returns the status code of its response (0 on a broken connection).
    func send(_ request: [UInt8]) -> Int {
        var written = 0
        while written < request.count {
            let n = request[written...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if n <= 0 { return 0 }
            written += n
        }
        var received: [UInt8] = []
        var headerEnd = -1
        var contentLength = 0
        while true {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n <= 0 { return 0 }
            received.append(contentsOf: buffer[0..<n])
            if headerEnd < 0, let end = Self.find(received, [13, 10, 13, 10]) {
                headerEnd = end + 4
                let head = String(decoding: received[0..<end], as: UTF8.self).lowercased()
                for line in head.split(separator: "\r\n") where line.hasPrefix("content-length:") {
                    contentLength = Int(line.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) ?? 0
                }
            }
            if headerEnd >= 0 && received.count >= headerEnd + contentLength {
                let status = String(decoding: received[9..<12], as: UTF8.self)
                return Int(status) ?? 0
            }
        }
    }

    static func find(_ haystack: [UInt8], _ needle: [UInt8]) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        for i in 0...(haystack.count - needle.count) where haystack[i] == needle[0] {
            if Array(haystack[i..<(i + needle.count)]) == needle { return i }
        }
        return nil
    }
}

/// Per-webhook results, each index written by exactly one worker thread.
final class Results: @unchecked Sendable {
    var sentMicros: [Int64]
    var answeredMicros: [Int64]
    var status: [Int]
    init(_ n: Int) {
        sentMicros = Array(repeating: 0, count: n)
        answeredMicros = Array(repeating: 0, count: n)
        status = Array(repeating: 0, count: n)
    }
}

/// A `payment_intent.succeeded` body like Stripe's (about 1.4 KB) paying `order` in full.
func webhookBody(_ i: Int, runID: String, order: Order) -> [UInt8] {
    let created = Int(Date().timeIntervalSince1970)
    let pi = "pi_\(runID)_\(i)"
    return Array("""
        {"id":"evt_\(runID)_\(i)","object":"event","api_version":"2026-02-25.clover","created":\(created),"data":{"object":\
        {"id":"\(pi)","object":"payment_intent","amount":\(order.amount),"amount_capturable":0,"amount_details":{"tip":{}},\
        "amount_received":\(order.amount),"application":null,"application_fee_amount":null,"automatic_payment_methods":{"allow_redirects":"always","enabled":true},\
        "canceled_at":null,"cancellation_reason":null,"capture_method":"automatic_async","client_secret":"\(pi)_secret_abcdefghijklmnop",\
        "confirmation_method":"automatic","created":\(created),"currency":"\(order.currency)","customer":null,"description":null,\
        "last_payment_error":null,"latest_charge":"ch_\(runID)_\(i)","livemode":false,"metadata":{"order_id":"\(order.orderID)"},\
        "next_action":null,"on_behalf_of":null,"payment_method":"pm_\(runID)_\(i)","payment_method_configuration_details":null,\
        "payment_method_options":{"card":{"installments":null,"mandate_options":null,"network":null,"request_three_d_secure":"automatic"}},\
        "payment_method_types":["card"],"processing":null,"receipt_email":"\(order.email)","review":null,"setup_future_usage":null,\
        "shipping":null,"source":null,"statement_descriptor":null,"statement_descriptor_suffix":null,"status":"succeeded",\
        "transfer_data":null,"transfer_group":null}},"livemode":false,"pending_webhooks":1,\
        "request":{"id":"req_\(runID)_\(i)","idempotency_key":"shop:\(order.orderID):payment_intent:1"},"type":"payment_intent.succeeded"}
        """.utf8)
}

func sqlite(_ path: String, _ sql: String) -> String {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
    p.arguments = ["-readonly", path, sql]
    let out = Pipe()
    p.standardOutput = out
    try! p.run()
    let data = out.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return String(decoding: data, as: UTF8.self)
}

func emlFiles(_ dir: String) -> [String] {
    ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).filter { $0.hasSuffix(".eml") }
}

func run(port: UInt16, socketDir: String, dataDir: String, n: Int, concurrency: Int, secret: String) async throws {
    let runID = "ord\(getpid())"
    // 1. N open orders (not timed as part of the result; printed for information).
    let fulfillment = MessageClient(socketPath: socketDir + "/fulfillment.sock")
    let createStart = ContinuousClock.now
    let orders = try await withThrowingTaskGroup(of: [(Int, Order)].self) { group in
        for worker in 0..<64 {
            group.addTask {
                var mine: [(Int, Order)] = []
                for i in stride(from: worker, to: n, by: 64) {
                    let request = CreateOrderRequest(items: [OrderItemRequest(sku: "bench-widget", quantity: 1)],
                                                     email: "buyer\(i)@example.com", flow: .paymentIntent,
                                                     idempotencyKey: "\(runID)-\(i)")
                    mine.append((i, try await fulfillment.call(OrderMessages.create, request, as: Order.self, deadline: .seconds(30))))
                }
                return mine
            }
        }
        var all = [Order?](repeating: nil, count: n)
        for try await part in group { for (i, o) in part { all[i] = o } }
        return all.map { $0! }
    }
    let createSeconds = Double((ContinuousClock.now - createStart).components.attoseconds) / 1e18
        + Double((ContinuousClock.now - createStart).components.seconds)
    let orderIndex = Dictionary(uniqueKeysWithValues: orders.enumerated().map { ($1.orderID, $0) })

    // 2. The webhooks, signed now, as complete HTTP requests.
    let now = Int64(Date().timeIntervalSince1970)
    let requests: [[UInt8]] = orders.enumerated().map { i, order in
        let body = webhookBody(i, runID: runID, order: order)
        let signature = WebhookSignature.header(body: body, timestamp: now, secrets: [secret])
        return Array("""
            POST /webhooks/stripe HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nUser-Agent: Stripe/1.0 (+https://stripe.com/docs/webhooks)\r\n\
            Content-Type: application/json; charset=utf-8\r\nStripe-Signature: \(signature)\r\nContent-Length: \(body.count)\r\n\r\n
            """.utf8) + body
    }

    // 3. Send them over C connections, one request at a time per connection.
    let results = Results(n)
    let group = DispatchGroup()
    let connections = (0..<concurrency).map { _ in HTTPConnection(port: port) }
    final class Box: @unchecked Sendable { let c: HTTPConnection; init(_ c: HTTPConnection) { self.c = c } }
    let boxes = connections.map(Box.init)
    let sendStart = realtimeMicros()
    for worker in 0..<concurrency {
        group.enter()
        let box = boxes[worker]
        let thread = Thread {
            for i in stride(from: worker, to: n, by: concurrency) {
                results.sentMicros[i] = realtimeMicros()
                results.status[i] = box.c.send(requests[i])
                results.answeredMicros[i] = realtimeMicros()
            }
            group.leave()
        }
        thread.stackSize = 1 << 20
        thread.start()
    }
    group.wait()
    let sendEnd = realtimeMicros()

    // 4. Wait for every order's email (the last step), then read what fulfillment recorded.
    let mailDir = dataDir + "/notifier/outbox-mail"
    let deadline = Date().addingTimeInterval(120)
    var emails = emlFiles(mailDir).count
    while emails < n && Date() < deadline {
        usleep(10_000)
        emails = emlFiles(mailDir).count
    }
    // The notifier records a delivery only after its file is durable: wait for those rows too.
    var recorded = 0, lastRecordedMs: Int64 = 0
    while Date() < deadline {
        let row = sqlite(dataDir + "/notifier.sqlite",
                         "SELECT COUNT(*), COALESCE(MAX(delivered_at), 0) FROM deliveries WHERE status = 'delivered'")
            .trimmingCharacters(in: .whitespacesAndNewlines).split(separator: "|")
        if row.count == 2 { recorded = Int(row[0]) ?? 0; lastRecordedMs = Int64(row[1]) ?? 0 }
        if recorded >= n { break }
        usleep(10_000)
    }
    var lastMailMicros: Int64 = 0
    for name in emlFiles(mailDir) {
        var st = stat()
        if stat(mailDir + "/" + name, &st) == 0 {
            lastMailMicros = max(lastMailMicros, Int64(st.st_mtim.tv_sec) * 1_000_000 + Int64(st.st_mtim.tv_nsec) / 1_000)
        }
    }
    var latencies: [Double] = []
    var lastFulfilledMs: Int64 = 0
    for line in sqlite(dataDir + "/fulfillment.sqlite", "SELECT order_id, fulfilled_at FROM fulfilments").split(separator: "\n") {
        let parts = line.split(separator: "|")
        guard parts.count == 2, let i = orderIndex[String(parts[0])], let at = Int64(parts[1]) else { continue }
        latencies.append(Double(at * 1000 - results.sentMicros[i]) / 1000)
        lastFulfilledMs = max(lastFulfilledMs, at)
    }
    latencies.sort()
    let http = (0..<n).map { Double(results.answeredMicros[$0] - results.sentMicros[$0]) / 1000 }.sorted()
    let non200 = results.status.filter { $0 != 200 }.count
    let toFulfilled = Double(lastFulfilledMs * 1000 - sendStart) / 1e6
    let toNotified = Double(lastMailMicros - sendStart) / 1e6
    let toRecorded = Double(lastRecordedMs * 1000 - sendStart) / 1e6
    print(String(format: #"{"label":"orders-e2e","orders":%d,"concurrency":%d,"create_per_s":%.0f,"send_seconds":%.3f,"#
                 + #""webhook_http_p50_ms":%.2f,"webhook_http_p99_ms":%.2f,"non_200":%d,"fulfilled":%d,"emails":%d,"#
                 + #""seconds_to_fulfilled":%.3f,"fulfilled_per_s":%.0f,"seconds_to_notified":%.3f,"notified_per_s":%.0f,"#
                 + #""delivered_recorded":%d,"recorded_per_s":%.0f,"#
                 + #""latency_p50_ms":%.1f,"latency_p99_ms":%.1f,"latency_max_ms":%.1f}"#,
                 n, concurrency, Double(n) / createSeconds, Double(sendEnd - sendStart) / 1e6,
                 percentile(http, 0.5), percentile(http, 0.99), non200, latencies.count, emails,
                 toFulfilled, Double(latencies.count) / toFulfilled, toNotified, Double(emails) / toNotified,
                 recorded, Double(recorded) / toRecorded,
                 percentile(latencies, 0.5), percentile(latencies, 0.99), latencies.last ?? .nan))
}

let args = CommandLine.arguments
if args.count == 8, args[1] == "run", let port = UInt16(args[2]), let n = Int(args[5]), let c = Int(args[6]) {
    try await run(port: port, socketDir: args[3], dataDir: args[4], n: n, concurrency: c, secret: args[7])
} else {
    FileHandle.standardError.write(Data("usage: bench-orders run PORT SOCKET_DIR DATA_DIR N CONCURRENCY SECRET\n".utf8))
    exit(64)
}
