import Crypto
import Synchronization

/// Console logins: a random session id in an HttpOnly cookie, kept in memory (a gateway restart logs
/// everyone out), each with its expiry and the CSRF token its forms and script must send back.
final class AdminSessions: Sendable {
    struct Session: Sendable {
        var who: AdminTokens.Operator
        var csrf: String
        var expires: ContinuousClock.Instant
    }

    static let cookieName = "shop_admin"
    static let maxSessions = 10_000
    let ttl: Duration
    /// By SHA-256 of the cookie value, so the table never holds a usable id.
    private let table = Mutex<[String: Session]>([:])

    init(ttl: Duration) { self.ttl = ttl }

    /// A new session for `who`: the cookie value (shown once) and the session.
    func create(for who: AdminTokens.Operator) -> (id: String, session: Session) {
        let id = Hex.encode(Digest.randomBytes(32))
        let session = Session(who: who, csrf: Hex.encode(Digest.randomBytes(24)), expires: .now + ttl)
        table.withLock { t in
            let now = ContinuousClock.now
            if t.count >= Self.maxSessions { t = t.filter { $0.value.expires > now } }
            if t.count < Self.maxSessions { t[Self.key(id)] = session }
        }
        return (id, session)
    }

    /// The live session a cookie value names, or nil (unknown or expired; an expired one is dropped).
    func session(_ id: String) -> Session? {
        guard id.utf8.count == 64 else { return nil }
        let key = Self.key(id)
        return table.withLock { t in
            guard let s = t[key] else { return nil }
            if s.expires <= .now { t[key] = nil; return nil }
            return s
        }
    }

    func end(_ id: String) { _ = table.withLock { $0.removeValue(forKey: Self.key(id)) } }

    private static func key(_ id: String) -> String { Hex.encode(Digest.sha256(Array(id.utf8))) }
}
