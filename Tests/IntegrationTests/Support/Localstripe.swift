import Foundation
import HTTPTesting
import Glibc

/// The Python tools venv (localstripe, stripe, aiosmtpd, schemathesis): `SHOP_VENV_PYTHON` when the test
/// script exported it, else `.venv-tools` at the package root.
enum PythonTools {
    static let root: String = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().path

    static var python: String {
        ProcessInfo.processInfo.environment["SHOP_VENV_PYTHON"] ?? root + "/.venv-tools/bin/python"
    }

    static func bin(_ name: String) -> String {
        URL(fileURLWithPath: python).deletingLastPathComponent().appendingPathComponent(name).path
    }
}

/// A free TCP port on loopback (bound, read back and released: good enough for tools that cannot take 0).
func freeLoopbackPort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw ServiceFailure("socket() failed") }
    defer { close(fd) }
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_addr.s_addr = inet_addr("127.0.0.1")
    addr.sin_port = 0
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let ok = withUnsafeMutablePointer(to: &addr) { p in
        p.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
    }
    guard ok else { throw ServiceFailure("bind/getsockname failed") }
    return Int(UInt16(bigEndian: addr.sin_port))
}

/// localstripe (PyPI), the third-party Stripe emulator, on a loopback port of its own.
final class Localstripe: @unchecked Sendable {
    // Safe: set once in init; `process` is only signalled.
    let port: Int
    let process: ChildProcess
    let logPath: String

    var base: String { "http://127.0.0.1:\(port)" }

    init(in dir: TemporaryDirectory) throws {
        port = try freeLoopbackPort()
        logPath = dir.file("localstripe.log")
        // It keeps its state in a pickle under the working directory's /tmp; --from-scratch starts empty.
        process = try ChildProcess(executable: PythonTools.bin("localstripe"),
                                   arguments: ["--port", "\(port)", "--from-scratch"],
                                   environment: ["PATH": "/usr/bin:/bin", "HOME": dir.path], outputPath: logPath)
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline {
            if !process.isRunning { throw ServiceFailure("localstripe exited:\n\(log)") }
            if (try? HTTPTestClient(port: port).get("/v1/payment_intents/pi_none", headers: [("Authorization", "Bearer sk_test_x")])) != nil {
                return
            }
            usleep(50_000)
        }
        throw ServiceFailure("localstripe did not answer within 30 s:\n\(log)")
    }

    var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    deinit {
        process.signal(SIGTERM)
        _ = process.waitForExit(timeout: .seconds(5))
    }

    /// A form POST to localstripe with a test key.
    @discardableResult
    func post(_ path: String, _ form: String) throws -> HTTPTestResponse {
        try HTTPTestClient(port: port).send("POST", path, headers: [
            ("Authorization", "Bearer sk_test_localstripe"), ("Content-Type", "application/x-www-form-urlencoded"),
        ], body: Array(form.utf8))
    }
}
