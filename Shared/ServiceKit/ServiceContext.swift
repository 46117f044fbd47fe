import Logging
import Storage
import Synchronization
import Transport

/// Everything a service's build function gets: its configuration, logger, database and peer clients.
public final class ServiceContext: Sendable {
    public let spec: ServiceSpec
    public let config: CommonConfig
    public let logger: Logger
    /// The service's own database, when its spec has migrations.
    public let database: Database?
    private let clients = Mutex<[String: MessageClient]>([:])

    init(spec: ServiceSpec, config: CommonConfig, logger: Logger, database: Database?) {
        self.spec = spec
        self.config = config
        self.logger = logger
        self.database = database
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
