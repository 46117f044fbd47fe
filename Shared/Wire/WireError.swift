/// An error as it travels on the wire: a stable `code`, a human `message`, and whether retrying may help.
///
/// The gateway maps codes to HTTP statuses in one table; services never invent ad-hoc codes at call sites,
/// they use ``Code``'s static members and the named constructors below, so the set stays documented in
/// `docs/PROTOCOL.md`.
public struct WireError: Error, Sendable, Hashable, Codable, CustomStringConvertible {
    /// A stable machine-readable code such as `unknown_type`: a type on our side, a string on the wire.
    /// New codes can be added without breaking callers; compare with the static members, never with a
    /// string.
    public struct Code: RawRepresentable, Codable, Sendable, Hashable, CustomStringConvertible, ExpressibleByStringLiteral {
        /// The code as sent on the wire.
        public let rawValue: String
        /// Wraps a code string read from the wire.
        public init(rawValue: String) { self.rawValue = rawValue }
        /// Wraps a code string literal.
        public init(stringLiteral value: String) { self.rawValue = value }
        /// The code as sent on the wire.
        public var description: String { rawValue }

        /// The request's `type` names no handler of this service.
        public static let unknownType: Code = "unknown_type"
        /// Well-formed JSON, but not what the envelope or the type expects.
        public static let invalidArgument: Code = "invalid_argument"
        /// The envelope's `v` is not one this service speaks.
        public static let unsupportedVersion: Code = "unsupported_version"
        /// The frame's bytes are not one UTF-8 JSON object.
        public static let malformedMessage: Code = "malformed_message"
        /// The frame's length prefix is zero or above the maximum.
        public static let frameRejected: Code = "frame_rejected"
        /// A peer or resource is not reachable now (retryable).
        public static let unavailable: Code = "unavailable"
        /// The caller's deadline passed before an answer came (retryable).
        public static let deadlineExceeded: Code = "deadline_exceeded"
        /// Something failed inside the service (retryable).
        public static let `internal`: Code = "internal"
        /// The named thing does not exist.
        public static let notFound: Code = "not_found"
        /// The request conflicts with the current state.
        public static let conflict: Code = "conflict"
        /// Well-formed but cannot be processed as asked.
        public static let unprocessable: Code = "unprocessable"
        /// A cap was reached; it frees up later (the gateway's 429).
        public static let resourceExhausted: Code = "resource_exhausted"
        /// The caller may not do this (a wrong or expired order token, a sender not allowed).
        public static let permissionDenied: Code = "permission_denied"
        /// The state does not allow the request now; it may later.
        public static let failedPrecondition: Code = "failed_precondition"
        /// The gateway's own: the order token an operation needs was not sent (never sent by a service).
        public static let unauthenticated: Code = "unauthenticated"
        /// The payment method was declined.
        public static let paymentDeclined: Code = "payment_declined"
        /// Stripe or another upstream API failed or refused the call.
        public static let upstreamFailed: Code = "upstream_failed"
        /// A webhook's signature does not verify.
        public static let invalidSignature: Code = "invalid_signature"
        /// A signed webhook body is not a Stripe event object.
        public static let invalidPayload: Code = "invalid_payload"
    }

    /// Stable machine-readable code, e.g. `unknown_type`.
    public var code: Code
    /// Human-readable explanation. Never contains secrets.
    public var message: String
    /// Whether the same request may succeed if sent again later.
    public var retryable: Bool
    /// A finer machine-readable cause within `code`, e.g. `no_matching_signature` for `invalid_signature`
    /// or Stripe's `decline_code` for `payment_declined`. Absent when `code` says it all.
    public var reason: String?

    public init(code: Code, message: String, retryable: Bool = false, reason: String? = nil) {
        self.code = code
        self.message = message
        self.retryable = retryable
        self.reason = reason
    }

    public var description: String { "\(code): \(message)" }

    /// The request's `type` names no handler of this service.
    public static func unknownType(_ type: String) -> WireError {
        WireError(code: .unknownType, message: "no handler for type '\(type.prefix(128))'")
    }
    /// The payload or envelope is well-formed JSON but not what the type expects.
    public static func invalidArgument(_ message: String) -> WireError {
        WireError(code: .invalidArgument, message: message)
    }
    /// The envelope's `v` is not one this service speaks.
    public static func unsupportedVersion(_ v: Int) -> WireError {
        WireError(code: .unsupportedVersion, message: "protocol version \(v) is not supported; this service speaks v\(Envelope.protocolVersion)")
    }
    /// The frame's bytes are not one UTF-8 JSON object.
    public static func malformedMessage(_ message: String) -> WireError {
        WireError(code: .malformedMessage, message: message)
    }
    /// The frame's length prefix is zero or above the maximum; the connection is closed after this.
    public static func frameRejected(_ message: String) -> WireError {
        WireError(code: .frameRejected, message: message)
    }
    /// A peer or resource is not reachable now.
    public static func unavailable(_ message: String) -> WireError {
        WireError(code: .unavailable, message: message, retryable: true)
    }
    /// The caller's deadline passed before an answer came.
    public static func deadlineExceeded(_ message: String) -> WireError {
        WireError(code: .deadlineExceeded, message: message, retryable: true)
    }
    /// Something failed inside the service; details are in its log, not here.
    public static func internalError(_ message: String = "internal error") -> WireError {
        WireError(code: .internal, message: message, retryable: true)
    }
    /// The named thing does not exist.
    public static func notFound(_ message: String) -> WireError {
        WireError(code: .notFound, message: message)
    }
    /// The request conflicts with the current state (for example out of stock).
    public static func conflict(_ message: String) -> WireError {
        WireError(code: .conflict, message: message)
    }
    /// The request is well-formed but cannot be processed as asked (unknown SKU, mixed currencies).
    public static func unprocessable(_ message: String, reason: String? = nil) -> WireError {
        WireError(code: .unprocessable, message: message, reason: reason)
    }
    /// The payment method was declined by the card network or Stripe (Stripe's `card_error`);
    /// `reason` carries Stripe's `decline_code` or `code`.
    public static func paymentDeclined(_ message: String, reason: String? = nil) -> WireError {
        WireError(code: .paymentDeclined, message: message, reason: reason)
    }
    /// Stripe (or another upstream API) failed or refused the call; `reason` carries its error code.
    public static func upstreamFailed(_ message: String, reason: String? = nil, retryable: Bool = false) -> WireError {
        WireError(code: .upstreamFailed, message: message, retryable: retryable, reason: reason)
    }
    /// A webhook's signature does not verify; `reason` is one of `missing_header`, `unparseable_header`,
    /// `no_v1_signature`, `no_matching_signature`, `timestamp_outside_tolerance`.
    public static func invalidSignature(_ message: String, reason: String) -> WireError {
        WireError(code: .invalidSignature, message: message, reason: reason)
    }
    /// A signed webhook body is not a Stripe event object.
    public static func invalidPayload(_ message: String) -> WireError {
        WireError(code: .invalidPayload, message: message)
    }
}
