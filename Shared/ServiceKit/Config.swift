import Core
import FoundationEssentials
import Logging
import Wire

/// Settings every service shares.
public struct CommonConfig: Sendable {
    /// `SHOP_SOCKET_DIR`: where every service's socket lives.
    public var socketDirectory: String
    /// `SHOP_DATA_DIR`: where databases and other state live.
    public var dataDirectory: String
    /// `SHOP_LOG_LEVEL`.
    public var logLevel: Logger.Level
    /// `SHOP_MAX_FRAME_BYTES`.
    public var maxFrameBytes: Int
    /// `SHOP_CALL_TIMEOUT_MS`: default deadline for calls to other services.
    public var callTimeoutMs: Int
    /// `SHOP_MAX_CONNECTIONS`: per service socket.
    public var maxConnections: Int
    /// `SHOP_EVENT_*`: the relay's retry policy for a publishing service.
    public var eventMaxAttempts: Int
    public var eventRetryBaseMs: Int
    public var eventRetryMaxMs: Int
    public var eventMaxAgeSeconds: Int
    /// `SHOP_RETENTION_S`: delivered outbox rows, inbox ids and raw webhook bodies older than this are pruned.
    public var retentionSeconds: Int
    /// `SHOP_RETENTION_INTERVAL_S`: how often the pruning runs.
    public var retentionIntervalSeconds: Int
    /// `SHOP_SERVICE_UIDS`: the uid each service runs as, so that a service can tell its callers apart
    /// (empty: it cannot, and says so at start).
    public var serviceUIDs: [String: UInt32] = [:]

    /// The variables read here, for `--help` and the README.
    public static let variables: [(String, String)] = [
        ("SHOP_SOCKET_DIR", "directory of the services' Unix sockets (default ./run/sockets; created 0750; an existing one loses what it gives others)"),
        ("SHOP_DATA_DIR", "directory of the services' SQLite databases (default ./run/data)"),
        ("SHOP_LOG_LEVEL", "debug, info, warn or error (default info)"),
        ("SHOP_MAX_FRAME_BYTES", "largest accepted frame payload, 1024 to 16777216 (default 1048576)"),
        ("SHOP_CALL_TIMEOUT_MS", "deadline for calls between services in ms, 10 to 600000 (default 5000)"),
        ("SHOP_MAX_CONNECTIONS", "most connections per service socket, 1 to 65536 (default 1024)"),
        ("SHOP_EVENT_MAX_ATTEMPTS", "failed deliveries of an event before it is dead-lettered, 1 to 1000 (default 10)"),
        ("SHOP_EVENT_RETRY_BASE_MS", "first redelivery delay in ms, doubling per attempt, 1 to 60000 (default 100)"),
        ("SHOP_EVENT_RETRY_MAX_MS", "largest redelivery delay in ms, 1 to 3600000 (default 30000)"),
        ("SHOP_EVENT_MAX_AGE_S", "age in s after which a failing event is dead-lettered, 1 to 2592000 (default 259200)"),
        ("SHOP_RETENTION_S", "age in s after which delivered outbox events, inbox ids and raw webhook bodies are pruned, "
            + "3600 to 315360000, at least SHOP_EVENT_MAX_AGE_S (default 2592000 = 30 days)"),
        ("SHOP_RETENTION_INTERVAL_S", "how often pruning runs, in small batches, 1 to 86400 (default 3600)"),
        ("SHOP_SERVICE_UIDS", "the uid of each service, e.g. gateway=10001,payments=10002,fulfillment=10003,notifier=10004: "
            + "each message type is then accepted only from the services allowed to send it (SO_PEERCRED); unset: not checked"),
    ]

    /// Reads the common variables.
    public static func read(_ r: inout ConfigReader) -> CommonConfig {
        let level = r.choice("SHOP_LOG_LEVEL", default: "info", choices: ["debug", "info", "warn", "warning", "error"])
        var config = CommonConfig(
            socketDirectory: r.string("SHOP_SOCKET_DIR", default: "./run/sockets"),
            dataDirectory: r.string("SHOP_DATA_DIR", default: "./run/data"),
            logLevel: Logger.Level(name: level) ?? .info,
            maxFrameBytes: r.int("SHOP_MAX_FRAME_BYTES", default: Frame.defaultMaxPayload, range: 1024...(16 << 20)),
            callTimeoutMs: r.int("SHOP_CALL_TIMEOUT_MS", default: 5_000, range: 10...600_000),
            maxConnections: r.int("SHOP_MAX_CONNECTIONS", default: 1024, range: 1...65_536),
            eventMaxAttempts: r.int("SHOP_EVENT_MAX_ATTEMPTS", default: 10, range: 1...1_000),
            eventRetryBaseMs: r.int("SHOP_EVENT_RETRY_BASE_MS", default: 100, range: 1...60_000),
            eventRetryMaxMs: r.int("SHOP_EVENT_RETRY_MAX_MS", default: 30_000, range: 1...3_600_000),
            eventMaxAgeSeconds: r.int("SHOP_EVENT_MAX_AGE_S", default: 259_200, range: 1...2_592_000),
            retentionSeconds: r.int("SHOP_RETENTION_S", default: 2_592_000, range: 3_600...315_360_000),
            retentionIntervalSeconds: r.int("SHOP_RETENTION_INTERVAL_S", default: 3_600, range: 1...86_400))
        if let list = r.raw("SHOP_SERVICE_UIDS") {
            for item in list.split(separator: ",") {
                let parts = item.split(separator: "=", maxSplits: 1).map { String($0.filter { $0 != " " }) }
                guard parts.count == 2, SenderPolicy.services.contains(parts[0]), let uid = UInt32(parts[1]) else {
                    r.problem("SHOP_SERVICE_UIDS", "'\(item.prefix(64))': expected service=uid with a service among "
                        + SenderPolicy.services.joined(separator: ", "))
                    continue
                }
                config.serviceUIDs[parts[0]] = uid
            }
        }
        // An inbox id pruned while its publisher may still redeliver the event would let it apply twice.
        if config.retentionSeconds < config.eventMaxAgeSeconds {
            r.problem("SHOP_RETENTION_S", "\(config.retentionSeconds) is shorter than SHOP_EVENT_MAX_AGE_S "
                + "(\(config.eventMaxAgeSeconds)): an event could be redelivered after its id was pruned")
        }
        return config
    }

    /// The socket of `service`.
    public func socketPath(of service: String) -> String {
        (socketDirectory.hasSuffix("/") ? socketDirectory : socketDirectory + "/") + service + ".sock"
    }

    /// The database file of `service`.
    public func databasePath(of service: String) -> String {
        (dataDirectory.hasSuffix("/") ? dataDirectory : dataDirectory + "/") + service + ".sqlite"
    }
}

extension CommonConfig {
    /// The defaults, with the given directories: what a test runs a service in-process with.
    public init(socketDirectory: String, dataDirectory: String) {
        var reader = ConfigReader(environment: ["SHOP_SOCKET_DIR": socketDirectory, "SHOP_DATA_DIR": dataDirectory])
        self = CommonConfig.read(&reader)
    }
}
