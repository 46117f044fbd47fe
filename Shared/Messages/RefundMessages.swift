/// Refunds: the operator's request to payments, and what payments tells fulfillment about each refund.
extension PaymentMessages {
    /// Refund an order, wholly or partly (request `RefundRequest`, answer `RefundReply`).
    public static let refund = "payments.refund"
}

/// The order events payments publishes from its refund and dispute books (consumed by fulfillment).
public enum BookEvents {
    /// One refund appeared or changed status (data `RefundChange`).
    public static let refundChanged = "payment.refund_changed"
    /// One dispute appeared or changed status (data `DisputeChange`).
    public static let disputeChanged = "payment.dispute_changed"
}

/// `payments.refund`: refund `amount` (minor units; nil: all that is left) of an order's payment.
public struct RefundRequest: Codable, Sendable, Equatable {
    public var orderID: String
    public var amount: Int?
    /// `duplicate`, `fraudulent` or `requested_by_customer`.
    public var reason: String?
    /// Put the order's units back in stock once the refund succeeds.
    public var restock: Bool
    /// Our own id of this refund request; the Stripe idempotency key derives from it. A caller that
    /// retries passes the same id; nil: payments makes one.
    public var requestID: String?
    /// The PaymentIntent to refund, when it is not the one payments recorded for the order (a late
    /// payment through another PaymentIntent); it must carry the order in `metadata.order_id`.
    public var paymentIntentID: String?

    public init(orderID: String, amount: Int? = nil, reason: String? = nil, restock: Bool = false, requestID: String? = nil,
                paymentIntentID: String? = nil) {
        self.orderID = orderID; self.amount = amount; self.reason = reason; self.restock = restock; self.requestID = requestID
        self.paymentIntentID = paymentIntentID
    }

    enum CodingKeys: String, CodingKey {
        case amount, reason, restock
        case orderID = "order_id"
        case requestID = "request_id"
        case paymentIntentID = "payment_intent_id"
    }

    /// `restock` may be left out (false).
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        orderID = try c.decode(String.self, forKey: .orderID)
        amount = try c.decodeIfPresent(Int.self, forKey: .amount)
        reason = try c.decodeIfPresent(String.self, forKey: .reason)
        restock = try c.decodeIfPresent(Bool.self, forKey: .restock) ?? false
        requestID = try c.decodeIfPresent(String.self, forKey: .requestID)
        paymentIntentID = try c.decodeIfPresent(String.self, forKey: .paymentIntentID)
    }
}

/// The refund Stripe made for a `RefundRequest`, and the order's refund books after it.
public struct RefundReply: Codable, Sendable, Equatable {
    public var requestID: String
    public var orderID: String
    public var refundID: String
    public var paymentIntentID: String
    public var amount: Int
    public var currency: String
    public var status: String
    public var failureReason: String?
    /// Sum of the order's `succeeded` refunds.
    public var refundedAmount: Int
    /// Sum of the order's `pending` and `requires_action` refunds.
    public var pendingAmount: Int

    public init(requestID: String, orderID: String, refundID: String, paymentIntentID: String, amount: Int, currency: String,
                status: String, failureReason: String? = nil, refundedAmount: Int, pendingAmount: Int) {
        self.requestID = requestID; self.orderID = orderID; self.refundID = refundID; self.paymentIntentID = paymentIntentID
        self.amount = amount; self.currency = currency; self.status = status; self.failureReason = failureReason
        self.refundedAmount = refundedAmount; self.pendingAmount = pendingAmount
    }

    enum CodingKeys: String, CodingKey {
        case amount, currency, status
        case requestID = "request_id"
        case orderID = "order_id"
        case refundID = "refund_id"
        case paymentIntentID = "payment_intent_id"
        case failureReason = "failure_reason"
        case refundedAmount = "refunded_amount"
        case pendingAmount = "pending_amount"
    }
}

/// `payment.refund_changed`: a refund of an order's payment was first seen or changed status. Carries the
/// order's refund totals after the change, read from Stripe's list of the PaymentIntent's refunds.
public struct RefundChange: Codable, Sendable, Equatable {
    public var orderID: String
    public var paymentIntentID: String
    public var refundID: String
    public var amount: Int
    public var currency: String
    public var status: String
    /// The status payments had recorded before; nil when the refund is new to the books.
    public var previousStatus: String?
    public var reason: String?
    public var failureReason: String?
    /// Our refund request id; nil for a refund made elsewhere (the Dashboard).
    public var requestID: String?
    public var restock: Bool
    /// Sum of the PaymentIntent's `succeeded` refunds.
    public var refundedAmount: Int
    /// Sum of its `pending` and `requires_action` refunds.
    public var pendingAmount: Int

    public init(orderID: String, paymentIntentID: String, refundID: String, amount: Int, currency: String, status: String,
                previousStatus: String?, reason: String?, failureReason: String?, requestID: String?, restock: Bool,
                refundedAmount: Int, pendingAmount: Int) {
        self.orderID = orderID; self.paymentIntentID = paymentIntentID; self.refundID = refundID; self.amount = amount
        self.currency = currency; self.status = status; self.previousStatus = previousStatus; self.reason = reason
        self.failureReason = failureReason; self.requestID = requestID; self.restock = restock
        self.refundedAmount = refundedAmount; self.pendingAmount = pendingAmount
    }

    enum CodingKeys: String, CodingKey {
        case amount, currency, status, reason, restock
        case orderID = "order_id"
        case paymentIntentID = "payment_intent_id"
        case refundID = "refund_id"
        case previousStatus = "previous_status"
        case failureReason = "failure_reason"
        case requestID = "request_id"
        case refundedAmount = "refunded_amount"
        case pendingAmount = "pending_amount"
    }
}

extension DisputeChange {
    /// How far along a dispute status is: awaiting a response, under review, then closed. Stripe moves a
    /// dispute forward only, so neither payments' books nor the order ever move one back.
    public static func rank(_ status: String) -> Int {
        switch status {
        case "warning_needs_response", "needs_response": 0
        case "warning_under_review", "under_review": 1
        case "won", "lost", "warning_closed", "prevented": 2
        default: 0
        }
    }
}

/// `payment.dispute_changed`: a dispute on an order's payment opened or changed, as Stripe shows it now
/// (payments retrieves the dispute for every dispute event, so the order of events does not matter).
public struct DisputeChange: Codable, Sendable, Equatable {
    public var orderID: String
    public var paymentIntentID: String?
    public var disputeID: String
    public var amount: Int
    public var currency: String
    /// Stripe's dispute status: `needs_response`, `under_review`, `won`, `lost`, `warning_*`, `prevented`.
    public var status: String
    public var previousStatus: String?
    public var reason: String?
    /// `evidence_details.due_by` (Unix seconds), while a response is possible.
    public var dueBy: Int64?
    public var fundsWithdrawn: Bool
    public var fundsReinstated: Bool

    public init(orderID: String, paymentIntentID: String?, disputeID: String, amount: Int, currency: String, status: String,
                previousStatus: String?, reason: String?, dueBy: Int64?, fundsWithdrawn: Bool, fundsReinstated: Bool) {
        self.orderID = orderID; self.paymentIntentID = paymentIntentID; self.disputeID = disputeID; self.amount = amount
        self.currency = currency; self.status = status; self.previousStatus = previousStatus; self.reason = reason
        self.dueBy = dueBy; self.fundsWithdrawn = fundsWithdrawn; self.fundsReinstated = fundsReinstated
    }

    /// Whether the dispute is over (`won`, `lost`, `warning_closed`, `prevented`).
    public var isClosed: Bool { ["won", "lost", "warning_closed", "prevented"].contains(status) }

    enum CodingKeys: String, CodingKey {
        case amount, currency, status, reason
        case orderID = "order_id"
        case paymentIntentID = "payment_intent_id"
        case disputeID = "dispute_id"
        case previousStatus = "previous_status"
        case dueBy = "due_by"
        case fundsWithdrawn = "funds_withdrawn"
        case fundsReinstated = "funds_reinstated"
    }
}

extension PaymentMessages {
    /// Make an order's payment unpayable at Stripe before the order is canceled or expired (request
    /// `CancelPaymentRequest`, answer `CancelPaymentReply`).
    public static let cancelPayment = "payments.cancel_payment"
}

/// `payments.cancel_payment`: cancel every PaymentIntent, expire every Checkout Session and void every
/// invoice of the order.
public struct CancelPaymentRequest: Codable, Sendable, Equatable {
    public var orderID: String
    /// Stripe's `cancellation_reason` for PaymentIntents: `abandoned` (expiry) or `requested_by_customer`.
    public var reason: String

    public init(orderID: String, reason: String) { self.orderID = orderID; self.reason = reason }

    enum CodingKeys: String, CodingKey {
        case reason
        case orderID = "order_id"
    }
}

/// What Stripe said: `canceled` (nothing can be paid any more; also when no payment was ever created),
/// `paid` (a payment already succeeded: the order is paid, not canceled) or `processing` (a payment is on
/// its way and cannot be stopped).
public struct CancelPaymentReply: Codable, Sendable, Equatable {
    /// What Stripe said; a string on the wire.
    public enum Outcome: String, Codable, Sendable, CaseIterable {
        /// Nothing can be paid any more.
        case canceled
        /// A payment already succeeded.
        case paid
        /// A payment is on its way and cannot be stopped.
        case processing
    }

    public var outcome: Outcome
    public var paymentIntentID: String?

    public init(outcome: Outcome, paymentIntentID: String? = nil) { self.outcome = outcome; self.paymentIntentID = paymentIntentID }

    enum CodingKeys: String, CodingKey {
        case outcome
        case paymentIntentID = "payment_intent_id"
    }
}

extension OrderMessages {
    /// Cancel an unpaid order: payments first makes its payment unpayable at Stripe, then the stock is
    /// released (request `CancelOrderRequest`, answer `Order`).
    public static let cancel = "orders.cancel"
}

/// `orders.cancel`.
public struct CancelOrderRequest: Codable, Sendable, Equatable {
    public var orderID: String
    public init(orderID: String) { self.orderID = orderID }
    enum CodingKeys: String, CodingKey { case orderID = "order_id" }
}
