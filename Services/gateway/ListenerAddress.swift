import Synchronization

/// Where one of the gateway's listeners (the public port, the console) is reached: its configured base
/// URL (`PUBLIC_BASE_URL`, `ADMIN_BASE_URL`), else `http://<host>:<port>` on this machine, whose port is
/// known only once the server is bound (a configured port of 0 picks a free one).
final class ListenerAddress: Sendable {
    private let host: String
    private let configured: String?
    private let port: Mutex<Int>

    init(host: String, port: Int, baseURL: String?) {
        self.host = host
        self.configured = baseURL
        self.port = Mutex(port)
    }

    /// Records the port the server was bound to.
    func bound(to port: Int) { self.port.withLock { $0 = port } }

    /// The base URL, without a trailing slash.
    var baseURL: String { configured ?? Self.localURL(host: host, port: port.withLock { $0 }) }

    /// The URL a browser on this machine uses for a server bound to `host:port`: a wildcard or `localhost`
    /// becomes the loopback address, an IPv6 literal gets its brackets.
    static func localURL(host: String, port: Int) -> String {
        let shown: String
        switch host {
        case "0.0.0.0", "localhost", "": shown = "127.0.0.1"
        case "::", "[::]": shown = "[::1]"
        default: shown = host.contains(":") && !host.hasPrefix("[") ? "[\(host)]" : host
        }
        return "http://\(shown):\(port)"
    }
}
