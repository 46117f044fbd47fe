/// An error as it travels on the wire: a stable `code`, a human `message`, and whether retrying may help.
///
/// The gateway maps codes to HTTP statuses in one table; services never invent ad-hoc codes at call sites,
/// they use the named constructors below so the set stays documented in `docs/PROTOCOL.md`.
public struct WireError: Error, Sendable, Hashable, Codable, CustomStringConvertible {
    /// Stable machine-readable code, e.g. `unknown_type`.
    public var code: String
    /// Human-readable explanation. Never contains secrets.
    public var message: String
    /// Whether the same request may succeed if sent again later.
    public var retryable: Bool
    /// A finer machine-readable cause within `code`, e.g. `no_matching_signature` for `invalid_signature`
    /// or Stripe's `decline_code` for `payment_declined`. Absent when `code` says it all.
    public var reason: String?

    public init(code: String, message: String, retryable: Bool = false, reason: String? = nil) {
        self.code = code
        self.message = message
        self.retryable = retryable
        self.reason = reason
    }

    public var description: String { "\(code): \(message)" }

    /// The request's `type` names no handler of this service.
    public static func unknownType(_ type: String) -> WireError {
        WireError(code: "unknown_type", message: "no handler for type '\(type.prefix(128))'")
    }
    /// The payload or envelope is well-formed JSON but not what the type expects.
    public static func invalidArgument(_ message: String) -> WireError {
        WireError(code: "invalid_argument", message: message)
    }
    /// The envelope's `v` is not one this service speaks.
    public static func unsupportedVersion(_ v: Int) -> WireError {
        WireError(code: "unsupported_version", message: "protocol version \(v) is not supported; this service speaks v\(Envelope.protocolVersion)")
    }
    /// The frame's bytes are not one UTF-8 JSON object.
    public static func malformedMessage(_ message: String) -> WireError {
        WireError(code: "malformed_message", message: message)
    }
    /// The frame's length prefix is zero or above the maximum; the connection is closed after this.
    public static func frameRejected(_ message: String) -> WireError {
        WireError(code: "frame_rejected", message: message)
    }
    /// A peer or resource is not reachable now.
    public static func unavailable(_ message: String) -> WireError {
        WireError(code: "unavailable", message: message, retryable: true)
    }
    /// The caller's deadline passed before an answer came.
    public static func deadlineExceeded(_ message: String) -> WireError {
        WireError(code: "deadline_exceeded", message: message, retryable: true)
    }
    /// Something failed inside the service; details are in its log, not here.
    public static func internalError(_ message: String = "internal error") -> WireError {
        WireError(code: "internal", message: message, retryable: true)
    }
    /// The named thing does not exist.
    public static func notFound(_ message: String) -> WireError {
        WireError(code: "not_found", message: message)
    }
    /// The request conflicts with the current state (for example out of stock).
    public static func conflict(_ message: String) -> WireError {
        WireError(code: "conflict", message: message)
    }
    /// The request is well-formed but cannot be processed as asked (unknown SKU, mixed currencies).
    public static func unprocessable(_ message: String, reason: String? = nil) -> WireError {
        WireError(code: "unprocessable", message: message, reason: reason)
    }
    /// The payment method was declined by the card network or Stripe (Stripe's `card_error`);
    /// `reason` carries Stripe's `decline_code` or `code`.
    public static func paymentDeclined(_ message: String, reason: String? = nil) -> WireError {
        WireError(code: "payment_declined", message: message, reason: reason)
    }
    /// Stripe (or another upstream API) failed or refused the call; `reason` carries its error code.
    public static func upstreamFailed(_ message: String, reason: String? = nil, retryable: Bool = false) -> WireError {
        WireError(code: "upstream_failed", message: message, retryable: retryable, reason: reason)
    }
    /// A webhook's signature does not verify; `reason` is one of `missing_header`, `unparseable_header`,
    /// `no_v1_signature`, `no_matching_signature`, `timestamp_outside_tolerance`.
    public static func invalidSignature(_ message: String, reason: String) -> WireError {
        WireError(code: "invalid_signature", message: message, reason: reason)
    }
    /// A signed webhook body is not a Stripe event object.
    public static func invalidPayload(_ message: String) -> WireError {
        WireError(code: "invalid_payload", message: message)
    }
}
