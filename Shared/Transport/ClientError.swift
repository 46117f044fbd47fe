import Wire

/// Why a call to another service did not produce a result: from ``MessageClient`` in a service, from
/// ``BlockingClient`` in a command. With ``SystemError`` one of Transport's two error types: this one
/// means "the call failed", and its code says whether to retry, give up or pass the remote error on.
public struct ClientError: Error, Sendable, CustomStringConvertible {
    /// The broad kind of failure; callers branch on this.
    public enum Code: String, Sendable {
        /// The service could not be reached (no socket, refused, connection lost).
        case unavailable
        /// No answer before the call's deadline.
        case deadlineExceeded = "deadline_exceeded"
        /// The service answered with an error (see ``ClientError/remote``).
        case remote
        /// The service answered something that is not a valid reply.
        case protocolViolation = "protocol_violation"
    }

    public var code: Code
    /// Worded for an operator (`no socket at /run/shop/payments.sock (is the service running?)`).
    public var message: String
    /// The error the remote service sent, for ``Code/remote``.
    public var remote: WireError?
    /// The errno of the system call that failed, for ``Code/unavailable`` (ENOENT: no socket;
    /// ECONNREFUSED: a stale socket nobody serves).
    public var errno: Int32?

    public init(_ code: Code, _ message: String, remote: WireError? = nil, errno: Int32? = nil) {
        self.code = code
        self.message = message
        self.remote = remote
        self.errno = errno
    }

    public var description: String {
        if let remote { return "remote error \(remote.code): \(remote.message)" }
        return "\(code.rawValue): \(message)"
    }

    /// The error to pass on to this service's own caller.
    public var wireError: WireError {
        switch code {
        case .remote: remote ?? .internalError()
        case .unavailable: .unavailable(message)
        case .deadlineExceeded: .deadlineExceeded(message)
        case .protocolViolation: .internalError("bad reply from a peer service")
        }
    }
}
