import Crypto
import Curl
import Logging

/// The background loop that sends events to webhook endpoints and runs the clock.
///
/// Every tick it takes the deliveries that are due and sends each on its own task (one slow endpoint
/// never holds up the others), signed with `Stripe-Signature: t=<now>,v1=<hmac>` by
/// ``WebhookSignature/header(body:timestamp:secrets:)``. A 2xx answer is success; anything else, or a
/// connection error, is retried with exponential backoff until the attempts run out (see
/// ``Ledger/recordAttempt(key:attempt:)``). Every few ticks it also runs the timers (session expiry,
/// asynchronous settlement).
struct WebhookDelivery: Sendable {
    let emulator: Emulator
    let client: HTTPClient
    let logger: Logger
    /// How often due work is looked for.
    var tick: Duration = .milliseconds(20)

    init(emulator: Emulator, logger: Logger) {
        self.emulator = emulator
        self.logger = logger
        self.client = HTTPClient(timeouts: ClientTimeouts(connect: .seconds(2), total: .seconds(10)))
    }

    func run() async {
        await withDiscardingTaskGroup { group in
            var ticks = 0
            while !Task.isCancelled {
                let now = IDs.nowMilliseconds()
                if ticks % 10 == 0 { await emulator.runTimers(nowMs: now) }
                ticks += 1
                for item in await emulator.takeDueDeliveries(nowMs: now) {
                    group.addTask { await deliver(item.delivery, body: item.body, secret: item.secret) }
                }
                try? await Task.sleep(for: tick)
            }
        }
    }

    private func deliver(_ delivery: Delivery, body: [UInt8], secret: String) async {
        let start = IDs.nowMilliseconds()
        let signature = WebhookSignature.header(body: body, timestamp: start / 1000, secrets: [secret])
        let request = ClientRequest(method: "POST", url: delivery.url, headers: [
            ("Content-Type", "application/json; charset=utf-8"),
            ("User-Agent", "Stripe/1.0 (+https://stripe.com/docs/webhooks)"),
            ("Stripe-Signature", signature),
        ], body: body)
        var attempt = Delivery.Attempt(at: start, statusCode: nil, error: nil, durationMs: 0)
        do {
            let response = try await client.send(request)
            attempt.statusCode = response.status
        } catch {
            attempt.error = error.description
        }
        attempt.durationMs = IDs.nowMilliseconds() - start
        let ok = attempt.statusCode.map { (200..<300).contains($0) } ?? false
        let meta: KeyValuePairs<String, String> = [
            "stripe.event_id": delivery.eventID, "stripe.event_type": delivery.eventType,
            "webhook.endpoint": delivery.endpointID, "webhook.attempt": String(delivery.attempts.count + 1),
            "http.status": attempt.statusCode.map(String.init) ?? "", "error": attempt.error ?? "",
        ]
        if ok { logger.info("webhook delivered", meta) } else { logger.warn("webhook delivery failed", meta) }
        await emulator.recordAttempt(key: delivery.key, attempt: attempt)
    }
}
