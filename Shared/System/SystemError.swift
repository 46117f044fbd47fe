#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A failed system call or socket set-up: which operation, errno, and what it means. With
/// ``ClientError`` (a call to another service failed) one of Transport's two error types: this one
/// means "the machine refused", and at start-up it stops the service with its description.
public struct SystemError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The call that failed, e.g. `connect(/run/sockets/payments.sock)`, or `setup`.
    public var operation: String
    /// The errno value; 0 when a check refused before any call failed (a socket path too long).
    public var errno: Int32
    /// What an operator reads, when it says more than "operation failed: strerror".
    public var message: String?

    public init(_ operation: String, errno: Int32) {
        self.operation = operation
        self.errno = errno
    }

    /// A set-up failure worded for an operator reading a start-up failure.
    public init(setup message: String, errno: Int32 = 0) {
        self.operation = "setup"
        self.errno = errno
        self.message = message
    }

    /// `strerror` text for the errno.
    public var reason: String { String(cString: strerror(errno)) }

    public var description: String { message ?? "\(operation) failed: \(reason) (errno \(errno))" }
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
