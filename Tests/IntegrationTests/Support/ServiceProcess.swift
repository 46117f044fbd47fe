import Foundation
import Testing
import Transport
import Wire

/// A real service executable started for a test, with its own socket and data directories.
final class ServiceProcess: @unchecked Sendable {
    // Safe: `process` is only replaced by `restart()`, called from the owning test.
    let name: String
    let executable: String
    let environment: [String: String]
    let logPath: String
    private(set) var process: ChildProcess

    /// The environment every service of one test shares.
    static func environment(in dir: TemporaryDirectory, extra: [String: String] = [:]) -> [String: String] {
        var env = ["SHOP_SOCKET_DIR": dir.file("s"), "SHOP_DATA_DIR": dir.file("d"), "SHOP_LOG_LEVEL": "debug",
                   "PATH": "/usr/bin:/bin"]
        env.merge(extra) { _, new in new }
        return env
    }

    var socketPath: String { environment["SHOP_SOCKET_DIR"]! + "/\(name).sock" }

    /// Starts the service `name` (from the executable of that name unless `executable` says otherwise) and
    /// waits until it answers `sys.ping`.
    init(_ name: String, executable: String? = nil, environment: [String: String], logDirectory: TemporaryDirectory,
         waitUntilReady: Bool = true) throws {
        self.name = name
        self.executable = Binaries.path(executable ?? name)
        self.environment = environment
        self.logPath = logDirectory.file("\(name)-\(UUID().uuidString.prefix(8)).log")
        process = try Self.launch(self.executable, environment, logPath)
        if waitUntilReady { try waitForReady() }
    }

    private static func launch(_ executable: String, _ environment: [String: String], _ logPath: String) throws -> ChildProcess {
        try ChildProcess(executable: executable, arguments: ["serve"], environment: environment, outputPath: logPath)
    }

    /// Polls the service's readiness signal (an answered `sys.ping`), failing fast if the process dies.
    func waitForReady(timeout: Duration = .seconds(10)) throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if !process.isRunning {
                throw ServiceFailure("\(name) exited with \(process.terminationStatus ?? -1) before becoming ready:\n\(log)")
            }
            if let reply = try? BlockingClient.call(path: socketPath, message: .request("sys.ping"), timeoutMs: 500),
               reply.error == nil {
                return
            }
            usleep(5_000)
        }
        throw ServiceFailure("\(name) not ready after \(timeout):\n\(log)")
    }

    var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }
    var pid: Int32 { process.pid }

    /// Sends a signal.
    func signal(_ sig: Int32) { process.signal(sig) }

    /// Waits for the process to exit and returns its status, or nil after `timeout`.
    func waitForExit(timeout: Duration = .seconds(10)) -> Int32? {
        process.waitForExit(timeout: timeout)
    }

    /// Kills with SIGKILL (a crash) and reaps.
    func crash() {
        signal(SIGKILL)
        _ = waitForExit()
    }

    /// Starts the same service again after it stopped.
    func restart() throws {
        process = try Self.launch(executable, environment, logPath)
        try waitForReady()
    }

    deinit {
        if process.isRunning {
            process.signal(SIGTERM)
            _ = waitForExit(timeout: .seconds(6))
        }
    }
}

struct ServiceFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
