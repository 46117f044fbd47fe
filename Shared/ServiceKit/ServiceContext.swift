import Logging
import Storage
import Synchronization
import System
import Transport

/// Everything a service's build function gets: its configuration, logger, database and peer clients.
///
/// `ServiceMain` makes one from the environment; a test makes one with ``open(_:config:logger:)`` on a
/// temporary directory and runs the built service in-process (``serve(_:started:)``).
public final class ServiceContext: Sendable {
    public let spec: ServiceSpec
    public let config: CommonConfig
    public let logger: Logger
    /// The service's own database, when its spec has migrations.
    public let database: Database?
    private let clients = Mutex<[String: MessageClient]>([:])

    public init(spec: ServiceSpec, config: CommonConfig, logger: Logger, database: Database?) {
        self.spec = spec
        self.config = config
        self.logger = logger
        self.database = database
    }

    /// A context with the service's database opened (created and migrated if needed) in
    /// `config.dataDirectory`, as a running service has it.
    public static func open(_ spec: ServiceSpec, config: CommonConfig, logger: Logger) throws(StartError) -> ServiceContext {
        var database: Database?
        if let migrations = spec.migrations {
            do {
                try UnixSocket.prepareDirectory(config.dataDirectory)
            } catch {
                throw StartError("SHOP_DATA_DIR: \(error)")
            }
            do {
                var options = Database.Options()
                // Replies answered from write completions (webhook intake, event acks) leave in one write per batch.
                options.aroundCompletions = { FramedConnection.coalescingSends($0) }
                database = try Database(path: config.databasePath(of: spec.name), migrations: migrations, options: options)
            } catch {
                throw StartError("cannot open database: \(error)")
            }
        }
        return ServiceContext(spec: spec, config: config, logger: logger, database: database)
    }

    /// The shared client for `peer`'s socket.
    public func client(for peer: String) -> MessageClient {
        clients.withLock { c in
            if let existing = c[peer] { return existing }
            let client = MessageClient(socketPath: config.socketPath(of: peer),
                                       defaultDeadline: .milliseconds(config.callTimeoutMs),
                                       maxFrameBytes: config.maxFrameBytes)
            c[peer] = client
            return client
        }
    }
}

/// Why a service could not start (its database, its socket, a part that failed to come up).
public struct StartError: Error, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
