import Core
import ServiceKit

/// The gateway's own settings, read once at start-up.
struct GatewayConfig: Sendable {
    /// `GATEWAY_HOST`: the address the HTTP server binds.
    var host: String
    /// `GATEWAY_PORT`: 0 picks a free port.
    var port: Int
    /// `PUBLIC_BASE_URL` without a trailing slash, or nil for the default `http://127.0.0.1:<bound port>`
    /// (which can only be known once the server is listening).
    var publicBaseURL: String?
    /// `STRIPE_JS_URL`: where the pages load Stripe.js from.
    var stripeJSURL: String

    /// Trusted proxies and request rates.
    var policy = RequestPolicy()
    /// Warnings for start-up: variables that are set but no longer used (``retiredVariables``).
    var retired: [String] = []
    /// The operator console (`ADMIN_*`).
    var admin = AdminConfig()

    static let defaultStripeJSURL = "https://js.stripe.com/v3/"

    /// Variables earlier versions read, and where their job went. Set, they are reported at start-up as a
    /// warning rather than refused: an upgrade must not stop the shop over a variable that opens nothing.
    static let retiredVariables = [
        ("GATEWAY_OPERATOR_TOKEN", "the public /metrics and detailed /readyz are gone: read /admin/api/metrics and "
            + "/admin/api/readiness on the operator console with a token from ADMIN_TOKENS_FILE"),
    ]

    static let variables = [
        ("GATEWAY_HOST", "address the HTTP server binds: an IPv4/IPv6 literal or localhost (default 127.0.0.1)"),
        ("GATEWAY_PORT", "TCP port of the HTTP server, 0 to 65535; 0 picks a free port (default 8080)"),
        ("PUBLIC_BASE_URL", "the site's public origin as browsers and Stripe see it, http(s)://host[:port][/prefix], "
            + "used for return URLs (default http://127.0.0.1:<port>)"),
        ("STRIPE_JS_URL", "URL the pages load Stripe.js from (default \(defaultStripeJSURL); point it at the "
            + "local stand-in for offline test mode)"),
        ("GATEWAY_TRUSTED_PROXIES", "comma-separated IP addresses of reverse proxies whose X-Forwarded-For names the client "
            + "(default none: the socket's peer is the client)"),
        ("GATEWAY_RATE_ORDERS_PER_MINUTE", "orders a client address may create per minute, 0 = unlimited (default 20)"),
        ("GATEWAY_RATE_LOOKUPS_PER_MINUTE", "return pages, session status and pay-again requests per client address and minute, "
            + "0 = unlimited (default 60)"),
    ]

    /// Reads the variables from `environment`; every bad value is reported, naming its variable.
    static func read(_ reader: ConfigReader = ConfigReader()) throws(ConfigError) -> GatewayConfig {
        var r = reader
        let host = r.string("GATEWAY_HOST", default: "127.0.0.1")
        let port = r.int("GATEWAY_PORT", default: 8080, range: 0...65_535)
        var base: String?
        if let raw = r.raw("PUBLIC_BASE_URL") {
            switch normalizedBaseURL(raw) {
            case .success(let url): base = url
            case .failure(let problem): r.problem("PUBLIC_BASE_URL", "'\(raw.prefix(200))' \(problem.message)")
            }
        }
        var stripeJS = defaultStripeJSURL
        if let raw = r.raw("STRIPE_JS_URL") {
            switch validatedURL(raw) {
            case .success: stripeJS = raw
            case .failure(let problem): r.problem("STRIPE_JS_URL", "'\(raw.prefix(200))' \(problem.message)")
            }
        }
        var policy = RequestPolicy()
        for proxy in (r.raw("GATEWAY_TRUSTED_PROXIES") ?? "").split(separator: ",") {
            let address = String(proxy.filter { $0 != " " && $0 != "\t" })
            guard !address.isEmpty else { continue }
            if address.contains("/") || !(address.allSatisfy { $0.isHexDigit || $0 == "." || $0 == ":" }) {
                r.problem("GATEWAY_TRUSTED_PROXIES", "'\(address.prefix(64))': expected IP addresses (no ranges, no names)")
            }
            policy.trustedProxies.insert(address)
        }
        policy.limits.ordersPerMinute = r.int("GATEWAY_RATE_ORDERS_PER_MINUTE", default: 20, range: 0...100_000)
        policy.limits.lookupsPerMinute = r.int("GATEWAY_RATE_LOOKUPS_PER_MINUTE", default: 60, range: 0...100_000)
        let admin = AdminConfig.read(&r)
        try r.finish()
        var config = GatewayConfig(host: host, port: port, publicBaseURL: base, stripeJSURL: stripeJS)
        config.policy = policy
        config.admin = admin
        config.retired = retiredVariables.compactMap { name, instead in
            r.raw(name).flatMap { $0.isEmpty ? nil : "\(name) is set but no longer used: \(instead)" }
        }
        return config
    }

    struct Problem: Error { var message: String }

    /// `PUBLIC_BASE_URL` rules: http or https, a host, an optional path prefix, no query or fragment;
    /// trailing slashes are dropped so `base + "/payment/return"` never has `//`.
    static func normalizedBaseURL(_ raw: String) -> Result<String, Problem> {
        var url = raw
        while url.hasSuffix("/") { url.removeLast() }
        if case .failure(let p) = validatedURL(url) { return .failure(p) }
        if url.contains("?") || url.contains("#") {
            return .failure(Problem(message: "must not have a query or fragment: expected http(s)://host[:port][/prefix]"))
        }
        return .success(url)
    }

    /// An absolute http(s) URL with a host and no characters that would need escaping in HTML or headers.
    static func validatedURL(_ url: String) -> Result<Void, Problem> {
        let expected = "expected an absolute http:// or https:// URL"
        let lower = url.lowercased()
        let rest: Substring
        if lower.hasPrefix("https://") { rest = url.dropFirst(8) } else if lower.hasPrefix("http://") { rest = url.dropFirst(7) } else {
            return .failure(Problem(message: expected))
        }
        let authority = rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        guard !authority.isEmpty, !authority.contains("@") else {
            return .failure(Problem(message: "\(expected) with a host (and no user info)"))
        }
        var host = authority
        if let colon = authority.lastIndex(of: ":"), !authority.hasSuffix("]") {
            host = authority[..<colon]
            let portText = authority[authority.index(after: colon)...]
            guard let port = Int(portText), (1...65_535).contains(port) else {
                return .failure(Problem(message: "has a bad port: \(expected)"))
            }
        }
        guard !host.isEmpty else { return .failure(Problem(message: "\(expected) with a host")) }
        for scalar in url.unicodeScalars {
            let v = scalar.value
            if v <= 0x20 || v >= 0x7F || "\"'<>\\`{}|^".unicodeScalars.contains(scalar) {
                return .failure(Problem(message: "contains a character that must be percent-encoded: \(expected)"))
            }
        }
        return .success(())
    }
}
