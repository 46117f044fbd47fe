// bench-webhooks: webhook intake throughput of the real payments service (signature check + durable
// record of the event and its outbox event, fsync on), next to its ceiling measured in the same run: the
// same number of HMAC-SHA256 signature verifications alone, in one process.
//
//   bench-webhooks hmac N                 verify N signed bodies in a loop (the ceiling)
//   bench-webhooks intake BIN_DIR N C     payments as a real process; N deliveries, C in flight at once
import Crypto
import Foundation
import Messages
import Transport
import Wire

let secret = "whsec_bench_secret"

func seconds(_ d: Duration) -> Double { Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18 }

/// A realistic `payment_intent.succeeded` body (about 1.4 KB, like Stripe's).
func body(_ i: Int) -> [UInt8] {
    let created = Int(Date().timeIntervalSince1970)
    return Array("""
        {"id":"evt_bench_\(i)","object":"event","api_version":"2026-02-25.clover","created":\(created),"data":{"object":\
        {"id":"pi_bench_\(i)","object":"payment_intent","amount":2500,"amount_capturable":0,"amount_details":{"tip":{}},\
        "amount_received":2500,"application":null,"application_fee_amount":null,"automatic_payment_methods":{"allow_redirects":"always","enabled":true},\
        "canceled_at":null,"cancellation_reason":null,"capture_method":"automatic_async","client_secret":"pi_bench_\(i)_secret_abcdefghijklmnop",\
        "confirmation_method":"automatic","created":\(created),"currency":"usd","customer":null,"description":null,\
        "last_payment_error":null,"latest_charge":"ch_bench_\(i)","livemode":false,"metadata":{"order_id":"ord_bench_\(i)"},\
        "next_action":null,"on_behalf_of":null,"payment_method":"pm_bench_\(i)","payment_method_configuration_details":null,\
        "payment_method_options":{"card":{"installments":null,"mandate_options":null,"network":null,"request_three_d_secure":"automatic"}},\
        "payment_method_types":["card"],"processing":null,"receipt_email":null,"review":null,"setup_future_usage":null,\
        "shipping":null,"source":null,"statement_descriptor":null,"statement_descriptor_suffix":null,"status":"succeeded",\
        "transfer_data":null,"transfer_group":null}},"livemode":false,"pending_webhooks":1,\
        "request":{"id":"req_bench_\(i)","idempotency_key":"shop:ord_bench_\(i):payment_intent:1"},"type":"payment_intent.succeeded"}
        """.utf8)
}

func signed(_ n: Int) -> [(body: [UInt8], header: String)] {
    let t = Int64(Date().timeIntervalSince1970)
    return (0..<n).map { i in
        let b = body(i)
        return (b, WebhookSignature.header(body: b, timestamp: t, secrets: [secret]))
    }
}

func hmacCeiling(_ n: Int) throws {
    let deliveries = signed(n)
    let now = Int64(Date().timeIntervalSince1970)
    let clock = ContinuousClock()
    let start = clock.now
    for d in deliveries { try WebhookSignature.verify(body: d.body, header: d.header, secrets: [secret], now: now) }
    let elapsed = seconds(clock.now - start)
    print(String(format: #"{"label":"hmac-ceiling","webhooks":%d,"seconds":%.3f,"per_s":%.0f}"#, n, elapsed, Double(n) / elapsed))
}

func intake(binDirectory: String, n: Int, concurrency: Int) async throws {
    let dir = NSTemporaryDirectory() + "bench-webhooks-\(getpid())"
    try? FileManager.default.removeItem(atPath: dir)
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: dir) }
    var env = ProcessInfo.processInfo.environment
    env["SHOP_SOCKET_DIR"] = dir + "/s"
    env["SHOP_DATA_DIR"] = dir + "/d"
    env["SHOP_LOG_LEVEL"] = "warn"
    env["STRIPE_WEBHOOK_SECRET"] = secret
    env["STRIPE_SECRET_KEY"] = "sk_test_bench"
    env["STRIPE_API_BASE"] = "http://127.0.0.1:9"
    let payments = Process()
    payments.executableURL = URL(fileURLWithPath: binDirectory + "/payments")
    payments.arguments = ["serve"]
    payments.environment = env
    payments.standardError = FileHandle(forWritingAtPath: "/dev/null")
    try payments.run()
    defer { payments.terminate(); payments.waitUntilExit() }

    let socket = dir + "/s/payments.sock"
    let client = MessageClient(socketPath: socket)
    let ready = ContinuousClock.now + .seconds(10)
    struct Pong: Decodable { var pong: Bool }
    while (try? await client.call("sys.ping", [String: String](), as: Pong.self, deadline: .milliseconds(200))) == nil {
        guard ContinuousClock.now < ready else { throw CocoaError(.fileNoSuchFile) }
        try await Task.sleep(for: .milliseconds(10))
    }
    let requests = signed(n).map { WebhookRequest(bodyBase64: Data($0.body).base64EncodedString(), signature: $0.header) }
    let clock = ContinuousClock()
    let start = clock.now
    let accepted = try await withThrowingTaskGroup(of: Int.self) { group in
        for worker in 0..<concurrency {
            group.addTask {
                var ok = 0
                for i in stride(from: worker, to: n, by: concurrency) {
                    let reply = try await client.call(PaymentMessages.webhook, requests[i], as: WebhookReply.self, deadline: .seconds(30))
                    if reply.outcome == .accepted { ok += 1 }
                }
                return ok
            }
        }
        return try await group.reduce(0, +)
    }
    let elapsed = seconds(clock.now - start)
    print(String(format: #"{"label":"intake","webhooks":%d,"accepted":%d,"concurrency":%d,"seconds":%.3f,"per_s":%.0f}"#,
                 n, accepted, concurrency, elapsed, Double(n) / elapsed))
}

let args = CommandLine.arguments
switch args.count > 1 ? args[1] : "" {
case "hmac" where args.count == 3:
    try hmacCeiling(Int(args[2])!)
case "intake" where args.count == 5:
    try await intake(binDirectory: args[2], n: Int(args[3])!, concurrency: Int(args[4])!)
default:
    FileHandle.standardError.write(Data("usage: bench-webhooks hmac N | intake BIN_DIR N CONCURRENCY\n".utf8))
    exit(64)
}
