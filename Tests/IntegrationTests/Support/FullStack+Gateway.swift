import Foundation
import HTTPTesting
import Testing

/// What the gateway's own suites need on top of ``FullStack``: its metrics, the services' databases and
/// logs, and real services taken down, stalled or started again with other settings (the "service down",
/// "Stripe failing" and "not configured" paths, all with the real executables).
extension FullStack {
    /// A deadline for calls between services short enough that a "service down" answer comes quickly
    /// (the gateway keeps reconnecting to a stopped peer until the deadline).
    static let quickDeadline = ["SHOP_CALL_TIMEOUT_MS": "1500"]

    /// The value of one sample in the console's `GET /admin/api/metrics`, e.g.
    /// `gateway_webhook_deliveries_total{outcome="accepted"}`.
    func metric(_ sample: String) throws -> Double? {
        let text = try TestConsole.metrics(gateway).text
        for line in text.split(separator: "\n") where line.hasPrefix(sample + " ") {
            return Double(line.dropFirst(sample.count + 1))
        }
        return nil
    }

    /// Rows of `query` on a service's database (`payments`, `fulfillment`, `notifier`).
    func rows(_ service: String, _ query: String) throws -> [String] {
        try sqlite(dir.file("d/\(service).sqlite"), query)
    }

    /// One number from a service's database (`-1` when there is none).
    func count(_ service: String, _ query: String) throws -> Int {
        Int(try rows(service, query).first ?? "") ?? -1
    }

    /// Every process's log tail, for failure messages.
    var logs: String {
        let processes = [notifier, fulfillment, payments, gateway].map { "--- \($0.name)\n" + String($0.log.suffix(3000)) }
        return (processes + ["--- stripe-emulator\n" + String(emulator.log.suffix(2000))]).joined(separator: "\n")
    }

    /// Stops `service` cleanly (SIGTERM) and waits for it to exit.
    func stop(_ service: ServiceProcess) {
        service.signal(SIGTERM)
        if service.waitForExit() == nil { service.crash() }
    }

    /// Starts another instance of service `name` on its usual socket and data directory, with the stack's
    /// environment changed by `overrides` (an empty value unsets a variable, as the services read it).
    /// The instance it replaces must be down. The caller owns the answer (stopped when released).
    func launch(_ name: String, overrides: [String: String]) throws -> ServiceProcess {
        try ServiceProcess(name, environment: env.merging(overrides) { _, new in new }, logDirectory: dir)
    }

    /// Replaces the running `service` by an instance with `overrides` (see ``launch(_:overrides:)``).
    func replace(_ service: ServiceProcess, overrides: [String: String]) throws -> ServiceProcess {
        stop(service)
        return try launch(service.name, overrides: overrides)
    }

    /// Ends a replacement and starts the original configuration of that service again.
    func restore(_ original: ServiceProcess, from replacement: ServiceProcess) throws {
        stop(replacement)
        try original.restart()
    }

    /// Repeats `request` until `accept` holds for its answer (a restarted peer is reconnected to on demand).
    func eventuallyAnswers(_ what: String, timeout: Duration = .seconds(15), _ request: () throws -> HTTPTestResponse,
                           _ accept: (HTTPTestResponse) -> Bool) throws -> HTTPTestResponse {
        let deadline = ContinuousClock.now + timeout
        while true {
            let r = try request()
            if accept(r) { return r }
            guard ContinuousClock.now < deadline else { throw ServiceFailure("timed out after \(timeout) waiting for: \(what); last: \(r)") }
            usleep(50_000)
        }
    }

    /// The detailed readiness on the console (`/admin/api/readiness`): each service's state.
    func readiness() throws -> HTTPTestResponse { try TestConsole.readiness(gateway) }

    /// Waits until the gateway's detailed readiness shows service `name` answering (in any state), e.g.
    /// after it was started again.
    func waitUntilAnswering(_ name: String, timeout: Duration = .seconds(15)) throws {
        _ = try eventuallyAnswers("\(name) answering the gateway", timeout: timeout, { try readiness() }) {
            let state = ($0.json["services"] as? [String: [String: Any]])?[name]?["status"] as? String
            return state != nil && state != "unreachable" && state != "timeout"
        }
    }

    /// `/payment/return` as Stripe.js redirects to it after `confirmPayment`.
    func paymentReturn(_ intent: String, secret: String, redirectStatus: String = "succeeded",
                       headers: [(String, String)] = []) throws -> HTTPTestResponse {
        let escaped = secret.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? secret
        return try http.get("/payment/return?payment_intent=\(intent)&payment_intent_client_secret=\(escaped)&redirect_status=\(redirectStatus)",
                            headers: headers)
    }

    /// A JSON order body.
    static func orderBody(sku: String = "mug", quantity: Int = 1, email: String = "buyer@example.com") -> String {
        #"{"items":[{"sku":"\#(sku)","quantity":\#(quantity)}],"email":"\#(email)"}"#
    }
}
