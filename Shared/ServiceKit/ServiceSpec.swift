import Events
import Storage
import Transport

/// The product's version, shown by `--version` and `sys.health`.
public enum ShopVersion {
    public static let current = "0.1.0"
}

/// What a service is: its name, what it owns and needs, and how to build its handlers.
public struct ServiceSpec: Sendable {
    /// Executable and socket name, e.g. `payments`.
    public var name: String
    /// One line for `--help`.
    public var summary: String
    /// Schema of the service's own database; nil for a service that owns no data (the gateway).
    public var migrations: [Migration]?
    /// Services this one calls; each becomes a `peer.<name>` health check (degraded when down).
    public var peers: [String]
    /// Event types it publishes and consumes (for `sys.describe` and docs).
    public var emits: [String]
    public var consumes: [String]
    /// Service-specific environment variables, for `--help`.
    public var variables: [(String, String)]
    /// Operator subcommands besides serve/health (for example `events`).
    public var commands: [ServiceCommand]
    /// Rows pruned once older than `SHOP_RETENTION_S`, by a background task (none: nothing is pruned).
    public var retention: [RetentionRule]

    public init(name: String, summary: String, migrations: [Migration]?, peers: [String] = [],
                emits: [String] = [], consumes: [String] = [], variables: [(String, String)] = [],
                commands: [ServiceCommand] = [], retention: [RetentionRule] = []) {
        self.name = name
        self.summary = summary
        self.migrations = migrations
        self.peers = peers
        self.emits = emits
        self.consumes = consumes
        self.variables = variables
        self.commands = commands
        self.retention = retention
    }
}

/// An operator subcommand: `<service> <name> args...`, run without starting the service. It opens the
/// service's own database (safe while the service runs: SQLite serializes writers).
public struct ServiceCommand: Sendable {
    public var name: String
    /// One line for `--help`.
    public var usage: String
    public var run: @Sendable (_ arguments: [String], _ database: Database?) -> Int32

    public init(name: String, usage: String, run: @escaping @Sendable ([String], Database?) -> Int32) {
        self.name = name
        self.usage = usage
        self.run = run
    }
}

/// What a service's build function returns: its handlers, health checks and background work.
public struct ServiceParts: Sendable {
    public var router: Router
    public var checks: [HealthCheck]
    /// Background work (HTTP listeners, relays, periodic tasks), started in this order before the socket
    /// opens, so that `health` says ready only once they are up; on SIGTERM cancelled in reverse order,
    /// after the socket stopped accepting and its in-flight requests finished (see ``ServiceGroup``).
    public var services: [any Service]

    public init(router: Router = Router(), checks: [HealthCheck] = [], services: [any Service] = []) {
        self.router = router
        self.checks = checks
        self.services = services
    }
}
