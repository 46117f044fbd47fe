import Core
import ServiceKit

/// The operator console's settings (`ADMIN_*`), read once at start-up. Without `ADMIN_TOKENS_FILE` the
/// console is off: no listener is opened.
struct AdminConfig: Sendable {
    /// `ADMIN_HOST`: the console's own listener, never the public one.
    var host = "127.0.0.1"
    /// `ADMIN_PORT`: 0 picks a free port.
    var port = 8081
    /// `ADMIN_TOKENS_FILE`: `name role sha256-hex` lines; nil: the console is off.
    var tokensFile: String?
    /// The file's tokens, read at start-up (a change needs a restart).
    var tokens = AdminTokens(entries: [])
    /// `ADMIN_BASE_URL`: the console's origin as browsers see it; `https://` makes the session cookie Secure.
    var baseURL: String?
    /// `ADMIN_SESSION_TTL_S`: how long a login lasts.
    var sessionTTLSeconds = 8 * 3600
    /// `ADMIN_LOGIN_ATTEMPTS_PER_MINUTE`: login attempts per client address and minute.
    var loginAttemptsPerMinute = 10

    static let variables = [
        ("ADMIN_TOKENS_FILE", "file of operator console tokens, one 'name role sha256-hex' line each (role read or write; "
            + "create one with 'gateway admin-token NAME ROLE'); unset: the console is off"),
        ("ADMIN_HOST", "address the console listener binds (default 127.0.0.1; never the public listener)"),
        ("ADMIN_PORT", "TCP port of the console listener, 0 to 65535; 0 picks a free port (default 8081)"),
        ("ADMIN_BASE_URL", "the console's origin as browsers see it (default http://127.0.0.1:<port>); https:// marks the "
            + "session cookie Secure"),
        ("ADMIN_SESSION_TTL_S", "seconds a console login lasts, 1 to 604800 (default 28800)"),
        ("ADMIN_LOGIN_ATTEMPTS_PER_MINUTE", "console login attempts per client address and minute, 1 to 1000 (default 10)"),
    ]

    static func read(_ reader: inout ConfigReader) -> AdminConfig {
        var c = AdminConfig()
        c.tokensFile = reader.raw("ADMIN_TOKENS_FILE").flatMap { $0.isEmpty ? nil : $0 }
        if let path = c.tokensFile {
            // A file that cannot be read or parsed stops start-up: an operator who set it expects the console.
            do { c.tokens = try AdminTokens.load(path: path) } catch { reader.problem("ADMIN_TOKENS_FILE", error.description) }
        }
        c.host = reader.string("ADMIN_HOST", default: c.host)
        c.port = reader.int("ADMIN_PORT", default: c.port, range: 0...65_535)
        if let raw = reader.raw("ADMIN_BASE_URL") {
            switch GatewayConfig.normalizedBaseURL(raw) {
            case .success(let url): c.baseURL = url
            case .failure(let problem): reader.problem("ADMIN_BASE_URL", "'\(raw.prefix(200))' \(problem.message)")
            }
        }
        c.sessionTTLSeconds = reader.int("ADMIN_SESSION_TTL_S", default: c.sessionTTLSeconds, range: 1...604_800)
        c.loginAttemptsPerMinute = reader.int("ADMIN_LOGIN_ATTEMPTS_PER_MINUTE", default: c.loginAttemptsPerMinute, range: 1...1000)
        return c
    }
}
