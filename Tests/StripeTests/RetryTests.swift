import Curl
import Foundation
import Stripe
import Testing

/// The official clients' retry policy, against a loopback server that fails in each way Stripe (or the
/// network) can.
@Suite("Retries")
struct RetryTests {
    static let params: FormParams = ["amount": 400, "currency": "cny", "metadata": ["order_id": "o1"]]
    static let key = "order-o1-payment-intent"
    static let paymentIntentJSON = #"{"id":"pi_ok","object":"payment_intent","amount":400,"currency":"cny","status":"requires_payment_method","metadata":{"order_id":"o1"}}"#

    static func client(_ base: String, total: Duration = .seconds(5), maxRetries: Int = 2) -> StripeClient {
        StripeClient(StripeConfiguration(
            secretKey: "sk_test_retry", apiBase: base,
            retry: RetryPolicy(maxRetries: maxRetries, initialDelay: .milliseconds(1), maxDelay: .milliseconds(4)),
            timeouts: ClientTimeouts(connect: .seconds(2), total: total)))
    }

    static func errorBody(_ type: String, _ code: String) -> String {
        #"{"error":{"type":"\#(type)","code":"\#(code)","message":"\#(code) happened"}}"#
    }

    struct Scenario: Sendable, CustomTestStringConvertible {
        var name: String
        var action: @Sendable (Int) -> StubAction
        var attempts: Int
        var kind: StripeError.Kind
        var status: Int?
        var code: String?
        var curlKind: CurlError.Kind? = nil
        var testDescription: String { name }
    }

    /// Answers `status` with `Request-Id: req_<attempt>` and optional extra headers.
    static func answer(_ status: Int, _ type: String, _ code: String, _ headers: [(String, String)] = []) -> @Sendable (Int) -> StubAction {
        { attempt in .respond(status: status, headers: [("Request-Id", "req_\(attempt)")] + headers, body: errorBody(type, code)) }
    }

    static let scenarios: [Scenario] = [
        Scenario(name: "500 retries twice", action: answer(500, "api_error", "internal"), attempts: 3, kind: .api, status: 500, code: "internal"),
        Scenario(name: "503 retries twice", action: answer(503, "api_error", "unavailable"), attempts: 3, kind: .api, status: 503, code: "unavailable"),
        Scenario(name: "409 retries twice", action: answer(409, "invalid_request_error", "lock_timeout"), attempts: 3, kind: .api, status: 409, code: "lock_timeout"),
        Scenario(name: "429 is not retried", action: answer(429, "invalid_request_error", "rate_limit"), attempts: 1, kind: .rateLimit, status: 429, code: "rate_limit"),
        Scenario(name: "400 is not retried", action: answer(400, "invalid_request_error", "parameter_unknown"), attempts: 1, kind: .invalidRequest, status: 400, code: "parameter_unknown"),
        Scenario(name: "402 is not retried", action: answer(402, "card_error", "card_declined"), attempts: 1, kind: .card, status: 402, code: "card_declined"),
        Scenario(name: "Stripe-Should-Retry: true on a 400 retries",
                 action: answer(400, "invalid_request_error", "lock_timeout", [("Stripe-Should-Retry", "true")]),
                 attempts: 3, kind: .invalidRequest, status: 400, code: "lock_timeout"),
        Scenario(name: "Stripe-Should-Retry: false on a 503 does not",
                 action: answer(503, "api_error", "unavailable", [("Stripe-Should-Retry", "false")]),
                 attempts: 1, kind: .api, status: 503, code: "unavailable"),
        Scenario(name: "connection reset retries twice", action: { _ in .reset }, attempts: 3, kind: .connection, curlKind: .transfer),
    ]

    @Test("attempts, one idempotency key and body, and the final typed error", arguments: scenarios)
    func scenario(_ s: Scenario) async throws {
        let server = try StubServer { attempt, _ in s.action(attempt) }
        defer { server.stop() }
        let client = Self.client(server.baseURL)
        let error = await #expect(throws: StripeError.self) {
            try await client.send("POST", "/v1/payment_intents", params: Self.params, idempotencyKey: Self.key)
        }
        let requests = server.requests
        #expect(requests.count == s.attempts)
        #expect(requests.allSatisfy { $0.header("Idempotency-Key") == Self.key })
        #expect(requests.allSatisfy { $0.body == Array(Self.params.encoded.utf8) && $0.target == "/v1/payment_intents" })
        guard let error else { return }
        #expect(error.attempts == s.attempts)
        #expect(error.kind == s.kind)
        #expect(error.httpStatus == s.status)
        #expect(error.code == s.code)
        if s.status != nil {
            #expect(error.requestID == "req_\(s.attempts)")  // the last attempt's
            #expect(error.message == "\(s.code ?? "") happened")
        } else {
            #expect(error.requestID == nil)
            #expect(error.curlError?.kind == s.curlKind)
        }
    }

    @Test("a request that hangs past the total timeout is retried and ends as a timeout")
    func hang() async throws {
        let server = try StubServer { _, _ in .hang }
        defer { server.stop() }
        let client = Self.client(server.baseURL, total: .milliseconds(300))
        let clock = ContinuousClock()
        let start = clock.now
        let error = await #expect(throws: StripeError.self) {
            try await client.send("POST", "/v1/payment_intents", params: Self.params, idempotencyKey: Self.key)
        }
        let elapsed = clock.now - start
        #expect(error?.kind == .connection)
        #expect(error?.curlError?.kind == .timeout)
        #expect(error?.attempts == 3)
        #expect(error?.httpStatus == nil)
        let requests = server.requests
        #expect(requests.count == 3)
        #expect(requests.allSatisfy { $0.header("Idempotency-Key") == Self.key && $0.body == Array(Self.params.encoded.utf8) })
        #expect(elapsed >= .milliseconds(900))
        // Each attempt waited for (about) the total timeout, then curl gave up and closed the connection.
        let held = await server.hangDurations(count: 3)
        #expect(held.count == 3)
        #expect(held.allSatisfy { $0 >= .milliseconds(250) && $0 < .seconds(3) }, "\(held)")
    }

    @Test("nobody listening: a connect error, retried")
    func refused() async throws {
        let port = try closedLoopbackPort()
        let error = await #expect(throws: StripeError.self) {
            try await Self.client("http://127.0.0.1:\(port)").send("GET", "/v1/payment_intents/pi_1")
        }
        #expect(error?.kind == .connection)
        #expect(error?.curlError?.kind == .connect)
        #expect(error?.attempts == 3)
    }

    @Test("success after transient failures, with the same key throughout")
    func recovers() async throws {
        let server = try StubServer { attempt, _ in
            switch attempt {
            case 1: .respond(status: 503, headers: [("Request-Id", "req_1")], body: Self.errorBody("api_error", "unavailable"))
            case 2: .reset
            default: .respond(status: 200, headers: [("Request-Id", "req_ok")], body: Self.paymentIntentJSON)
            }
        }
        defer { server.stop() }
        let client = Self.client(server.baseURL)
        let response = try await client.send("POST", "/v1/payment_intents", params: Self.params, idempotencyKey: Self.key)
        #expect(response.status == 200)
        #expect(response.attempts == 3)
        #expect(response.requestID == "req_ok")
        #expect(server.requests.map { $0.header("Idempotency-Key") } == [Self.key, Self.key, Self.key])

        // Through a business operation too.
        let again = try StubServer { attempt, _ in
            attempt == 1 ? .respond(status: 409, body: Self.errorBody("invalid_request_error", "lock_timeout"))
                : .respond(status: 200, body: Self.paymentIntentJSON)
        }
        defer { again.stop() }
        let pi = try await Self.client(again.baseURL).createPaymentIntent(
            amount: 400, currency: "cny", metadata: [("order_id", "o1")], paymentMethodTypes: ["card"], idempotencyKey: "order-o1-pi")
        #expect(pi.id == "pi_ok")
        #expect(pi.metadata == ["order_id": "o1"])
        #expect(again.requests.count == 2)
        #expect(Set(again.requests.compactMap { $0.header("Idempotency-Key") }) == ["order-o1-pi"])
    }

    @Test("a POST without a key gets one random key, reused on every retry")
    func generatedKeyIsReused() async throws {
        let server = try StubServer { _, _ in .respond(status: 500, body: "{}") }
        defer { server.stop() }
        _ = await #expect(throws: StripeError.self) {
            try await Self.client(server.baseURL).send("POST", "/v1/customers", params: ["email": "a@b.c"])
        }
        let keys = server.requests.map { $0.header("Idempotency-Key") }
        #expect(keys.count == 3)
        #expect(Set(keys).count == 1)
        #expect(keys.first??.isEmpty == false)
    }

    @Test("maxRetries 0 makes one attempt")
    func noRetries() async throws {
        let server = try StubServer { _, _ in .respond(status: 500, body: "{}") }
        defer { server.stop() }
        let error = await #expect(throws: StripeError.self) {
            try await Self.client(server.baseURL, maxRetries: 0).send("GET", "/v1/events")
        }
        #expect(error?.attempts == 1)
        #expect(server.requests.count == 1)
    }
}

@Suite("RetryPolicy")
struct RetryPolicyTests {
    @Test("shouldRetry: 409 and 5xx; never other 4xx; the header decides when present")
    func shouldRetry() {
        let policy = RetryPolicy()
        for status in [409, 500, 502, 503, 504, 599] { #expect(policy.shouldRetry(status: status, shouldRetryHeader: nil), "\(status)") }
        for status in [400, 401, 402, 403, 404, 422, 429] { #expect(!policy.shouldRetry(status: status, shouldRetryHeader: nil), "\(status)") }
        #expect(policy.shouldRetry(status: 400, shouldRetryHeader: "true"))
        #expect(policy.shouldRetry(status: 429, shouldRetryHeader: "true"))
        #expect(!policy.shouldRetry(status: 503, shouldRetryHeader: "false"))
        #expect(!policy.shouldRetry(status: 409, shouldRetryHeader: "false"))
        // An unknown value leaves the decision to the status.
        #expect(policy.shouldRetry(status: 500, shouldRetryHeader: "maybe"))
        #expect(!policy.shouldRetry(status: 400, shouldRetryHeader: "maybe"))
    }

    static func seconds(_ d: Duration) -> Double {
        Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    }

    @Test("delay: 0.5 s doubling to 5 s, jittered into [half, full], at least 0.5 s")
    func delayBounds() {
        let policy = RetryPolicy()
        // (retry, lowest, highest) in seconds.
        let expected: [(Int, Double, Double)] = [(1, 0.5, 0.5), (2, 0.5, 1), (3, 1, 2), (4, 2, 4), (5, 2.5, 5), (6, 2.5, 5), (40, 2.5, 5)]
        for (n, low, high) in expected {
            #expect(abs(Self.seconds(policy.delay(beforeRetry: n, jitter: 0)) - low) < 1e-9, "retry \(n) low")
            #expect(abs(Self.seconds(policy.delay(beforeRetry: n, jitter: 1)) - high) < 1e-9, "retry \(n) high")
            for _ in 0..<200 {
                let d = Self.seconds(policy.delay(beforeRetry: n))
                #expect(d >= low - 1e-9 && d <= high + 1e-9, "retry \(n): \(d)")
            }
        }
        #expect(abs(Self.seconds(policy.delay(beforeRetry: 3, jitter: 0.5)) - 1.5) < 1e-9)
        // Nonsense retry numbers still give a sane delay.
        #expect(Self.seconds(policy.delay(beforeRetry: 0, jitter: 1)) == 0.5)
        #expect(Self.seconds(policy.delay(beforeRetry: Int.max, jitter: 1)) == 5)
        // The default: 2 retries.
        #expect(policy.maxRetries == 2)
    }

    @Test("random jitter actually varies")
    func jitterVaries() {
        let policy = RetryPolicy()
        let samples = Set((0..<50).map { _ in policy.delay(beforeRetry: 4) })
        #expect(samples.count > 1)
    }
}
