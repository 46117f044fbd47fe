#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
@preconcurrency import Dispatch
import Logging
import Storage
import Transport
import Wire

/// The command line every service shares: `serve` (default), `health`, `--help`, `--version`.
public enum ServiceMain {
    /// Exit codes of `health`, so scripts can tell the reasons apart.
    public enum HealthExit: Int32 {
        case healthy = 0, unhealthy = 1, noSocket = 2, refused = 3, timedOut = 4, otherError = 5
    }

    /// Runs the service's command line and never returns.
    public static func run(_ spec: ServiceSpec, arguments: [String] = CommandLine.arguments,
                           build: @escaping @Sendable (ServiceContext) throws -> ServiceParts) -> Never {
        let args = Array(arguments.dropFirst())
        switch args.first {
        case nil, "serve":
            serve(spec, build: build)
        case "health":
            health(spec)
        case "--help", "-h", "help":
            print(usage(spec))
            exit(0)
        case "--version", "version":
            print("\(spec.name) \(ShopVersion.current) (protocol v\(Envelope.protocolVersion))")
            exit(0)
        case let other? where spec.commands.contains { $0.name == other }:
            let command = spec.commands.first { $0.name == other }!
            exit(runCommand(command, spec, arguments: Array(args.dropFirst())))
        case let other?:
            printError("\(spec.name): unknown command '\(other)'\n\n\(usage(spec))")
            exit(64)
        }
    }

    /// Runs an operator subcommand against the service's database.
    private static func runCommand(_ command: ServiceCommand, _ spec: ServiceSpec, arguments: [String]) -> Int32 {
        let config = loadConfig(spec)
        var database: Database?
        if let migrations = spec.migrations {
            let path = config.databasePath(of: spec.name)
            guard access(path, F_OK) == 0 else {
                printError("\(spec.name): no database at \(path) (check SHOP_DATA_DIR; has the service run yet?)")
                return 1
            }
            do {
                database = try Database(path: path, migrations: migrations)
            } catch {
                printError("\(spec.name): cannot open database: \(error)")
                return 1
            }
        }
        return command.run(arguments, database)
    }

    /// Writes a line to stderr (used before a logger exists, and for command-line errors).
    public static func printError(_ line: String) {
        // Config errors quote values: the same scrubbing as a log line keeps secrets out.
        Logger.stderrSink(Array((Redactor.scrub(line) + "\n").utf8))
    }

    static func usage(_ spec: ServiceSpec) -> String {
        var s = """
            \(spec.name) \(ShopVersion.current): \(spec.summary)

            Usage:
              \(spec.name) [serve]     start the service (default)
              \(spec.name) health      ask the running service for sys.health; exit 0 when ok or degraded
                                 (1 failing, 2 no socket, 3 refused, 4 timed out, 5 other error)
              \(spec.name) --help      this text
              \(spec.name) --version   print the version
            \(spec.commands.map { "  \(spec.name) \($0.usage)\n" }.joined())
            Environment:

            """
        for (name, text) in CommonConfig.variables + spec.variables {
            s += "  " + name + String(repeating: " ", count: max(1, 26 - name.count)) + text + "\n"
        }
        return s
    }

    private static func loadConfig(_ spec: ServiceSpec) -> CommonConfig {
        var reader = ConfigReader()
        let config = CommonConfig.read(&reader)
        do {
            try UnixSocket.validate(path: config.socketPath(of: spec.name))
        } catch {
            reader.problem("SHOP_SOCKET_DIR", error.description)
        }
        do {
            try reader.finish()
        } catch {
            printError("\(spec.name): \(error)")
            exit(78)  // EX_CONFIG
        }
        return config
    }

    // MARK: serve

    private static func serve(_ spec: ServiceSpec, build: @Sendable (ServiceContext) throws -> ServiceParts) -> Never {
        let started = ContinuousClock.now
        let config = loadConfig(spec)
        let logger = Logger(service: spec.name, level: config.logLevel)
        UnixSocket.ignoreSIGPIPE()
        Allocator.keepFreedMemory()

        // Signals are handled by a dispatch source, not an async-signal handler.
        let stopRequested = DispatchSemaphore(value: 0)
        var sources: [any DispatchSourceSignal] = []
        for sig in [SIGTERM, SIGINT] {
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler { stopRequested.signal() }
            source.resume()
            sources.append(source)
        }

        func fail(_ message: String) -> Never {
            logger.error(message)
            printError("\(spec.name): \(message)")
            exit(1)
        }

        // Refuse early, before touching the database, if a live instance already owns the socket.
        do {
            try UnixSocket.ensureNotServed(path: config.socketPath(of: spec.name))
        } catch {
            fail(error.description)
        }
        var database: Database?
        if let migrations = spec.migrations {
            do {
                try UnixSocket.prepareDirectory(config.dataDirectory)
            } catch {
                fail("SHOP_DATA_DIR: \(error)")
            }
            do {
                var options = Database.Options()
                // Replies answered from write completions (webhook intake, event acks) leave in one write per batch.
                options.aroundCompletions = { FramedConnection.coalescingSends($0) }
                database = try Database(path: config.databasePath(of: spec.name), migrations: migrations, options: options)
            } catch {
                fail("cannot open database: \(error)")
            }
        }
        let context = ServiceContext(spec: spec, config: config, logger: logger, database: database)
        var parts: ServiceParts
        do {
            parts = try build(context)
        } catch let error as ConfigError {
            printError("\(spec.name): \(error)")
            exit(78)  // EX_CONFIG
        } catch {
            fail("cannot start: \(error)")
        }
        var router = parts.router
        registerSystemHandlers(&router, spec: spec, context: context, checks: standardChecks(context) + parts.checks,
                               started: started)

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
        // The service's own parts (an HTTP listener, relays) start first: once the socket answers,
        // `health` says ready, so everything must already be up.
        do {
            try parts.start()
        } catch {
            fail("\(error)")
        }
        var retention: RetentionTask?
        if let database, !spec.retention.isEmpty {
            retention = RetentionTask(database: database, rules: spec.retention, age: .seconds(config.retentionSeconds),
                                      interval: .seconds(config.retentionIntervalSeconds), logger: logger)
            retention?.start()
        }
        do {
            try UnixSocket.prepareDirectory(config.socketDirectory)
            try server.start()
        } catch {
            parts.stop()
            fail("\(error)")
        }
        let elapsed = ContinuousClock.now - started
        logger.info("serving", ["socket": server.socketPath, "version": ShopVersion.current,
                                "startup_ms": String(elapsed.milliseconds)])

        stopRequested.wait()
        logger.info("stopping: finishing in-flight work")
        server.stop()
        retention?.stop()
        parts.stop()
        logger.info("stopped")
        withExtendedLifetime(sources) {}
        exit(0)
    }

    /// Checks every service has: its database (critical) and its peers (degraded when down).
    private static func standardChecks(_ context: ServiceContext) -> [HealthCheck] {
        var checks: [HealthCheck] = []
        if let db = context.database {
            checks.append(HealthCheck(name: "database", severity: .failing) {
                do {
                    _ = try await db.read { c in try c.queryOne("SELECT 1 AS ok") }
                    return nil
                } catch {
                    return "\(error)"
                }
            })
        }
        for peer in context.spec.peers {
            let client = context.client(for: peer)
            checks.append(HealthCheck(name: "peer.\(peer)", severity: .degraded) {
                do {
                    _ = try await client.send(.request("sys.ping"), deadline: .milliseconds(500))
                    return nil
                } catch {
                    return "\(error)"
                }
            })
        }
        return checks
    }

    private static func registerSystemHandlers(_ router: inout Router, spec: ServiceSpec, context: ServiceContext,
                                               checks: [HealthCheck], started: ContinuousClock.Instant) {
        // `delay_ms` holds the answer back (at most 10 s): lets tests and operators observe in-flight
        // draining and deadlines on a live service.
        router.on("sys.ping", PingRequest.self) { _, ping -> PingReply in
            if let delay = ping.delayMs {
                guard (0...10_000).contains(delay) else {
                    throw WireError.invalidArgument("field 'delay_ms' must be from 0 to 10000")
                }
                try? await Task.sleep(for: .milliseconds(delay))
            }
            return PingReply(pong: true)
        }
        let handles = Set(router.types + ["sys.health", "sys.describe"]).sorted()
        let description = ServiceDescription(service: spec.name, version: ShopVersion.current,
                                             protocolVersion: Envelope.protocolVersion, handles: handles,
                                             emits: spec.emits, consumes: spec.consumes)
        let describePayload = try! RawJSON(encoding: description)
        router.register("sys.describe", .inline { _ in describePayload })
        router.register("sys.health", .task { _ in
            let results = await withTaskGroup(of: HealthReport.Check.self) { group in
                for check in checks {
                    group.addTask {
                        if let problem = await check.probe() {
                            return HealthReport.Check(name: check.name, status: check.severity, detail: problem)
                        }
                        return HealthReport.Check(name: check.name, status: .ok)
                    }
                }
                var all: [HealthReport.Check] = []
                for await r in group { all.append(r) }
                return all.sorted { $0.name < $1.name }
            }
            let uptime = ContinuousClock.now - started
            let report = HealthReport(status: results.map(\.status).max() ?? .ok, service: spec.name,
                                      version: ShopVersion.current, uptimeSeconds: uptime.components.seconds,
                                      pid: getpid(), checks: results)
            return try RawJSON(encoding: report)
        })
    }

    struct PingRequest: Decodable, Sendable {
        var delayMs: Int?
        enum CodingKeys: String, CodingKey { case delayMs = "delay_ms" }
    }
    struct PingReply: Encodable, Sendable { var pong: Bool }

    // MARK: health

    private static func health(_ spec: ServiceSpec) -> Never {
        let config = loadConfig(spec)
        let path = config.socketPath(of: spec.name)
        func finish(_ code: HealthExit, _ line: String) -> Never {
            print(line)
            exit(code.rawValue)
        }
        let reply: Envelope
        do {
            reply = try BlockingClient.call(path: path, message: .request("sys.health"), timeoutMs: 2_000,
                                            maxFrameBytes: config.maxFrameBytes)
        } catch {
            switch (error.code, error.errno) {
            case (.unavailable, ENOENT): finish(.noSocket, "\(spec.name) unhealthy: \(error.message)")
            case (.unavailable, ECONNREFUSED): finish(.refused, "\(spec.name) unhealthy: \(error.message)")
            case (.deadlineExceeded, _): finish(.timedOut, "\(spec.name) unhealthy: \(error.message)")
            default: finish(.otherError, "\(spec.name) unhealthy: \(error.message)")
            }
        }
        if let error = reply.error { finish(.otherError, "\(spec.name) unhealthy: sys.health answered \(error)") }
        guard let report = try? (reply.payload ?? .emptyObject).decode(HealthReport.self) else {
            finish(.otherError, "\(spec.name) unhealthy: sys.health answer did not decode")
        }
        finish(report.status == .failing ? .unhealthy : .healthy, report.summary)
    }
}
