import Wire

/// A response: status, headers and a complete body.
///
/// The server owns framing: it writes `Content-Length`, `Date` and `Connection` itself and ignores
/// those (and `Transfer-Encoding`) if a handler sets them. See ``serialized(keepAlive:includeBody:date:)``.
public struct HTTPResponse: Sendable {
    /// The status.
    public var status: HTTPStatus
    /// Header fields, in the order they will be written.
    public var headers: HTTPHeaders
    /// The body. Not sent for HEAD requests or statuses that cannot carry one (1xx, 204, 304).
    public var body: [UInt8]

    /// Creates a response.
    public init(status: HTTPStatus = .ok, headers: HTTPHeaders = HTTPHeaders(), body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// A JSON response from already-encoded bytes.
    public static func json(_ status: HTTPStatus = .ok, _ body: [UInt8]) -> HTTPResponse {
        HTTPResponse(status: status, headers: ["Content-Type": "application/json"], body: body)
    }

    /// A JSON response built with a ``JSONWriter``.
    public static func json(_ status: HTTPStatus = .ok, _ writer: JSONWriter) -> HTTPResponse {
        json(status, writer.bytes)
    }

    /// A `text/plain; charset=utf-8` response.
    public static func text(_ status: HTTPStatus = .ok, _ text: String) -> HTTPResponse {
        HTTPResponse(status: status, headers: ["Content-Type": "text/plain; charset=utf-8"], body: Array(text.utf8))
    }

    /// A `text/html; charset=utf-8` response. The caller is responsible for escaping what it interpolates.
    public static func html(_ status: HTTPStatus = .ok, _ html: String) -> HTTPResponse {
        HTTPResponse(status: status, headers: ["Content-Type": "text/html; charset=utf-8"], body: Array(html.utf8))
    }

    /// A redirect to `location`; `303 See Other` by default, the one to use after a form POST.
    public static func redirect(_ status: HTTPStatus = .seeOther, to location: String) -> HTTPResponse {
        HTTPResponse(status: status, headers: ["Location": location])
    }

    /// An error in the house format: `{"error":{"code":"...","message":"..."}}`, never cached.
    public static func error(status: HTTPStatus, code: HTTPError.Code, message: String) -> HTTPResponse {
        var w = JSONWriter(reservingCapacity: 64 + message.utf8.count)
        w.beginObject()
        w.key("error")
        w.beginObject()
        w.field("code", code.rawValue)
        w.field("message", message)
        w.endObject()
        w.endObject()
        return HTTPResponse(status: status,
                            headers: ["Content-Type": "application/json", "Cache-Control": "no-store"],
                            body: w.bytes)
    }

    /// The response for an ``HTTPError``.
    public static func error(_ error: HTTPError) -> HTTPResponse {
        .error(status: error.status, code: error.code, message: error.message)
    }

    /// Whether the handler asked for the connection to be closed with `Connection: close`.
    public var closesConnection: Bool {
        headers.values("connection").flatMap(HTTPSyntax.listElements).contains("close")
    }
}
