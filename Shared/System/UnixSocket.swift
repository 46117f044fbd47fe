#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Unix domain socket helpers shared by servers and clients.
public enum UnixSocket {
    /// Longest path `sockaddr_un` holds on Linux, excluding the terminating NUL.
    public static let maxPathBytes = MemoryLayout<sockaddr_un>.size - MemoryLayout<sa_family_t>.size - 1

    /// Checks a socket path against the kernel's limit.
    public static func validate(path: String) throws(SystemError) {
        let n = path.utf8.count
        guard n > 0 else { throw SystemError(setup: "socket path is empty") }
        guard n <= maxPathBytes else {
            throw SystemError(setup: "socket path '\(path)' is \(n) bytes; Unix sockets allow at most \(maxPathBytes). Use a shorter SHOP_SOCKET_DIR")
        }
    }

    /// Calls `body` with a `sockaddr_un` for `path`.
    static func withAddress<T>(_ path: String, _ body: (UnsafePointer<sockaddr>, socklen_t) -> T) -> T {
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in
            let bytes = Array(path.utf8.prefix(maxPathBytes))
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        return withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
    }

    /// Creates `path` and its parents with mode 0750: the socket directory must not be open to others.
    ///
    /// An existing directory loses any permission for others, but keeps what it gives its group: a
    /// deployment where each service runs as its own user (compose) shares the socket directory through
    /// a group (`root:shop 1770`), and each socket's own group then decides who may connect to it.
    public static func prepareDirectory(_ path: String) throws(SystemError) {
        var current = path.hasPrefix("/") ? "" : "."
        for component in path.split(separator: "/") {
            current += "/" + component
            if mkdir(current, 0o750) != 0 && errno != EEXIST {
                throw SystemError(setup: "cannot create directory '\(current)': \(String(cString: strerror(errno)))")
            }
        }
        var st = stat()
        guard stat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR else {
            throw SystemError(setup: "'\(path)' exists and is not a directory")
        }
        // Tighten the leaf directory even if it already existed open to others.
        let mode = st.st_mode & 0o7777
        if mode & 0o007 != 0 && chmod(path, mode & ~0o007) != 0 {
            throw SystemError(setup: "'\(path)' is open to other users (mode \(String(mode, radix: 8))) and cannot be "
                                   + "tightened: \(String(cString: strerror(errno)))")
        }
    }

    /// Opens a stream socket with close-on-exec.
    static func makeSocket() throws(SystemError) -> Int32 {
        try Syscall.run("socket(AF_UNIX)") { socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0) }
    }

    /// Connects to `path`. With `nonBlocking`, a full accept backlog fails with EAGAIN instead of waiting.
    public static func connect(path: String, nonBlocking: Bool = true) throws(SystemError) -> Int32 {
        let fd = try makeSocket()
        if nonBlocking { _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) }
        let rc = withAddress(path) { addr, len in Glibc.connect(fd, addr, len) }
        if rc != 0 {
            let e = errno
            close(fd)
            throw SystemError("connect(\(path))", errno: e)
        }
        if nonBlocking { _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) }
        return fd
    }

    /// Fails if a live process answers on `path`. No file, or a stale one nobody listens on, is fine.
    public static func ensureNotServed(path: String) throws(SystemError) {
        do {
            let probe = try connect(path: path)
            close(probe)
        } catch {
            switch error.errno {
            case ECONNREFUSED, ENOENT:
                return
            case EAGAIN:
                throw SystemError(setup: "another process is already serving on '\(path)' (its backlog is full); refusing to start a second instance")
            default:
                throw SystemError(setup: "cannot probe existing socket '\(path)': \(error)")
            }
        }
        throw SystemError(setup: "another process is already serving on '\(path)'; refusing to start a second instance")
    }

    /// Binds and listens on `path` with mode 0660.
    ///
    /// A leftover socket file is removed only when nothing answers on it; a socket that a live process
    /// serves is never stolen, so a second instance fails here with a clear message.
    public static func listen(path: String, backlog: Int32 = 512) throws(SystemError) -> Int32 {
        try validate(path: path)
        var st = stat()
        if lstat(path, &st) == 0 {
            guard (st.st_mode & S_IFMT) == S_IFSOCK else {
                throw SystemError(setup: "'\(path)' exists and is not a socket; refusing to replace it")
            }
            try ensureNotServed(path: path)
            // Nobody listens: a stale file from a process that died. Safe to remove.
            if unlink(path) != 0 && errno != ENOENT {
                throw SystemError(setup: "cannot remove stale socket '\(path)': \(String(cString: strerror(errno)))")
            }
        }
        let fd: Int32
        do { fd = try makeSocket() } catch { throw SystemError(setup: "\(error)") }
        let rc = withAddress(path) { addr, len in bind(fd, addr, len) }
        if rc != 0 {
            let e = errno
            close(fd)
            if e == EADDRINUSE {
                throw SystemError(setup: "another process is already serving on '\(path)'; refusing to start a second instance")
            }
            throw SystemError(setup: "cannot bind '\(path)': \(String(cString: strerror(e)))")
        }
        if chmod(path, 0o660) != 0 {
            let e = errno
            close(fd)
            throw SystemError(setup: "cannot set mode 0660 on '\(path)': \(String(cString: strerror(e)))")
        }
        if Glibc.listen(fd, backlog) != 0 {
            let e = errno
            close(fd)
            throw SystemError(setup: "cannot listen on '\(path)': \(String(cString: strerror(e)))")
        }
        return fd
    }

    /// Waits up to `timeoutMs` for `events` on `fd`. Returns false on timeout.
    public static func poll(_ fd: Int32, events: Int16, timeoutMs: Int32) throws(SystemError) -> Bool {
        var p = pollfd(fd: fd, events: events, revents: 0)
        let n = try Syscall.run("poll") { Glibc.poll(&p, 1, timeoutMs) }
        return n > 0
    }

    /// Ignores SIGPIPE process-wide: a peer that vanishes turns writes into EPIPE errors, not a crash.
    public static func ignoreSIGPIPE() {
        signal(SIGPIPE, SIG_IGN)
    }
}
