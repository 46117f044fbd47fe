/// The parts of an `smtp://` or `smtps://` URL that decide whether it can be used safely: TLS or not,
/// the host (loopback or not), and whether it carries credentials in its user-info
/// (`smtp://user:password@host:587`), which libcurl uses to log in just as it uses a username option.
public struct SMTPURL: Sendable, Equatable {
    /// `smtps://`: TLS from the first byte.
    public var implicitTLS: Bool
    /// The host as written (`[::1]` keeps its brackets), lowercased.
    public var host: String
    /// True when the URL has user-info (a login, with or without a password).
    public var hasCredentials: Bool
    /// The URL with its user-info replaced by `[redacted]`: the only form that may be shown or logged.
    public var redacted: String

    /// Parses `url`; nil unless it is `smtp://` or `smtps://` with a host.
    public init?(_ url: String) {
        let lower = url.lowercased()
        let schemeLength: Int
        if lower.hasPrefix("smtp://") { implicitTLS = false; schemeLength = 7 } else if lower.hasPrefix("smtps://") {
            implicitTLS = true; schemeLength = 8
        } else { return nil }
        let rest = url.dropFirst(schemeLength)
        let authorityEnd = rest.firstIndex { $0 == "/" || $0 == "?" || $0 == "#" } ?? rest.endIndex
        let authority = rest[..<authorityEnd]
        var hostPort = authority
        if let at = authority.lastIndex(of: "@") {
            hasCredentials = true
            hostPort = authority[authority.index(after: at)...]
        } else {
            hasCredentials = false
        }
        let hostPart: Substring
        if hostPort.hasPrefix("[") {
            guard let close = hostPort.firstIndex(of: "]") else { return nil }
            hostPart = hostPort[...close]
        } else {
            hostPart = hostPort.prefix { $0 != ":" }
        }
        guard !hostPart.isEmpty else { return nil }
        host = hostPart.lowercased()
        redacted = String(url.prefix(schemeLength)) + (hasCredentials ? "[redacted]@" : "") + hostPort + rest[authorityEnd...]
    }

    /// True for `localhost`, `127.x.x.x` and `[::1]`: traffic that never leaves the machine.
    public var isLoopback: Bool {
        host == "localhost" || host == "[::1]" || host.hasPrefix("127.")
    }
}
