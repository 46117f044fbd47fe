/// Stripe's webhook signature scheme, `Stripe-Signature: t=<unix seconds>,v1=<hex>[,v1=<hex>...]`, where
/// each `v1` is the lowercase hex HMAC-SHA256 of `"<t>." + raw body` under an endpoint secret.
///
/// Used three ways: payments verifies Stripe's deliveries, the Stripe stand-in signs its own, and the
/// notifier signs merchant webhooks in the same scheme so merchants can reuse their verification code.
public enum WebhookSignature {
    /// Stripe's default tolerance; this project applies it in both directions (past and future).
    public static let defaultTolerance: Int64 = 300

    /// Why a signature was refused. `code` is stable and goes into logs and 400 bodies.
    public enum Failure: Error, Sendable, Equatable, CustomStringConvertible {
        case missingHeader
        case unparseableHeader
        case noV1Signature
        case noMatchingSignature
        case timestampOutsideTolerance(timestamp: Int64, now: Int64)

        public var code: String {
            switch self {
            case .missingHeader: "missing_header"
            case .unparseableHeader: "unparseable_header"
            case .noV1Signature: "no_v1_signature"
            case .noMatchingSignature: "no_matching_signature"
            case .timestampOutsideTolerance: "timestamp_outside_tolerance"
            }
        }

        public var description: String {
            switch self {
            case .missingHeader: "no Stripe-Signature header"
            case .unparseableHeader: "Stripe-Signature header has no t=<unix seconds> element"
            case .noV1Signature: "Stripe-Signature header has no v1 signature"
            case .noMatchingSignature: "no v1 signature matches the payload under any configured secret"
            case .timestampOutsideTolerance(let t, let now):
                // Int64 subtraction can overflow for a hostile `t`; Int128 cannot.
                "signature timestamp is \(Int128(now) - Int128(t)) s from now; tolerance is \(WebhookSignature.defaultTolerance) s"
            }
        }
    }

    /// A parsed header: the timestamp and every `v1` signature (other schemes such as `v0` are ignored).
    public struct Header: Sendable, Equatable {
        public var timestamp: Int64
        public var v1: [[UInt8]]
    }

    /// Parses a header: split on `,`, each item on its first `=`. Items it does not know are ignored;
    /// a `v1` that is not hex can never match and is dropped.
    public static func parse(_ header: String?) throws(Failure) -> Header {
        guard let header, !header.isEmpty else { throw .missingHeader }
        var timestamp: Int64?
        var v1: [[UInt8]] = []
        for item in header.split(separator: ",", omittingEmptySubsequences: true) {
            guard let eq = item.firstIndex(of: "=") else { continue }
            let key = item[..<eq].trimmingSpaces, value = item[item.index(after: eq)...].trimmingSpaces
            switch key {
            case "t": timestamp = Int64(value)
            case "v1": if let bytes = Hex.decode(value), bytes.count == 32 { v1.append(bytes) } else { v1.append([]) }
            default: continue
            }
        }
        guard let timestamp else { throw .unparseableHeader }
        guard !v1.isEmpty else { throw .noV1Signature }
        return Header(timestamp: timestamp, v1: v1.filter { !$0.isEmpty })
    }

    /// Verifies `body` (the raw bytes exactly as received) against `header` with any of `secrets`.
    /// Returns the signed timestamp.
    @discardableResult
    public static func verify(body: some Collection<UInt8>, header: String?, secrets: [String],
                              tolerance: Int64 = defaultTolerance, now: Int64) throws(Failure) -> Int64 {
        let parsed = try parse(header)
        let signed = signedPayload(timestamp: parsed.timestamp, body: body)
        var matched = false
        // Every candidate is computed and compared, so the time taken does not reveal which one matched.
        for secret in secrets {
            let expected = Digest.hmacSHA256(key: Array(secret.utf8), message: signed)
            for candidate in parsed.v1 where Digest.constantTimeEqual(expected, candidate) { matched = true }
        }
        guard matched else { throw .noMatchingSignature }
        guard isWithin(tolerance, timestamp: parsed.timestamp, now: now) else {
            throw .timestampOutsideTolerance(timestamp: parsed.timestamp, now: now)
        }
        return parsed.timestamp
    }

    /// Whether `timestamp` is at most `tolerance` seconds before or after `now`. `t` comes from the
    /// header, so anyone can sign a body with `t` near `Int64.min` or `Int64.max` once they hold a
    /// secret, or replay one: `now - t` and `abs` are checked, and a difference that does not even fit
    /// in Int64 is outside any tolerance rather than a trap that kills the service.
    static func isWithin(_ tolerance: Int64, timestamp: Int64, now: Int64) -> Bool {
        let (difference, overflow) = now.subtractingReportingOverflow(timestamp)
        guard !overflow, difference != .min else { return false }
        return abs(difference) <= tolerance
    }

    /// The header value signing `body` at `timestamp` with each of `secrets` (one `v1` per secret).
    public static func header(body: some Collection<UInt8>, timestamp: Int64, secrets: [String]) -> String {
        let signed = signedPayload(timestamp: timestamp, body: body)
        var parts = ["t=\(timestamp)"]
        for secret in secrets { parts.append("v1=" + Hex.encode(Digest.hmacSHA256(key: Array(secret.utf8), message: signed))) }
        return parts.joined(separator: ",")
    }

    /// `"<t>." + body`: the bytes that are signed.
    public static func signedPayload(timestamp: Int64, body: some Collection<UInt8>) -> [UInt8] {
        var bytes = Array("\(timestamp).".utf8)
        bytes.append(contentsOf: body)
        return bytes
    }

    /// Splits a comma-separated secret list (`STRIPE_WEBHOOK_SECRET=whsec_a,whsec_b`), trimming spaces.
    public static func secrets(fromList list: String) -> [String] {
        list.split(separator: ",").map { String($0.trimmingSpaces) }.filter { !$0.isEmpty }
    }
}

extension Substring {
    fileprivate var trimmingSpaces: Substring {
        var s = self
        while s.first == " " { s.removeFirst() }
        while s.last == " " { s.removeLast() }
        return s
    }
}
