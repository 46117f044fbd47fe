import Crypto
import Foundation
import HTTPTesting
import Synchronization
import Testing

/// The whole product for one test, all real: the Stripe stand-in, notifier, fulfillment, payments and
/// the gateway on a free loopback port (its operator console on another, see ``TestConsole``), with the
/// stand-in's webhooks pointed at the gateway.
final class FullStack: @unchecked Sendable {
    // Safe: set once in init and only read; ServiceProcess.restart is called from the owning test only.
    static let webhookSecret = "whsec_end_to_end"
    let dir: TemporaryDirectory
    let emulator: StripeEmulatorProcess
    let env: [String: String]
    let notifier: ServiceProcess
    let fulfillment: ServiceProcess
    let payments: ServiceProcess
    let gateway: ServiceProcess
    let port: Int
    let http: HTTPTestClient

    /// `environment` goes to every service; `emulatorEnvironment` to the Stripe stand-in (e.g.
    /// `EMULATOR_ASYNC_SETTLE_MS`).
    init(webhooks: Bool = true, environment extra: [String: String] = [:],
         emulatorEnvironment: [String: String] = [:]) throws {
        dir = try TemporaryDirectory()
        emulator = try StripeEmulatorProcess(in: dir, environment: ["EMULATOR_WEBHOOK_RETRY_BASE_MS": "50",
                                                                    "EMULATOR_WEBHOOK_RETRY_MAX_MS": "500"]
                                                                    .merging(emulatorEnvironment) { _, new in new })
        var env = ServiceProcess.environment(in: dir, extra: [
            "SHOP_LOG_LEVEL": "info", "SHOP_EVENT_RETRY_BASE_MS": "20", "SHOP_EVENT_RETRY_MAX_MS": "500",
            "STRIPE_SECRET_KEY": StripeEmulatorProcess.key, "STRIPE_PUBLISHABLE_KEY": "pk_test_end_to_end",
            "STRIPE_API_BASE": emulator.baseURL, "STRIPE_WEBHOOK_SECRET": Self.webhookSecret, "GATEWAY_PORT": "0",
        ].merging(try TestConsole.environment(in: dir)) { $1 })
        env.merge(extra) { _, new in new }
        self.env = env
        notifier = try ServiceProcess("notifier", environment: env, logDirectory: dir)
        fulfillment = try ServiceProcess("fulfillment", environment: env, logDirectory: dir)
        payments = try ServiceProcess("payments", environment: env, logDirectory: dir)
        gateway = try ServiceProcess("gateway", environment: env, logDirectory: dir)
        port = try GatewayListenerTests.port(of: gateway)
        http = HTTPTestClient(port: port)
        if webhooks { try registerWebhooks() }
    }

    func registerWebhooks() throws {
        let r = try emulator.helper("POST", "/_emulator/webhooks",
                                    json: ["url": "http://127.0.0.1:\(port)/webhooks/stripe", "secret": Self.webhookSecret])
        guard r.status == 200 else { throw ServiceFailure("webhook registration failed: \(r.status)") }
    }

    /// `POST path` with an order body; the 201 answer's fields.
    func create(_ path: String = "/api/orders", sku: String = "mug", quantity: Int = 1,
                email: String = "buyer@example.com") throws -> [String: Any] {
        let r = try http.postJSON(path, #"{"items":[{"sku":"\#(sku)","quantity":\#(quantity)}],"email":"\#(email)"}"#)
        guard r.status == 201 else { throw ServiceFailure("\(path) answered \(r.status): \(r.text)") }
        if let id = r.json["order_id"] as? String, let token = r.json["order_token"] as? String {
            tokens.withLock { $0[id] = token }
        }
        return r.json
    }

    /// The order tokens of the orders ``create(_:sku:quantity:email:)`` made, by order id.
    let tokens = Mutex<[String: String]>([:])

    /// The order as the API shows it: with its token (the detailed view) when this stack created it.
    func order(_ id: String) throws -> [String: Any] {
        let headers = tokens.withLock { $0[id] }.map { [("Order-Token", $0)] } ?? []
        return try http.get("/api/orders/\(id)", headers: headers).json
    }

    /// A well-formed order token that no order was issued.
    static let anyToken = ("Order-Token", "otk_" + String(repeating: "0", count: 64))

    /// The text part of a `.eml` the notifier wrote (its body is base64).
    static func plainText(ofEmail path: String) throws -> String {
        let mail = try String(contentsOfFile: path, encoding: .utf8).replacingOccurrences(of: "\r\n", with: "\n")
        guard let part = mail.components(separatedBy: "Content-Type: text/plain").dropFirst().first,
              let start = part.range(of: "\n\n") else { return "" }
        let encoded = part[start.upperBound...].prefix { $0 != "-" }.filter { !$0.isWhitespace }
        return String(decoding: Data(base64Encoded: String(encoded)) ?? Data(), as: UTF8.self)
    }

    func status(_ id: String) throws -> String { try order(id)["status"] as? String ?? "" }

    func waitForStatus(_ id: String, _ status: String, timeout: Duration = .seconds(60)) throws {
        try waitUntil("order \(id) \(status) (is \((try? self.status(id)) ?? "?"))", timeout: timeout) { try self.status(id) == status }
    }

    func fulfilments(_ orderID: String? = nil) throws -> Int {
        let filter = orderID.map { " WHERE order_id = '\($0)'" } ?? ""
        return Int(try sqlite(dir.file("d/fulfillment.sqlite"), "SELECT count(*) FROM fulfilments\(filter)").first ?? "") ?? -1
    }

    func sold(_ sku: String) throws -> Int {
        Int(try sqlite(dir.file("d/fulfillment.sqlite"), "SELECT sold FROM products WHERE sku = '\(sku)'").first ?? "") ?? -1
    }

    /// `.eml` files written by the notifier without SMTP.
    func emlFiles() -> [String] {
        let mailDir = dir.file("d/notifier/outbox-mail")
        return ((try? FileManager.default.contentsOfDirectory(atPath: mailDir)) ?? []).filter { $0.hasSuffix(".eml") }
            .map { mailDir + "/" + $0 }
    }

    /// A test-helper call at the stand-in (what Stripe.js would do in the browser).
    @discardableResult
    func act(_ path: String, _ json: [String: Any] = [:]) throws -> [String: Any] {
        let r = try emulator.helper("POST", path, json: json)
        guard r.status == 200 else { throw ServiceFailure("\(path) answered \(r.status): \(String(decoding: r.body, as: UTF8.self))") }
        return r.json
    }

    /// The stand-in's own event of `type` about `objectID`, as raw JSON (for replaying through the gateway).
    func stripeEvent(type: String, objectID: String) throws -> [UInt8] {
        let r = try emulator.stripe("GET", "/v1/events", [("type", type), ("limit", "100")])
        let events = r.json["data"] as? [[String: Any]] ?? []
        guard let event = events.first(where: { (($0["data"] as? [String: Any])?["object"] as? [String: Any])?["id"] as? String == objectID })
        else { throw ServiceFailure("no \(type) event for \(objectID)") }
        return Array(try JSONSerialization.data(withJSONObject: event))
    }

    /// Signs `body` as Stripe would for this stack's endpoint.
    static func signature(_ body: [UInt8]) -> String {
        WebhookSignature.header(body: body, timestamp: Int64(Date().timeIntervalSince1970), secrets: [webhookSecret])
    }

    /// Delivers `body` to the gateway's webhook endpoint, signed.
    func deliver(_ body: [UInt8]) throws -> HTTPTestResponse {
        try http.send("POST", "/webhooks/stripe", headers: [("Content-Type", "application/json; charset=utf-8"),
                                                            ("Stripe-Signature", Self.signature(body))], body: body)
    }
}
