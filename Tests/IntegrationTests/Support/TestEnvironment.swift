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
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 1, outPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    posix_spawn_file_actions_addopen(&actions, 2, errPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    let argv = ([executable] + arguments).map { strdup($0) } + [nil]
    let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
    defer {
        argv.forEach { free($0) }
        envp.forEach { free($0) }
    }
    var pid: pid_t = 0
    let rc = posix_spawn(&pid, executable, &actions, nil, argv, envp)
    guard rc == 0 else { throw POSIXError(POSIXErrorCode(rawValue: rc) ?? .EIO) }
    let deadline = ContinuousClock.now + timeout
    var status: Int32 = 0
    while waitpid(pid, &status, WNOHANG) == 0 {
        if ContinuousClock.now > deadline {
            kill(pid, SIGKILL)
            waitpid(pid, &status, 0)
            throw ServiceFailure("\(executable) \(arguments) did not finish within \(timeout)")
        }
        usleep(2_000)
    }
    let signal = status & 0x7f
    return CommandResult(status: signal == 0 ? (status >> 8) & 0xff : 128 + signal,
                         stdout: (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? "",
                         stderr: (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? "")
}
