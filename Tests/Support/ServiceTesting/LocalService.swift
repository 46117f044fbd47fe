#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import FoundationEssentials
import Logging
import ServiceKit
import Transport

/// A service built and served in the test's own process, on a temporary socket directory and database
/// of its own (Hummingbird's `app.test(.live)` idea): what the services' unit suites use to reach their
/// handlers through the real socket without starting a child process.
public final class LocalService: Sendable {
    public let context: ServiceContext
    /// The temporary directory holding the socket and the database; removed by ``stop()``.
    public let directory: String
    private let group: ServiceGroup

    /// Builds the service with `build` and starts it; returns once its socket answers.
    public static func start(_ spec: ServiceSpec,
                             build: (ServiceContext) throws -> ServiceParts) async throws -> LocalService {
        let directory = try temporaryDirectory()
        let config = CommonConfig(socketDirectory: directory + "/s", dataDirectory: directory + "/d")
        let context = try ServiceContext.open(spec, config: config, logger: Logger(service: spec.name, level: .warn))
        let group = try await context.start(try build(context))
        return LocalService(context: context, directory: directory, group: group)
    }

    /// Starts the service, runs `body` with it, and stops it whether `body` returned or threw.
    public static func with<T: Sendable>(_ spec: ServiceSpec, build: (ServiceContext) throws -> ServiceParts,
                                         _ body: (LocalService) async throws -> T) async throws -> T {
        let service = try await start(spec, build: build)
        do {
            let result = try await body(service)
            await service.stop()
            return result
        } catch {
            await service.stop()
            throw error
        }
    }

    private init(context: ServiceContext, directory: String, group: ServiceGroup) {
        self.context = context
        self.directory = directory
        self.group = group
    }

    /// A client of the service's own socket.
    public func client() -> MessageClient { context.client(for: context.spec.name) }

    /// The path of the service's socket.
    public var socketPath: String { context.config.socketPath(of: context.spec.name) }

    /// Stops the service as SIGTERM would (socket first, then its background services in reverse) and
    /// removes its directory.
    public func stop() async {
        await group.stop()
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// A new directory under /tmp with a short name: socket paths must stay under the kernel's 108 bytes.
    public static func temporaryDirectory() throws -> String {
        var template = Array("/tmp/shop-unit-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw StartError("mkdtemp failed: errno \(errno)") }
        return String(cString: made)
    }
}
