import HTTPServer

/// What the gateway checks before a handler runs: which `POST`s are same-site JSON, and which address a
/// request comes from.
struct RequestPolicy: Sendable {
    /// `GATEWAY_TRUSTED_PROXIES`: peers whose `X-Forwarded-For` is believed (exact IP addresses).
    var trustedProxies: Set<String> = []
    /// Request rates and order caps (`GATEWAY_RATE_*`, `GATEWAY_MAX_*`).
    var limits = RateLimits()

    /// A `POST` to the JSON API must be JSON from the shop's own pages: a cross-site form or script gets
    /// 403 (the browser says where it comes from in `Sec-Fetch-Site` and `Origin`), anything but
    /// `application/json` 415. Returns the refusal, or nil when the request may proceed.
    static func refusal(ofPost request: HTTPRequest, shopOrigin: String) -> APIError? {
        if let site = request.headers["Sec-Fetch-Site"]?.lowercased(), site != "same-origin", site != "none" {
            return APIError(status: .forbidden, code: "cross_site_request",
                            message: "cross-site requests are refused (Sec-Fetch-Site: \(site.prefix(20)))")
        }
        if let origin = request.headers["Origin"], !isShopOrigin(origin, shopOrigin: shopOrigin, host: request.headers["Host"]) {
            return APIError(status: .forbidden, code: "cross_site_request", message: "requests from another origin are refused")
        }
        guard let type = request.headers["Content-Type"], OrderBody.isJSON(type) else {
            return APIError(status: .unsupportedMediaType, code: "unsupported_media_type",
                            message: "the body must be application/json (send {} when there is nothing to say)", field: "Content-Type")
        }
        return nil
    }

    /// `origin` is the shop's: the origin of `PUBLIC_BASE_URL`, or the host the request was sent to
    /// (a browser on http://localhost:8080 while PUBLIC_BASE_URL names 127.0.0.1, or a proxy that keeps
    /// the Host header). `null` (sandboxed frames, files) never is.
    static func isShopOrigin(_ origin: String, shopOrigin: String, host: String?) -> Bool {
        let lower = origin.lowercased()
        if lower == shopOrigin.lowercased() { return true }
        guard let host, !host.isEmpty else { return false }
        let authority = lower.hasPrefix("https://") ? lower.dropFirst(8) : lower.hasPrefix("http://") ? lower.dropFirst(7) : nil
        return authority.map { String($0) == host.lowercased() } ?? false
    }

    /// The origin (`scheme://host[:port]`) of a base URL such as `https://shop.example/prefix`.
    static func origin(of baseURL: String) -> String {
        let scheme = baseURL.lowercased().hasPrefix("https://") ? 8 : baseURL.lowercased().hasPrefix("http://") ? 7 : 0
        guard scheme > 0 else { return baseURL }
        return String(baseURL.prefix(scheme)) + baseURL.dropFirst(scheme).prefix { $0 != "/" }
    }

    /// The client's address: the socket peer, or, when that peer is a trusted proxy, the address it
    /// reports in `X-Forwarded-For` (the right-most entry that is not itself a trusted proxy, since a
    /// client can put anything at the left).
    func clientAddress(_ request: HTTPRequest) -> String {
        let peer = Self.host(ofPeer: request.remoteAddress ?? "")
        guard trustedProxies.contains(peer) else { return peer }
        let forwarded = request.headers.values("X-Forwarded-For").joined(separator: ",")
            .split(separator: ",").map { String($0.filter { $0 != " " && $0 != "\t" }) }.filter { !$0.isEmpty }
        for hop in forwarded.reversed() where !trustedProxies.contains(hop) {
            return String(hop.prefix(64))
        }
        return peer
    }

    /// `1.2.3.4:5678` → `1.2.3.4`, `[::1]:5678` → `::1`.
    static func host(ofPeer peer: String) -> String {
        if peer.hasPrefix("["), let close = peer.firstIndex(of: "]") {
            return String(peer[peer.index(after: peer.startIndex)..<close])
        }
        if let colon = peer.lastIndex(of: ":") { return String(peer[..<colon]) }
        return peer
    }
}
