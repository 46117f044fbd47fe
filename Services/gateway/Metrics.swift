import Synchronization

/// The gateway's counters, rendered in the Prometheus text exposition format (version 0.0.4) at the
/// console's `GET /admin/api/metrics`.
///
/// One mutex guards small dictionaries; a request costs one lock acquisition and a few dictionary
/// updates. Label values come from closed sets (route patterns, not raw paths; status codes; wire
/// error codes), so the series count stays bounded whatever clients send.
final class Metrics: Sendable {
    /// Upper bounds of the latency histogram, in seconds.
    static let buckets: [Double] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

    /// Outcomes of `POST /webhooks/stripe`, always exported (also at zero) so alerts can rely on them.
    static let webhookOutcomes = ["accepted", "duplicate", "invalid_signature", "invalid_payload", "too_large",
                                  "unavailable"]

    private struct RequestKey: Hashable {
        var method: String
        var route: String
        var status: Int
    }

    private struct Histogram {
        var counts = [Int](repeating: 0, count: Metrics.buckets.count)
        var sum: Double = 0
        var count = 0
    }

    private struct UpstreamKey: Hashable {
        var service: String
        var code: String
    }

    private struct State {
        var requests: [RequestKey: Int] = [:]
        var latency: [String: Histogram] = [:]
        var webhooks: [String: Int] = [:]
        var upstream: [UpstreamKey: Int] = [:]
        var rateLimited: [String: Int] = [:]
        /// Refused webhook deliveries of the last hour, oldest first (the console's health page).
        var recentWebhookFailures: [(at: ContinuousClock.Instant, outcome: String)] = []
    }

    private let state = Mutex(State())

    init() {}

    /// Counts one answered request on `route` (the pattern, or `unmatched`) and its duration.
    func request(method: String, route: String, status: Int, duration: Duration) {
        let seconds = Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
        let bucket = Self.buckets.firstIndex { seconds <= $0 }
        state.withLock { s in
            s.requests[RequestKey(method: method, route: route, status: status), default: 0] += 1
            var h = s.latency[route] ?? Histogram()
            if let bucket { h.counts[bucket] += 1 }
            h.sum += seconds
            h.count += 1
            s.latency[route] = h
        }
    }

    /// Counts one webhook delivery by outcome (one of ``webhookOutcomes``).
    func webhook(_ outcome: String) {
        state.withLock { s in
            s.webhooks[outcome, default: 0] += 1
            guard outcome != "accepted", outcome != "duplicate" else { return }
            let now = ContinuousClock.now
            s.recentWebhookFailures.removeFirst(s.recentWebhookFailures.prefix { now - $0.at > .seconds(3600) }.count)
            if s.recentWebhookFailures.count < 100_000 { s.recentWebhookFailures.append((now, outcome)) }
        }
    }

    /// Refused webhook deliveries of the last hour, by outcome.
    func webhookFailuresLastHour() -> [String: Int] {
        let now = ContinuousClock.now
        return state.withLock { s in
            var counts: [String: Int] = [:]
            for f in s.recentWebhookFailures where now - f.at <= .seconds(3600) { counts[f.outcome, default: 0] += 1 }
            return counts
        }
    }

    /// Counts one request refused with 429, by bucket (`orders`, `lookups`).
    func rateLimited(_ bucket: String) {
        state.withLock { $0.rateLimited[bucket, default: 0] += 1 }
    }

    /// Counts one failed call to `service` by wire error code.
    func upstreamError(service: String, code: String) {
        state.withLock { $0.upstream[UpstreamKey(service: service, code: code), default: 0] += 1 }
    }

    /// The exposition text.
    func render() -> String {
        let s = state.withLock { $0 }
        var out = ""
        out.reserveCapacity(4096)
        out += "# HELP gateway_http_requests_total HTTP requests answered, by method, route pattern and status.\n"
        out += "# TYPE gateway_http_requests_total counter\n"
        for (key, value) in s.requests.sorted(by: { ($0.key.route, $0.key.method, $0.key.status) < ($1.key.route, $1.key.method, $1.key.status) }) {
            out += "gateway_http_requests_total{method=\"\(Self.escape(key.method))\",route=\"\(Self.escape(key.route))\",status=\"\(key.status)\"} \(value)\n"
        }
        out += "# HELP gateway_http_request_duration_seconds Time from a parsed request to its response, by route pattern.\n"
        out += "# TYPE gateway_http_request_duration_seconds histogram\n"
        for (route, h) in s.latency.sorted(by: { $0.key < $1.key }) {
            let label = "route=\"\(Self.escape(route))\""
            var cumulative = 0
            for (i, bound) in Self.buckets.enumerated() {
                cumulative += h.counts[i]
                out += "gateway_http_request_duration_seconds_bucket{\(label),le=\"\(Self.format(bound))\"} \(cumulative)\n"
            }
            out += "gateway_http_request_duration_seconds_bucket{\(label),le=\"+Inf\"} \(h.count)\n"
            out += "gateway_http_request_duration_seconds_sum{\(label)} \(Self.format(h.sum))\n"
            out += "gateway_http_request_duration_seconds_count{\(label)} \(h.count)\n"
        }
        out += "# HELP gateway_webhook_deliveries_total Stripe webhook deliveries, by outcome.\n"
        out += "# TYPE gateway_webhook_deliveries_total counter\n"
        for outcome in Self.webhookOutcomes {
            out += "gateway_webhook_deliveries_total{outcome=\"\(outcome)\"} \(s.webhooks[outcome] ?? 0)\n"
        }
        out += "# HELP gateway_upstream_errors_total Failed calls to other services, by service and error code.\n"
        out += "# TYPE gateway_upstream_errors_total counter\n"
        for (key, value) in s.upstream.sorted(by: { ($0.key.service, $0.key.code) < ($1.key.service, $1.key.code) }) {
            out += "gateway_upstream_errors_total{service=\"\(Self.escape(key.service))\",code=\"\(Self.escape(key.code))\"} \(value)\n"
        }
        out += "# HELP gateway_rate_limited_total Requests refused with 429, by bucket.\n"
        out += "# TYPE gateway_rate_limited_total counter\n"
        for bucket in ["lookups", "orders"] {
            out += "gateway_rate_limited_total{bucket=\"\(bucket)\"} \(s.rateLimited[bucket] ?? 0)\n"
        }
        return out
    }

    /// A label value escaped as the format requires (backslash, double quote, newline).
    static func escape(_ value: String) -> String {
        guard value.contains(where: { $0 == "\\" || $0 == "\"" || $0 == "\n" }) else { return value }
        var out = ""
        for ch in value {
            switch ch {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "\n": out += "\\n"
            default: out.append(ch)
            }
        }
        return out
    }

    /// A float without exponent noise for the common cases (`0.005`, `1`, `2.5`).
    static func format(_ value: Double) -> String {
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return "\(value)"
    }
}
