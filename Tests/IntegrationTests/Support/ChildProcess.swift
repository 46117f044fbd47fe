import Foundation

/// A child process started with `posix_spawn`, its output appended to files.
///
/// Foundation's `Process` is not used in tests: on Linux it keeps a socket pair and a run-loop source per
/// child, and under parallel tests its bookkeeping was seen closing descriptor numbers that other tests'
/// sockets had meanwhile reused. Plain `posix_spawn` + `waitpid` has no such state.
final class ChildProcess: @unchecked Sendable {
    // Safe: `exitStatus` is only touched under `lock`.
    let pid: pid_t
    private let lock = NSLock()
    private var exitStatus: Int32?

    /// Starts `executable` with `arguments` and exactly `environment`; stdout goes to `outputPath`, stderr
    /// to `errorPath` (or also to `outputPath`).
    init(executable: String, arguments: [String], environment: [String: String], outputPath: String,
         errorPath: String? = nil) throws {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        if let errorPath {
            posix_spawn_file_actions_addopen(&actions, 2, errorPath, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        } else {
            posix_spawn_file_actions_adddup2(&actions, 1, 2)
        }

        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var child: pid_t = 0
        let rc = posix_spawn(&child, executable, &actions, nil, argv, envp)
        guard rc == 0 else { throw POSIXError(POSIXErrorCode(rawValue: rc) ?? .EIO) }
        pid = child
    }

    /// Whether the child has not exited yet (reaps it if it has).
    var isRunning: Bool {
        lock.lock()
        defer { lock.unlock() }
        if exitStatus != nil { return false }
        var status: Int32 = 0
        if waitpid(pid, &status, WNOHANG) == pid {
            exitStatus = Self.decode(status)
            return false
        }
        return true
    }

    /// The exit status (128 + signal for a signalled child), once exited.
    var terminationStatus: Int32? {
        _ = isRunning
        lock.lock()
        defer { lock.unlock() }
        return exitStatus
    }

    /// Waits up to `timeout` for the child to exit; returns its status or nil.
    func waitForExit(timeout: Duration) -> Int32? {
        let deadline = ContinuousClock.now + timeout
        while isRunning {
            if ContinuousClock.now > deadline { return nil }
            usleep(2_000)
        }
        return terminationStatus
    }

    /// Sends `sig`. SIGSTOP returns only once the kernel shows every thread stopped (`T` in
    /// /proc/<pid>/task/*/stat): the stop is asynchronous, and a thread already running on another core can
    /// still answer a request sent right after `kill` returns (seen on a loaded machine).
    func signal(_ sig: Int32) {
        kill(pid, sig)
        guard sig == SIGSTOP else { return }
        func stopped(_ tid: String) -> Bool {
            guard let stat = try? String(contentsOfFile: "/proc/\(pid)/task/\(tid)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { return true }  // gone: not running either
            return stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).hasPrefix("T")
        }
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline {
            guard let tids = try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task") else { return }
            if tids.allSatisfy(stopped) { return }
            usleep(1_000)
        }
    }

    private static func decode(_ status: Int32) -> Int32 {
        let signal = status & 0x7f
        return signal == 0 ? (status >> 8) & 0xff : 128 + signal
    }

    deinit {
        if isRunning {
            kill(pid, SIGKILL)
            var status: Int32 = 0
            waitpid(pid, &status, 0)
        }
    }
}
