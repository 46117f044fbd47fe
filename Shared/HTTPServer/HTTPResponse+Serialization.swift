extension HTTPResponse {
    /// Header fields the server writes itself; a handler's values for them are ignored so that it can
    /// never break the framing of the connection.
    private static let framingHeaders = ["content-length", "transfer-encoding", "connection", "date"]

    /// The bytes of the response as sent on the wire, always as HTTP/1.1.
    ///
    /// Writes the status line, the handler's headers, then `Content-Length` (the body's length, also for
    /// HEAD; omitted for statuses without a body), `Date`, `Connection: keep-alive` or `close`, and
    /// `X-Content-Type-Options: nosniff` unless the handler set it. Header fields whose name is not a
    /// token are dropped and control characters are removed from values, so a value built from user
    /// input cannot inject headers.
    ///
    /// - Parameters:
    ///   - keepAlive: whether the connection stays open after this response.
    ///   - includeBody: false for a response to HEAD.
    ///   - date: the `Date` value; ``HTTPDate/now()`` by default.
    public func serialized(keepAlive: Bool, includeBody: Bool = true, date: String = HTTPDate.now()) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(256 + body.count)
        out.append(contentsOf: "HTTP/1.1 \(status.code) ".utf8)
        Self.appendSanitized(status.reason, to: &out)
        out.append(contentsOf: "\r\n".utf8)
        for (name, value) in headers.fields {
            guard HTTPSyntax.isToken(name.utf8),
                  !Self.framingHeaders.contains(where: { HTTPSyntax.equalsIgnoringCase($0, name) }) else { continue }
            out.append(contentsOf: name.utf8)
            out.append(contentsOf: ": ".utf8)
            Self.appendSanitized(value, to: &out)
            out.append(contentsOf: "\r\n".utf8)
        }
        if status.allowsBody {
            out.append(contentsOf: "Content-Length: \(body.count)\r\n".utf8)
        }
        out.append(contentsOf: "Date: \(date)\r\n".utf8)
        out.append(contentsOf: (keepAlive ? "Connection: keep-alive\r\n" : "Connection: close\r\n").utf8)
        if !headers.contains("x-content-type-options") {
            out.append(contentsOf: "X-Content-Type-Options: nosniff\r\n".utf8)
        }
        out.append(contentsOf: "\r\n".utf8)
        if includeBody && status.allowsBody {
            out.append(contentsOf: body)
        }
        return out
    }

    /// Appends `text` without control characters other than HTAB.
    private static func appendSanitized(_ text: String, to out: inout [UInt8]) {
        for b in text.utf8 where b == HTTPSyntax.htab || (b >= 0x20 && b != 0x7F) {
            out.append(b)
        }
    }
}
