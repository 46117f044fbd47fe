import Wire

/// The answer to `sys.health`.
public struct HealthReport: Codable, Sendable {
    /// Overall state.
    public enum Status: String, Codable, Sendable, Comparable {
        /// Everything works.
        case ok
        /// Serving, but something it relies on is missing (a peer down, dead-lettered events).
        case degraded
        /// Cannot do its job (for example its database fails).
        case failing

        private var rank: Int { self == .ok ? 0 : self == .degraded ? 1 : 2 }
        public static func < (a: Status, b: Status) -> Bool { a.rank < b.rank }
    }

    /// One named check.
    public struct Check: Codable, Sendable {
        public var name: String
        public var status: Status
        public var detail: String?

        public init(name: String, status: Status, detail: String? = nil) {
            self.name = name
            self.status = status
            self.detail = detail
        }
    }

    public var status: Status
    public var service: String
    public var version: String
    public var uptimeSeconds: Int64
    public var pid: Int32
    public var checks: [Check]

    enum CodingKeys: String, CodingKey {
        case status, service, version, checks, pid
        case uptimeSeconds = "uptime_s"
    }

    /// One line for an operator: `payments ok (v0.1.0, up 12s): database ok; peer.fulfillment ok`.
    public var summary: String {
        let details = checks.map { c in "\(c.name) \(c.status.rawValue)" + (c.detail.map { " (\($0))" } ?? "") }
        return "\(service) \(status.rawValue) (v\(version), pid \(pid), up \(uptimeSeconds)s)"
            + (details.isEmpty ? "" : ": " + details.joined(separator: "; "))
    }
}

/// A named health check and how much its failure matters.
public struct HealthCheck: Sendable {
    public var name: String
    /// The status reported when the check fails: `.failing` for what the service cannot work without,
    /// `.degraded` for what it can wait for.
    public var severity: HealthReport.Status
    /// Returns nil when healthy, or why not.
    public var probe: @Sendable () async -> String?

    public init(name: String, severity: HealthReport.Status, probe: @escaping @Sendable () async -> String?) {
        self.name = name
        self.severity = severity
        self.probe = probe
    }
}

/// The answer to `sys.describe`: what a service handles and emits.
public struct ServiceDescription: Codable, Sendable {
    public var service: String
    public var version: String
    public var protocolVersion: Int
    public var handles: [String]
    public var emits: [String]
    public var consumes: [String]

    enum CodingKeys: String, CodingKey {
        case service, version, handles, emits, consumes
        case protocolVersion = "protocol_version"
    }
}
