import Curl
import Foundation
import Logging

/// Everything a `StripeClient` needs to know. The secret key never leaves this struct except in the
/// `Authorization` header.
public struct StripeConfiguration: Sendable {
    public var secretKey: String
    /// `https://api.stripe.com` in production; tests point it at an emulator on loopback.
    public var apiBase: String
    public var apiVersion: StripeAPIVersion
    public var retry: RetryPolicy
    public var timeouts: ClientTimeouts
    /// Optional PEM bundle for TLS on loopback in tests; nil trusts the system store.
    public var caBundle: String?

    public init(secretKey: String, apiBase: String = "https://api.stripe.com", apiVersion: StripeAPIVersion = .pinned,
                retry: RetryPolicy = RetryPolicy(), timeouts: ClientTimeouts = ClientTimeouts(connect: .seconds(10), total: .seconds(30)),
                caBundle: String? = nil) {
        self.secretKey = secretKey
        self.apiBase = apiBase.hasSuffix("/") ? String(apiBase.dropLast()) : apiBase
        self.apiVersion = apiVersion
        self.retry = retry
        self.timeouts = timeouts
        self.caBundle = caBundle
    }
}

/// A successful (2xx) Stripe response.
public struct StripeResponse: Sendable {
    public var status: Int
    public var body: [UInt8]
    public var requestID: String?
    /// How many attempts it took (1 + retries).
    public var attempts: Int
}

/// Stripe's v1 API over libcurl: Bearer auth, pinned `Stripe-Version`, form-encoded parameters as the
/// official clients encode them, an `Idempotency-Key` on every POST (the same on every retry), and the
/// official clients' retry policy.
public final class StripeClient: Sendable {
    public let configuration: StripeConfiguration
    private let http: HTTPClient
    private let logger: Logger?
    /// `shop/<version>`; the official clients' telemetry headers are not sent.
    public static let userAgent = "shop-payments/0.1"

    public init(_ configuration: StripeConfiguration, logger: Logger? = nil) {
        self.configuration = configuration
        self.http = HTTPClient(timeouts: configuration.timeouts, caBundle: configuration.caBundle)
        self.logger = logger
    }

    /// The request as it goes on the wire (first attempt); exposed for wire-format tests.
    public func makeRequest(_ method: String, _ path: String, params: FormParams, idempotencyKey: String?) -> ClientRequest {
        let encoded = params.encoded
        var url = configuration.apiBase + path
        var body: [UInt8] = []
        var headers: [(String, String)] = [
            ("Authorization", "Bearer \(configuration.secretKey)"),
            ("Stripe-Version", configuration.apiVersion.name),
            ("User-Agent", Self.userAgent),
        ]
        if method == "POST" {
            headers.append(("Content-Type", "application/x-www-form-urlencoded"))
            headers.append(("Idempotency-Key", idempotencyKey ?? Self.randomIdempotencyKey()))
            body = Array(encoded.utf8)
        } else if !encoded.isEmpty {
            url += "?" + encoded
        }
        return ClientRequest(method: method, url: url, headers: headers, body: body)
    }

    /// Sends a request with retries. `idempotencyKey` is for POSTs; a random one is used when nil (so a
    /// retry of this one call is still safe), but business operations always pass a key derived from the
    /// operation so that a retried order reuses the Stripe object.
    public func send(_ method: String, _ path: String, params: FormParams = FormParams(),
                     idempotencyKey: String? = nil) async throws(StripeError) -> StripeResponse {
        let request = makeRequest(method, path, params: params, idempotencyKey: idempotencyKey)
        // The last guard behind payments' configuration check: a live key leaves only for Stripe itself.
        guard LiveModeGuard.mayCarry(configuration.secretKey, to: request.url) else {
            throw StripeError(kind: .connection, message: "refused to send a live key to \(configuration.apiBase.prefix(200)): "
                + "live keys go only to \(LiveModeGuard.stripeAPIBase)", attempts: 0,
                curlError: CurlError(kind: .usage, code: 0, message: "live key refused for this host"))
        }
        let policy = configuration.retry
        var attempt = 0
        while true {
            attempt += 1
            let mayRetry = attempt <= policy.maxRetries
            let failure: StripeError
            switch await Result(catching: { () async throws(CurlError) in try await http.send(request) }) {
            case .success(let response):
                let requestID = response.header("Request-Id")
                if (200..<300).contains(response.status) {
                    return StripeResponse(status: response.status, body: response.body, requestID: requestID, attempts: attempt)
                }
                failure = StripeError.decode(status: response.status, body: response.body, requestID: requestID, attempts: attempt)
                guard mayRetry, policy.shouldRetry(status: response.status, shouldRetryHeader: response.header("Stripe-Should-Retry")) else {
                    throw failure
                }
            case .failure(let error):
                failure = StripeError(kind: .connection, message: "could not reach Stripe: \(error.message)",
                                      attempts: attempt, curlError: error)
                // A TLS failure or a bad URL will not get better by retrying (as in the official clients).
                guard mayRetry, error.kind != .tls, error.kind != .usage, error.kind != .tooLarge else { throw failure }
            }
            let delay = policy.delay(beforeRetry: attempt)
            logger?.warn("retrying Stripe request", ["stripe.path": path, "stripe.attempt": "\(attempt)",
                                                        "stripe.error": failure.description, "retry.delay_ms": "\(delay.components.seconds * 1000 + delay.components.attoseconds / 1_000_000_000_000_000)"])
            try? await Task.sleep(for: delay)
        }
    }

    /// `POST path` decoded as `T`.
    public func post<T: Decodable>(_ path: String, _ params: FormParams, idempotencyKey: String?,
                                   as type: T.Type = T.self) async throws(StripeError) -> T {
        try StripeJSON.decode(T.self, from: try await send("POST", path, params: params, idempotencyKey: idempotencyKey).body)
    }

    /// `GET path` decoded as `T`.
    public func get<T: Decodable>(_ path: String, _ params: FormParams = FormParams(), as type: T.Type = T.self) async throws(StripeError) -> T {
        try StripeJSON.decode(T.self, from: try await send("GET", path, params: params).body)
    }

    static func randomIdempotencyKey() -> String { UUID().uuidString.lowercased() }

    /// Percent-escapes an id for use in a path segment (ids are `[A-Za-z0-9_]`, but nothing from outside
    /// is trusted to be).
    static func segment(_ id: String) -> String { FormParams.escape(id) }
}

extension Result where Failure == CurlError {
    init(catching body: () async throws(CurlError) -> Success) async {
        do { self = .success(try await body()) } catch { self = .failure(error) }
    }
}
