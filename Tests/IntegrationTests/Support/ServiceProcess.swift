import Foundation
import Testing
import Transport
import Wire

/// A real service executable started for a test, with its own socket and data directories.
final class ServiceProcess: @unchecked Sendable {
    // Safe: `process` is only started and signalled from the owning test.
    let name: String
    let environment: [String: String]
    let logPath: String
    private(set) var process: Process

    /// The environment every service of one test shares.
    static func environment(in dir: TemporaryDirectory, extra: [String: String] = [:]) -> [String: String] {
        var env = ["SHOP_SOCKET_DIR": dir.file("s"), "SHOP_DATA_DIR": dir.file("d"), "SHOP_LOG_LEVEL": "debug",
                   "PATH": "/usr/bin:/bin"]
        env.merge(extra) { _, new in new }
        return env
    }

    var socketPath: String { environment["SHOP_SOCKET_DIR"]! + "/\(name).sock" }

    /// Starts `name` and waits until it answers `sys.ping`.
    init(_ name: String, environment: [String: String], logDirectory: TemporaryDirectory, waitUntilReady: Bool = true) throws {
        self.name = name
        self.environment = environment
        self.logPath = logDirectory.file("\(name)-\(UUID().uuidString.prefix(8)).log")
        process = Process()
        try launch()
        if waitUntilReady { try waitForReady() }
    }

    private func launch() throws {
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        log.seekToEndOfFile()
        process = Process()
        process.executableURL = URL(fileURLWithPath: Binaries.path(name))
        process.arguments = ["serve"]
        process.environment = environment
        process.standardError = log
        process.standardOutput = log
        try process.run()
    }

    /// Polls the service's readiness signal (an answered `sys.ping`), failing fast if the process dies.
    func waitForReady(timeout: Duration = .seconds(10)) throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if !process.isRunning {
                throw ServiceFailure("\(name) exited with \(process.terminationStatus) before becoming ready:\n\(log)")
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
    var pid: Int32 { process.processIdentifier }

    /// Sends a signal.
    func signal(_ sig: Int32) { kill(process.processIdentifier, sig) }

    /// Waits for the process to exit and returns its status, or nil after `timeout`.
    func waitForExit(timeout: Duration = .seconds(10)) -> Int32? {
        let deadline = ContinuousClock.now + timeout
        while process.isRunning {
            if ContinuousClock.now > deadline { return nil }
            usleep(2_000)
        }
        return process.terminationStatus
    }

    /// Kills with SIGKILL (a crash) and reaps.
    func crash() {
        signal(SIGKILL)
        _ = waitForExit()
    }

    /// Starts the same service again after it stopped.
    func restart() throws {
        try launch()
        try waitForReady()
    }

    deinit {
        if process.isRunning {
            process.terminate()
            _ = waitForExit(timeout: .seconds(6))
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        }
    }
}

struct ServiceFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
