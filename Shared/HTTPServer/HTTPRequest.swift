/// One parsed request, as a handler sees it.
///
/// The path is kept raw (percent escapes intact) so routing sees exactly what was sent; ``queryItems``
/// and the router's path parameters are decoded.
public struct HTTPRequest: Sendable {
    /// The method.
    public var method: HTTPMethod
    /// The request-target exactly as sent: `/orders/ord_1?expand=items`.
    public var target: String
    /// The path part of the target, raw: `/orders/ord_1`. `*` for `OPTIONS *`; for an absolute-form
    /// target (`http://host/x`) only the path.
    public var path: String
    /// The raw query string after `?`, without it; nil when the target has no `?`.
    public var query: String?
    /// The protocol version, 1.0 or 1.1.
    public var version: HTTPVersion
    /// The header fields in the order received.
    public var headers: HTTPHeaders
    /// The body, de-chunked; empty when the request had none.
    public var body: [UInt8]
    /// Whether the client wants the connection kept open after the response: HTTP/1.1 unless it sent
    /// `Connection: close`; HTTP/1.0 only if it sent `Connection: keep-alive`.
    public var keepAlive: Bool
    /// The request id: the client's `X-Request-Id` when it is sane, otherwise one the server generated.
    /// Empty until the server sets it. Echoed in the response's `X-Request-Id`.
    public var requestID: String
    /// The peer's address (`203.0.113.7:51234`, `[::1]:51234`) when known. Behind a proxy this is the
    /// proxy; the client's own address is in whatever header the proxy sets.
    public var remoteAddress: String?

    /// Creates a request; `path` and `query` are split from `target`.
    public init(method: HTTPMethod, target: String, version: HTTPVersion = .http1_1,
                headers: HTTPHeaders = HTTPHeaders(), body: [UInt8] = [], keepAlive: Bool = true,
                requestID: String = "", remoteAddress: String? = nil) {
        self.method = method
        self.target = target
        (self.path, self.query) = Self.split(target: target)
        self.version = version
        self.headers = headers
        self.body = body
        self.keepAlive = keepAlive
        self.requestID = requestID
        self.remoteAddress = remoteAddress
    }

    /// Splits a request-target into path and query; for absolute-form drops scheme and authority.
    static func split(target: String) -> (path: String, query: String?) {
        var rest = Substring(target)
        if !rest.hasPrefix("/"), rest != "*", let scheme = rest.firstRange(of: "://") {
            rest = rest[scheme.upperBound...]
            if let slash = rest.firstIndex(where: { $0 == "/" || $0 == "?" }) {
                rest = rest[slash...]
            } else {
                rest = ""
            }
            if !rest.hasPrefix("/") { rest = "/" + rest }
        }
        guard let mark = rest.firstIndex(of: "?") else { return (String(rest), nil) }
        return (String(rest[..<mark]), String(rest[rest.index(after: mark)...]))
    }
}
