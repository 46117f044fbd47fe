import Events
import Wire

/// Which service may send which message, checked against the caller's uid (`SO_PEERCRED`) when
/// `SHOP_SERVICE_UIDS` tells the services apart.
///
/// - `sys.*` (ping, health, describe): anyone who can reach the socket (operators, health checks).
/// - events: only their publisher in ``Subscriptions/table`` (fulfillment takes payment events only
///   from payments, notifier order events only from fulfillment);
/// - requests: the services listed in ``requestSenders``: the gateway asks payments and fulfillment
///   for everything a customer does; fulfillment asks payments to cancel and (for late payments) to
///   refund; an operator command run in a service's own container (`payments refund`,
///   `fulfillment cancel`) calls its own service, so that service may send its own operator requests.
public struct SenderPolicy: Sendable {
    /// The four services, the only names `SHOP_SERVICE_UIDS` knows.
    public static let services = ["gateway", "payments", "fulfillment", "notifier"]
    /// Request types, exact or by prefix (ending in `.`), and who may send them. The first match wins,
    /// so exact types come before their prefix.
    public static let requestSenders: [(type: String, senders: Set<String>)] = [
        ("payments.refund", ["gateway", "fulfillment", "payments"]),
        ("payments.cancel_payment", ["fulfillment"]),
        ("orders.cancel", ["gateway", "fulfillment"]),
        ("payments.", ["gateway"]),
        ("orders.", ["gateway"]),
        ("catalog.", ["gateway"]),
        // The operator console: the gateway asks on behalf of an operator it authenticated.
        ("admin.", ["gateway"]),
    ]

    /// The service receiving.
    public let service: String
    private let byUID: [UInt32: String]

    /// nil when the uids do not tell the services apart (none given, or two services share one).
    public init?(service: String, uids: [String: UInt32]) {
        guard Set(uids.values).count == uids.count, uids.count == Self.services.count else { return nil }
        self.service = service
        byUID = Dictionary(uniqueKeysWithValues: uids.map { ($0.value, $0.key) })
    }

    /// The services that may send `type` as `kind` to this service.
    public func senders(of type: String, kind: Envelope.Kind) -> Set<String>? {
        if type.hasPrefix("sys.") { return nil }
        if kind == .event {
            return Set(Subscriptions.table.all.filter { $0.subscriber == service && $0.types.contains(type) }.map(\.publisher))
        }
        return Self.requestSenders.first { $0.type.hasSuffix(".") ? type.hasPrefix($0.type) : type == $0.type }?.senders ?? []
    }

    /// `permission_denied` when the peer may not send this message, else nil.
    public func refusal(type: String, kind: Envelope.Kind, peerUID: UInt32?) -> WireError? {
        guard let allowed = senders(of: type, kind: kind) else { return nil }
        let sender = peerUID.flatMap { byUID[$0] }
        if let sender, allowed.contains(sender) { return nil }
        return WireError(code: .permissionDenied,
                         message: "\(type.prefix(128)) is accepted only from \(allowed.sorted().joined(separator: ", ")); "
                            + "this caller is \(sender ?? "uid \(peerUID.map { String($0) } ?? "unknown")")")
    }
}
