/// Why a request was refused: the status to answer with, a stable machine-readable code and a message
/// for humans. On the wire it becomes `{"error":{"code":"...","message":"..."}}` (see
/// ``HTTPResponse/error(_:)``).
///
/// The parser, the router and the server all report through this one type; handlers may throw it from
/// router handlers to answer with a specific status.
public struct HTTPError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A stable error code such as `bad_request`. New codes can be added without breaking callers;
    /// string literals work too (`"card_declined"`).
    public struct Code: RawRepresentable, Sendable, Hashable, CustomStringConvertible, ExpressibleByStringLiteral {
        /// The code as sent on the wire.
        public let rawValue: String
        /// Wraps a code string.
        public init(rawValue: String) { self.rawValue = rawValue }
        /// Wraps a code string literal.
        public init(stringLiteral value: String) { self.rawValue = value }
        /// The code as sent on the wire.
        public var description: String { rawValue }

        /// The request is malformed (400).
        public static let badRequest: Code = "bad_request"
        /// The request line is longer than allowed (414).
        public static let uriTooLong: Code = "uri_too_long"
        /// Too many header fields, or too many header bytes (431).
        public static let headersTooLarge: Code = "headers_too_large"
        /// The body is larger than allowed (413).
        public static let payloadTooLarge: Code = "payload_too_large"
        /// The method is syntactically fine but unknown to this server (501).
        public static let notImplemented: Code = "not_implemented"
        /// The HTTP version is not 1.0 or 1.1 (505).
        public static let versionNotSupported: Code = "http_version_not_supported"
        /// The client took too long to send its request (408).
        public static let requestTimeout: Code = "request_timeout"
        /// No route matches the path (404).
        public static let notFound: Code = "not_found"
        /// The path exists but not with this method (405).
        public static let methodNotAllowed: Code = "method_not_allowed"
        /// The server is at capacity or shutting down (503).
        public static let unavailable: Code = "unavailable"
        /// The handler did not answer in time (504).
        public static let timeout: Code = "timeout"
        /// Something failed inside the server; details are logged, never sent (500).
        public static let internalError: Code = "internal"
    }

    /// The status to answer with.
    public var status: HTTPStatus
    /// The stable error code.
    public var code: Code
    /// A human-readable explanation. Sent to the client, so it must not contain secrets.
    public var message: String

    /// Creates an error from its three parts.
    public init(status: HTTPStatus, code: Code, message: String) {
        self.status = status
        self.code = code
        self.message = message
    }

    /// `400 bad_request`.
    public static func badRequest(_ message: String) -> HTTPError {
        HTTPError(status: .badRequest, code: .badRequest, message: message)
    }
    /// `404 not_found`.
    public static func notFound(_ message: String = "no such resource") -> HTTPError {
        HTTPError(status: .notFound, code: .notFound, message: message)
    }
    /// `408 request_timeout`.
    public static func requestTimeout(_ message: String) -> HTTPError {
        HTTPError(status: .requestTimeout, code: .requestTimeout, message: message)
    }
    /// `413 payload_too_large`.
    public static func payloadTooLarge(limit: Int) -> HTTPError {
        HTTPError(status: .contentTooLarge, code: .payloadTooLarge,
                  message: "request body is larger than \(limit) bytes")
    }
    /// `414 uri_too_long`.
    public static func uriTooLong(limit: Int) -> HTTPError {
        HTTPError(status: .uriTooLong, code: .uriTooLong, message: "request line is longer than \(limit) bytes")
    }
    /// `431 headers_too_large`.
    public static func headersTooLarge(_ message: String) -> HTTPError {
        HTTPError(status: .headerFieldsTooLarge, code: .headersTooLarge, message: message)
    }
    /// `501 not_implemented`.
    public static func notImplemented(_ message: String) -> HTTPError {
        HTTPError(status: .notImplemented, code: .notImplemented, message: message)
    }
    /// `503 unavailable`.
    public static func unavailable(_ message: String) -> HTTPError {
        HTTPError(status: .serviceUnavailable, code: .unavailable, message: message)
    }
    /// `500 internal`, with a message that reveals nothing.
    public static func internalError() -> HTTPError {
        HTTPError(status: .internalServerError, code: .internalError, message: "internal error")
    }

    /// `400 bad_request: ...`, for logs and test failures.
    public var description: String { "\(status.code) \(code): \(message)" }
}
