import Crypto
import Foundation
import Messages
import Testing
import Transport
import Wire

/// Helpers for the fulfillment and notifier tests: calls to a service's socket, the real payments service
/// fed with signed Stripe webhooks (it verifies and records them and publishes the payment events to
/// fulfillment through its real outbox and relay), SQL on a service's database, and polling with a deadline.
struct ShopStack {
    /// The webhook signing secret payments is started with (what `whsec_...` is for a Stripe endpoint).
    static let webhookSecret = "whsec_tests_fulfillment"

    let dir: TemporaryDirectory
    let env: [String: String]

    init(extra: [String: String] = [:]) throws {
        dir = try TemporaryDirectory()
        env = ServiceProcess.environment(in: dir, extra: [
            "SHOP_LOG_LEVEL": "info", "SHOP_EVENT_RETRY_BASE_MS": "10", "SHOP_EVENT_RETRY_MAX_MS": "200",
        ].merging(extra) { $1 })
    }

    func start(_ name: String, _ extra: [String: String] = [:]) throws -> ServiceProcess {
        try ServiceProcess(name, environment: env.merging(extra) { $1 }, logDirectory: dir)
    }

    /// The real payments service. Webhook intake needs only STRIPE_WEBHOOK_SECRET; without STRIPE_SECRET_KEY
    /// payments runs degraded (it can take no payments itself), which these tests do not need.
    func startPayments() throws -> ServiceProcess {
        try start("payments", ["STRIPE_WEBHOOK_SECRET": Self.webhookSecret])
    }

    func socket(_ service: String) -> String { dir.file("s/\(service).sock") }

    /// Sends a request and returns the reply payload, throwing the wire error if there is one.
    func call<T: Decodable>(_ service: String, _ type: String, _ body: some Encodable, as: T.Type = T.self,
                            timeoutMs: Int = 30_000) throws -> T {
        let reply = try BlockingClient.call(path: socket(service), message: .request(type, payload: try RawJSON(encoding: body)),
                                            timeoutMs: timeoutMs)
        if let error = reply.error { throw error }
        return try (reply.payload ?? .emptyObject).decode(T.self)
    }

    /// The wire error a request answers with (nil if it succeeded).
    func callError(_ service: String, _ type: String, _ body: some Encodable) throws -> WireError? {
        let reply = try BlockingClient.call(path: socket(service), message: .request(type, payload: try RawJSON(encoding: body)),
                                            timeoutMs: 30_000)
        return reply.error
    }

    func createOrder(_ items: [(String, Int)], email: String = "buyer@example.com", key: String? = nil) throws -> Order {
        try call("fulfillment", OrderMessages.create,
                 CreateOrderRequest(items: items.map { OrderItemRequest(sku: $0.0, quantity: $0.1) }, email: email,
                                    flow: .paymentIntent, idempotencyKey: key))
    }

    func order(_ id: String) throws -> Order {
        try call("fulfillment", OrderMessages.get, GetOrderRequest(orderID: id))
    }

    /// A Stripe event about `order` as Stripe would send it (a new `evt_` id unless `stripeEventID` is given).
    /// `amount` and `currency` default to the order's; `failure` is the payment error's message.
    static func payment(_ type: String, order: Order, amount: Int? = nil, currency: String? = nil, stripeEventID: String? = nil,
                        paymentStatus: String? = nil, failure: String? = nil) -> StripeEventInput {
        StripeEventInput(id: stripeEventID ?? "evt_test_" + randomSuffix(), type: type, orderID: order.orderID,
                         paymentIntentID: "pi_test_" + order.orderID.suffix(8), amount: amount ?? order.amount,
                         currency: currency ?? order.currency, paymentStatus: paymentStatus, failure: failure,
                         created: Int64(Date().timeIntervalSince1970))
    }

    static func randomSuffix() -> String { String(UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(24)).lowercased() }

    /// Delivers one Stripe event to payments as a webhook (`payments.webhook`, body signed with the endpoint
    /// secret), returning payments' outcome once the event is durably recorded: `accepted` or `duplicate`.
    func deliver(_ event: StripeEventInput) throws -> String {
        let body = event.body
        let signature = WebhookSignature.header(body: body, timestamp: Int64(Date().timeIntervalSince1970), secrets: [Self.webhookSecret])
        let reply = try call("payments", PaymentMessages.webhook,
                             WebhookRequest(bodyBase64: Data(body).base64EncodedString(), signature: signature),
                             as: WebhookReply.self, timeoutMs: 60_000)
        guard reply.eventID == event.id, reply.type == event.type else {
            throw ServiceFailure("payments answered for \(reply.eventID) \(reply.type), sent \(event.id) \(event.type)")
        }
        return reply.outcome.rawValue
    }

    /// Delivers Stripe events one after the other (each recorded before the next is sent, so payments
    /// publishes them, per order, in this order); payments' outcomes.
    @discardableResult
    func publish(_ events: [StripeEventInput]) throws -> [String] {
        try events.map { try deliver($0) }
    }

    /// Delivers Stripe events from `workers` threads at once (no order between them); outcomes by index.
    @discardableResult
    func publishConcurrently(_ events: [StripeEventInput], workers: Int = 8) async throws -> [String] {
        let parts = try await Self.onThreads(workers) { w in
            try stride(from: w, to: events.count, by: workers).map { i in (i, try self.deliver(events[i])) }
        }
        return parts.joined().sorted { $0.0 < $1.0 }.map(\.1)
    }

    /// Runs `body(0..<count)` each on a thread of its own, so that blocking socket calls really overlap
    /// (Swift's cooperative pool has one thread per core) and tie up none of the pool; results by index.
    static func onThreads<T: Sendable>(_ count: Int, _ body: @escaping @Sendable (Int) throws -> T) async throws -> [T] {
        let results = ThreadResults<T>(count)
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            let group = DispatchGroup()
            for i in 0..<count {
                group.enter()
                Thread {
                    results.set(i, Result { try body(i) })
                    group.leave()
                }.start()
            }
            group.notify(queue: .global()) { done.resume() }
        }
        return try results.values()
    }

    /// Rows of a query on a service's database (sqlite3 shell; `|`-separated columns).
    func sql(_ service: String, _ query: String) throws -> [String] {
        let r = try runCommand("/usr/bin/sqlite3", ["-cmd", ".timeout 5000", dir.file("d/\(service).sqlite"), query], environment: [:])
        guard r.status == 0 else { throw ServiceFailure("sqlite3 failed: \(r.stderr)") }
        return r.stdout.split(separator: "\n").map(String.init)
    }

    func count(_ service: String, _ query: String) throws -> Int {
        Int(try sql(service, query).first ?? "") ?? -1
    }

    func command(_ executable: String, _ args: [String], _ extra: [String: String] = [:]) throws -> CommandResult {
        try runCommand(Binaries.path(executable), args, environment: env.merging(extra) { $1 })
    }

    /// Polls an observable condition until it holds, or throws after `timeout`.
    /// The default is generous: a deadline, not a sleep, so it costs nothing when things work.
    func waitUntil(_ what: String, timeout: Duration = .seconds(60), _ condition: () throws -> Bool) throws {
        let deadline = ContinuousClock.now + timeout
        var lastError: (any Error)?
        while ContinuousClock.now < deadline {
            do {
                if try condition() { return }
            } catch {
                lastError = error
            }
            usleep(20_000)
        }
        throw ServiceFailure("timed out waiting until \(what)" + (lastError.map { " (last error: \($0))" } ?? ""))
    }

    /// Writes a catalog file into the test directory and returns its path.
    func catalogFile(_ json: String) throws -> String {
        let path = dir.file("catalog-\(UUID().uuidString.prefix(6)).json")
        try json.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// A catalog with plenty of stock for bursts, a small-stock item, and a cny and a jpy product.
    static let testCatalog = """
        {"products": [
          {"sku": "tee", "name": "Dragon T-shirt (龙)", "unit_amount": 400, "currency": "cny", "stock": 100000},
          {"sku": "mug", "name": "Mug", "unit_amount": 400, "currency": "usd", "stock": 100000},
          {"sku": "rare", "name": "Rare print", "unit_amount": 2500, "currency": "usd", "stock": 2},
          {"sku": "fan", "name": "Fan", "unit_amount": 1500, "currency": "jpy", "stock": 10},
          {"sku": "oud", "name": "Oud oil", "unit_amount": 1234, "currency": "bhd", "stock": 10}
        ]}
        """
}

/// One Stripe event about an order, as Stripe would send it to the webhook endpoint: a `payment_intent`,
/// `checkout.session` or `invoice` object (by the type's prefix) carrying `metadata.order_id`.
/// How payments maps its fields: Services/payments/PaymentEventMapping.swift.
struct StripeEventInput: Sendable {
    var id: String
    var type: String
    var orderID: String
    var paymentIntentID: String
    var amount: Int
    var currency: String
    /// Checkout Sessions: `payment_status` (default: `paid` for async success, else `unpaid`).
    var paymentStatus: String?
    /// PaymentIntents: `last_payment_error.message` (with code `card_declined`).
    var failure: String?
    var created: Int64

    /// The event's JSON body.
    var body: [UInt8] {
        let action = type.split(separator: ".").last.map(String.init) ?? ""
        let metadata = ["order_id": orderID]
        let objectSuffix = String(id.split(separator: "_").last ?? "x")
        var object: [String: Any]
        if type.hasPrefix("payment_intent.") {
            let status = ["succeeded": "succeeded", "processing": "processing", "canceled": "canceled"][action] ?? "requires_payment_method"
            object = ["id": paymentIntentID, "object": "payment_intent", "amount": amount,
                      "amount_received": status == "succeeded" ? amount : 0, "currency": currency, "status": status,
                      "metadata": metadata]
            if let failure {
                object["last_payment_error"] = ["type": "card_error", "code": "card_declined", "message": failure]
            }
        } else if type.hasPrefix("checkout.session.") {
            object = ["id": "cs_test_" + objectSuffix, "object": "checkout.session", "amount_total": amount, "currency": currency,
                      "status": action == "expired" ? "expired" : "complete",
                      "payment_status": paymentStatus ?? (action == "async_payment_succeeded" ? "paid" : "unpaid"),
                      "payment_intent": paymentIntentID, "metadata": metadata]
        } else if type.hasPrefix("invoice.") {
            let paid = action == "paid"
            object = ["id": "in_test_" + objectSuffix, "object": "invoice", "amount_paid": paid ? amount : 0, "amount_due": amount,
                      "currency": currency, "status": paid ? "paid" : "open", "payment_intent": paymentIntentID, "metadata": metadata]
        } else {
            object = ["id": "obj_test_" + objectSuffix, "object": "unknown", "metadata": metadata]
        }
        let event: [String: Any] = ["id": id, "object": "event", "type": type, "created": created, "livemode": false,
                                    "data": ["object": object]]
        // Stripe's bytes are whatever they are; any valid JSON is signed and verified as is.
        return Array((try? JSONSerialization.data(withJSONObject: event, options: [.sortedKeys])) ?? Data())
    }
}

/// Results of `ShopStack.onThreads`, set from several threads.
final class ThreadResults<T: Sendable>: @unchecked Sendable {
    // Safe: `slots` is only touched under `lock`.
    private let lock = NSLock()
    private var slots: [Result<T, any Error>?]

    init(_ count: Int) { slots = Array(repeating: nil, count: count) }

    func set(_ index: Int, _ result: Result<T, any Error>) { lock.withLock { slots[index] = result } }

    func values() throws -> [T] {
        try lock.withLock { slots }.map { slot in
            guard let slot else { throw ServiceFailure("a thread left no result") }
            return try slot.get()
        }
    }
}

/// A mail (and merchant webhook) sink: `Scripts/smtp_sink.py` on aiosmtpd, started on a loopback port.
final class MailSink: @unchecked Sendable {
    // Safe: every property is immutable after init.
    let directory: String
    let smtpPort: Int
    let httpPort: Int?
    private let process: ChildProcess
    private let home: TemporaryDirectory

    /// The Python of the tools venv: `SHOP_VENV_PYTHON`, else `<package root>/.venv-tools/bin/python`.
    static var python: String {
        if let p = ProcessInfo.processInfo.environment["SHOP_VENV_PYTHON"], !p.isEmpty { return p }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        return root.appendingPathComponent(".venv-tools/bin/python").path
    }

    static var script: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Scripts/smtp_sink.py").path
    }

    /// Starts the sink in a temporary directory of its own (removed with the sink).
    init(mode: String = "accept", http: Bool = false, httpMode: String = "ok") throws {
        home = try TemporaryDirectory()
        directory = home.file("sink")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let out = directory + ".out"
        var args = [Self.script, directory, "--mode", mode, "--http-mode", httpMode]
        if http { args.append("--http") }
        process = try ChildProcess(executable: Self.python, arguments: args, environment: ["PATH": "/usr/bin:/bin"], outputPath: out)
        let deadline = ContinuousClock.now + .seconds(20)
        var smtp: Int?, hook: Int?
        while ContinuousClock.now < deadline {
            let text = (try? String(contentsOfFile: out, encoding: .utf8)) ?? ""
            for line in text.split(separator: "\n") {
                let parts = line.split(separator: " ")
                if parts.count == 2, parts[0] == "SMTP" { smtp = Int(parts[1]) }
                if parts.count == 2, parts[0] == "HTTP" { hook = Int(parts[1]) }
            }
            if smtp != nil, !http || hook != nil { break }
            guard process.isRunning else { throw ServiceFailure("smtp_sink.py exited: \(text)") }
            usleep(20_000)
        }
        guard let smtp else { throw ServiceFailure("smtp_sink.py did not report its port") }
        smtpPort = smtp
        httpPort = hook
    }

    deinit {
        process.signal(SIGKILL)
        _ = process.waitForExit(timeout: .seconds(5))
    }

    var smtpURL: String { "smtp://127.0.0.1:\(smtpPort)" }
    var webhookURL: String { "http://127.0.0.1:\(httpPort ?? 0)/hooks/shop" }

    /// One received email as parsed by Python's email package.
    struct Mail: Decodable {
        var mail_from: String
        var rcpt_tos: [String]
        var subject: String
        var raw_subject: String
        var from: String
        var to: String
        var message_id: String
        var date: String
        var content_type: String
        var text: String?
        var html: String?
    }

    func mails() throws -> [Mail] {
        try files(suffix: ".json", prefix: "mail-").map { try JSONDecoder().decode(Mail.self, from: Data(contentsOf: URL(fileURLWithPath: $0))) }
    }

    /// Received webhook posts: raw body bytes and headers.
    func hooks() throws -> [(body: [UInt8], headers: [String: String])] {
        try files(suffix: ".json", prefix: "hook-").map { path in
            let headers = try JSONDecoder().decode([String: String].self, from: Data(contentsOf: URL(fileURLWithPath: path)))
            let body = try Data(contentsOf: URL(fileURLWithPath: String(path.dropLast(5)) + ".body"))
            return (Array(body), headers)
        }
    }

    private func files(suffix: String, prefix: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: directory)
            .filter { $0.hasPrefix(prefix) && $0.hasSuffix(suffix) }.sorted().map { directory + "/" + $0 }
    }
}
