#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Logging
import Storage
import System
import Transport

extension ServiceContext {
    /// Serves the built service on its socket until the calling task is cancelled, then stops: the socket
    /// stops accepting and finishes its in-flight requests, then the background services are cancelled in
    /// reverse order (``ServiceGroup``). Returns when stopped; throws if the service could not start or a
    /// background service failed.
    public func serve(_ parts: ServiceParts, started: ContinuousClock.Instant = .now) async throws {
        let group = try await start(parts, started: started)
        var failure: (any Error)?
        do { try await group.wait() } catch { failure = error }
        logger.info("stopping: finishing in-flight work")
        await group.stop()
        logger.info("stopped")
        if let failure { throw failure }
    }

    /// Starts the built service: its background services in order, then the socket (so once `health`
    /// answers, everything is up). The caller stops the returned group.
    public func start(_ parts: ServiceParts, started: ContinuousClock.Instant = .now) async throws -> ServiceGroup {
        var router = parts.router
        ServiceMain.registerSystemHandlers(&router, spec: spec, context: self,
                                           checks: ServiceMain.standardChecks(self) + parts.checks, started: started)
        var options = MessageServer.Options()
        options.maxFrameBytes = config.maxFrameBytes
        options.maxConnections = config.maxConnections
        if let senders = SenderPolicy(service: spec.name, uids: config.serviceUIDs) {
            options.senderCheck = { type, kind, uid in senders.refusal(type: type, kind: kind, peerUID: uid) }
            logger.info("callers are checked by uid (SO_PEERCRED)", ["service.uids": config.serviceUIDs.sorted { $0.key < $1.key }
                .map { "\($0.key)=\($0.value)" }.joined(separator: ",")])
        } else {
            // Then one uid may well run all four (scripts/run, compose today): any process of that user
            // can send any message, e.g. a payment event straight to fulfillment.
            logger.warn("callers are not checked: SHOP_SERVICE_UIDS does not give each of the four services its own uid, "
                + "so any process running as uid \(getuid()) can send this service any message; run each service as its "
                + "own user and set SHOP_SERVICE_UIDS")
        }
        let server = MessageServer(socketPath: config.socketPath(of: spec.name), router: router,
                                   options: options, logger: logger)
        // First started, last stopped: the database outlives every piece that writes to it.
        var services: [any Service] = database.map { [DatabaseService(database: $0)] } ?? []
        services += parts.services
        if let database, !spec.retention.isEmpty {
            services.append(RetentionTask(database: database, rules: spec.retention, age: .seconds(config.retentionSeconds),
                                          interval: .seconds(config.retentionIntervalSeconds), logger: logger))
        }
        services.append(SocketService(server: server, directory: config.socketDirectory))
        let group = ServiceGroup(services, logger: logger)
        try await group.start()
        let elapsed = ContinuousClock.now - started
        logger.info("serving", ["socket": server.socketPath, "version": ShopVersion.current,
                                "startup_ms": String(elapsed.milliseconds)])
        return group
    }
}

/// The service's socket as a piece of the group: bound when prepared; when cancelled it stops accepting,
/// removes its file and waits (up to 4 s) for the requests in flight.
struct SocketService: Service {
    let server: MessageServer
    let directory: String

    func prepare() throws {
        try UnixSocket.prepareDirectory(directory)
        try server.start()
    }

    func run() async {
        await untilCancelled()
        await onThread { server.stop() }
    }
}

/// The database as a piece of the group: when cancelled (last), it waits for queued writes and a
/// background checkpoint in progress.
struct DatabaseService: Service {
    let database: Database

    func run() async {
        await untilCancelled()
        await onThread { database.finishBackgroundWork() }
    }
}

/// Runs blocking `work` on a thread of its own (never on Swift's cooperative pool) and waits for it.
func onThread(_ work: @escaping @Sendable () -> Void) async {
    await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
        Threads.spawn(name: "shop-stop") {
            work()
            done.resume()
        }
    }
}
