#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A failed system call: which operation, errno, and what it means.
public struct SystemError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The call that failed, e.g. `connect(/run/sockets/payments.sock)`.
    public var operation: String
    /// The errno value.
    public var errno: Int32

    public init(_ operation: String, errno: Int32) {
        self.operation = operation
        self.errno = errno
    }

    /// `strerror` text for the errno.
    public var reason: String { String(cString: strerror(errno)) }

    public var description: String { "\(operation) failed: \(reason) (errno \(errno))" }
}

/// Runs system calls: retries `EINTR`, turns -1 into a typed ``SystemError``.
public enum Syscall {
    /// Calls `body` until it does not fail with EINTR; throws on -1.
    @discardableResult
    @inline(__always)
    public static func run<T: FixedWidthInteger>(_ operation: @autoclosure () -> String,
                                                 _ body: () -> T) throws(SystemError) -> T {
        while true {
            let r = body()
            if r != -1 { return r }
            let e = errno
            if e == EINTR { continue }
            throw SystemError(operation(), errno: e)
        }
    }
}
