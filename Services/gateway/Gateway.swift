import HTTPServer
import Logging
import Messages
import Synchronization
import Wire

/// The gateway's handlers: plain functions from an ``HTTPRequest`` to an ``HTTPResponse``, over an
/// ``Upstream`` (the other services), so they can be exercised without sockets.
///
/// The gateway holds no secret and no business data: the order and its prices come from fulfillment,
/// everything about Stripe from payments. What the browser sends is only ever SKUs, quantities, an email
/// and ids to look up.
struct Gateway: Sendable {
    let upstream: any Upstream
    let metrics: Metrics
    let logger: Logger
    /// `STRIPE_JS_URL`.
    let stripeJSURL: String
    /// The pages' Content-Security-Policy, which follows `STRIPE_JS_URL`.
    let pagePolicy: String
    /// The public base URL (no trailing slash); a function because with `GATEWAY_PORT=0` the default
    /// depends on the port bound at start.
    let baseURL: @Sendable () -> String
    /// Largest webhook body accepted: what still fits a frame to payments once base64-encoded.
    let maxWebhookBytes: Int
    /// How long `payments.config` is reused.
    let configTTL: Duration
    let configCache = ConfigCache()
    /// Operator token, same-site JSON rule, client addresses and limits (``RequestPolicy``).
    var policy = RequestPolicy()
    /// Request rates per client address.
    let limiter = RateLimiter()

    init(upstream: any Upstream, metrics: Metrics, logger: Logger, stripeJSURL: String,
         baseURL: @escaping @Sendable () -> String, maxFrameBytes: Int = 1 << 20, configTTL: Duration = .seconds(60)) {
        self.upstream = upstream
        self.metrics = metrics
        self.logger = logger
        self.stripeJSURL = stripeJSURL
        self.pagePolicy = Pages.contentSecurityPolicy(stripeJSURL: stripeJSURL)
        self.baseURL = baseURL
        // base64 grows 4/3; keep 8 KiB for the envelope and the signature header.
        self.maxWebhookBytes = max(1024, (maxFrameBytes - 8 * 1024) / 4 * 3)
        self.configTTL = configTTL
    }

    /// `payments.config`, kept for ``configTTL``: it changes only when payments restarts with new keys.
    final class ConfigCache: Sendable {
        private let entry = Mutex<(reply: PaymentsConfigReply, until: ContinuousClock.Instant)?>(nil)

        func get() -> PaymentsConfigReply? {
            entry.withLock { e in
                guard let e, e.until > .now else { return nil }
                return e.reply
            }
        }

        func put(_ reply: PaymentsConfigReply, for ttl: Duration) {
            entry.withLock { $0 = (reply, .now + ttl) }
        }
    }

    /// Runs `body`, answering an ``APIError`` it throws in the house format.
    static func respond(_ body: () async throws(APIError) -> HTTPResponse) async -> HTTPResponse {
        do {
            return try await body()
        } catch {
            return error.response
        }
    }

    /// Calls a peer, turning its failure into the public error.
    func call<Out: Decodable & Sendable>(_ peer: Peer, _ type: String, _ payload: some Encodable & Sendable,
                                         _ request: HTTPRequest, as: Out.Type = Out.self,
                                         deadline: Duration? = nil) async throws(APIError) -> Out {
        do {
            return try await upstream.call(peer, type, payload, traceID: request.requestID, deadline: deadline)
        } catch {
            throw APIError(error)
        }
    }

    /// `payments.config`, from the cache when fresh.
    func paymentsConfig(_ request: HTTPRequest) async throws(APIError) -> PaymentsConfigReply {
        if let cached = configCache.get() { return cached }
        let reply: PaymentsConfigReply = try await call(.payments, PaymentMessages.config, EmptyPayload(), request)
        configCache.put(reply, for: configTTL)
        return reply
    }
}

/// `{}`: the payload of requests that take no arguments.
struct EmptyPayload: Codable, Sendable {}

extension HTTPResponse {
    /// A JSON answer that must not be cached (it may carry a client secret).
    static func privateJSON(_ status: HTTPStatus, _ writer: JSONWriter) -> HTTPResponse {
        HTTPResponse(status: status, headers: ["Content-Type": "application/json", "Cache-Control": "no-store"],
                     body: writer.bytes)
    }
}
