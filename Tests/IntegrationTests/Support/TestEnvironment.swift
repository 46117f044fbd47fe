import Foundation
import Testing

/// A private directory per test, removed when the test ends. Paths stay short: socket paths must fit
/// the kernel's 107-byte limit.
final class TemporaryDirectory: @unchecked Sendable {
    // Safe: immutable after init.
    let path: String

    init() throws {
        var template = Array("/tmp/shop-XXXXXX".utf8CString)
        guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw POSIXError(.EIO)
        }
        path = String(cString: made)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    func file(_ name: String) -> String { path + "/" + name }
}

/// Where the built executables are: `SHOP_BIN_DIR` (set by scripts/test), else next to the test bundle.
enum Binaries {
    static let directory: String = {
        if let dir = ProcessInfo.processInfo.environment["SHOP_BIN_DIR"], !dir.isEmpty { return dir }
        let bundle = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for candidate in [bundle, bundle.deletingLastPathComponent()] {
            if FileManager.default.isExecutableFile(atPath: candidate.appendingPathComponent("gateway").path) {
                return candidate.path
            }
        }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        return root.appendingPathComponent(".build/debug").path
    }()

    static func path(_ name: String) -> String { directory + "/" + name }
}

/// Result of running a command to completion.
struct CommandResult {
    var status: Int32
    var stdout: String
    var stderr: String
}

/// Runs an executable to completion (for `health`, `--help`, config errors), stdout and stderr captured
/// through files.
func runCommand(_ executable: String, _ arguments: [String], environment: [String: String],
                timeout: Duration = .seconds(20)) throws -> CommandResult {
    let dir = try TemporaryDirectory()
    let outPath = dir.file("out"), errPath = dir.file("err")
    let child = try ChildProcess(executable: executable, arguments: arguments, environment: environment,
                                 outputPath: outPath, errorPath: errPath)
    guard let status = child.waitForExit(timeout: timeout) else {
        child.signal(SIGKILL)
        throw ServiceFailure("\(executable) \(arguments) did not finish within \(timeout)")
    }
    return CommandResult(status: status,
                         stdout: (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? "",
                         stderr: (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? "")
}
