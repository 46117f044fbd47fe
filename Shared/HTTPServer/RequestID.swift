import Wire

/// The `X-Request-Id` rules: a client's id is kept only when it is short and made of token characters,
/// so it can go into logs and headers as is; otherwise a fresh random one is used.
public enum RequestID {
    /// The header carrying the id, in both directions.
    public static let header = "X-Request-Id"
    /// The longest id accepted from a client.
    public static let maxLength = 128

    /// Whether `value` is acceptable as a client-supplied id: 1 to 128 visible ASCII token characters.
    public static func isAcceptable(_ value: String) -> Bool {
        let utf8 = value.utf8
        return !utf8.isEmpty && utf8.count <= maxLength && utf8.allSatisfy(HTTPSyntax.isTokenByte)
    }

    /// The id for `request`: the client's when acceptable, otherwise a new random one.
    public static func resolve(for request: HTTPRequest) -> String {
        if let sent = request.headers[header], isAcceptable(sent) { return sent }
        return generate()
    }

    /// A new random 128-bit hex id.
    public static func generate() -> String { MessageID.random() }
}
