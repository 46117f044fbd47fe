/// Who consumes which event types from whom: the one place that declares the event flow between
/// services (drawn in docs/ARCHITECTURE.md).
public struct Subscription: Sendable, Hashable {
    public var publisher: String
    public var subscriber: String
    public var types: Set<String>

    public init(publisher: String, subscriber: String, types: Set<String>) {
        self.publisher = publisher
        self.subscriber = subscriber
        self.types = types
    }
}

/// A set of subscriptions with look-ups by publisher and type.
public struct SubscriptionTable: Sendable {
    public let all: [Subscription]

    public init(_ all: [Subscription]) { self.all = all }

    /// Subscribers of `type` events published by `publisher`, sorted.
    public func subscribers(of publisher: String, type: String) -> [String] {
        all.filter { $0.publisher == publisher && $0.types.contains(type) }.map(\.subscriber).sorted()
    }

    /// Every subscriber of `publisher`.
    public func subscribers(of publisher: String) -> [String] {
        Array(Set(all.filter { $0.publisher == publisher }.map(\.subscriber))).sorted()
    }

    /// The event types `subscriber` consumes.
    public func consumed(by subscriber: String) -> [String] {
        Array(Set(all.filter { $0.subscriber == subscriber }.flatMap(\.types))).sorted()
    }

    /// The event types `publisher` sends to someone.
    public func emitted(by publisher: String) -> [String] {
        Array(Set(all.filter { $0.publisher == publisher }.flatMap(\.types))).sorted()
    }
}

/// The product's event flow.
public enum Subscriptions {
    /// Payment events payments derives from verified Stripe webhooks.
    public static let paymentEvents: Set<String> = [
        "payment_intent.succeeded", "payment_intent.processing", "payment_intent.payment_failed",
        "payment_intent.canceled", "checkout.session.completed", "checkout.session.async_payment_succeeded",
        "checkout.session.async_payment_failed", "checkout.session.expired", "invoice.paid",
        "invoice.payment_failed",
    ]
    /// Events payments derives from its refund and dispute books (Stripe's list of a PaymentIntent's
    /// refunds; a dispute as Stripe shows it), one per refund or dispute change.
    public static let bookEvents: Set<String> = ["payment.refund_changed", "payment.dispute_changed"]
    /// Order events fulfillment emits.
    public static let orderEvents: Set<String> = [
        "order.paid", "order.fulfilled", "order.payment_failed", "order.expired", "order.needs_review",
        "order.refunded", "order.partially_refunded", "order.refund_failed", "order.disputed", "order.dispute_closed",
        "order.canceled",
    ]

    public static let table = SubscriptionTable([
        Subscription(publisher: "payments", subscriber: "fulfillment", types: paymentEvents.union(bookEvents)),
        Subscription(publisher: "fulfillment", subscriber: "notifier", types: orderEvents),
    ])
}
