#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Core
@preconcurrency import Dispatch
import Logging
import Storage
import System
import Transport
import Wire

/// The command line every service shares: `serve` (default), `health`, `--help`, `--version`.
public enum ServiceMain {
    /// Exit codes of `health`, so scripts can tell the reasons apart.
    public enum HealthExit: Int32 {
        case healthy = 0, unhealthy = 1, noSocket = 2, refused = 3, timedOut = 4, otherError = 5
    }

    /// Runs the service's command line and never returns. `serve` reads the common configuration, opens
    /// the database, reads the service's own configuration (`config`), builds the service (`build`) and
    /// serves it until SIGTERM or SIGINT.
    public static func run<Config: Sendable>(_ spec: ServiceSpec, arguments: [String] = CommandLine.arguments,
                                            config readConfig: @escaping @Sendable (CommonConfig) throws -> Config,
                                            build: @escaping @Sendable (Config, ServiceContext) throws -> ServiceParts) -> Never {
        let args = Array(arguments.dropFirst())
        switch args.first {
        case nil, "serve":
            serve(spec, readConfig: readConfig, build: build)
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

    /// The same, for a service without settings of its own.
    public static func run(_ spec: ServiceSpec, arguments: [String] = CommandLine.arguments,
                           build: @escaping @Sendable (ServiceContext) throws -> ServiceParts) -> Never {
        run(spec, arguments: arguments, config: { _ in () }, build: { _, context in try build(context) })
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

    private static func serve<Config>(_ spec: ServiceSpec, readConfig: @Sendable (CommonConfig) throws -> Config,
                                      build: @Sendable (Config, ServiceContext) throws -> ServiceParts) -> Never {
        let started = ContinuousClock.now
        let config = loadConfig(spec)
        let logger = Logger(service: spec.name, level: config.logLevel)
        UnixSocket.ignoreSIGPIPE()
        Allocator.keepFreedMemory()

        // Signals are handled by a dispatch source, not an async-signal handler. One that arrives while
        // the service is still starting stops it as soon as it serves.
        let stop = StopRequest()
        var sources: [any DispatchSourceSignal] = []
        for sig in [SIGTERM, SIGINT] {
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler { stop.request() }
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
        let context: ServiceContext
        do {
            context = try ServiceContext.open(spec, config: config, logger: logger)
        } catch {
            fail(error.description)
        }
        let parts: ServiceParts
        do {
            parts = try build(try readConfig(config), context)
        } catch let error as ConfigError {
            printError("\(spec.name): \(error)")
            exit(78)  // EX_CONFIG
        } catch {
            fail("cannot start: \(error)")
        }

        // The serve loop runs as a task; this thread (the process's main thread, never part of Swift's
        // pool) waits for it to return, after a signal cancelled it or because it failed.
        let result = StopRequest.Outcome()
        stop.attach(Task {
            do {
                try await context.serve(parts, started: started)
                result.finish(nil)
            } catch {
                result.finish("\(error)")
            }
        })
        if let failure = result.wait() { fail(failure) }
        withExtendedLifetime(sources) {}
        exit(0)
    }

    /// Checks every service has: its database (critical) and its peers (degraded when down).
    static func standardChecks(_ context: ServiceContext) -> [HealthCheck] {
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

    static func registerSystemHandlers(_ router: inout Router, spec: ServiceSpec, context: ServiceContext,
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
