/// Requests fulfillment answers, and the order shape every service shares. Field names on the wire are
/// snake_case; amounts are integers in the currency's minor unit, currencies lowercase ISO 4217 codes.
public enum OrderMessages {
    /// `catalog.list`: the products on sale.
    public static let catalogList = "catalog.list"
    /// `orders.create`: prices the items from the catalog, reserves stock, stores the order.
    public static let create = "orders.create"
    /// `orders.get`: one order with its history.
    public static let get = "orders.get"
}

/// The payment flow an order was created for.
public enum PaymentFlow: String, Codable, Sendable, CaseIterable {
    case paymentIntent = "payment_intent"
    case checkoutSession = "checkout_session"
    case invoice
}

/// One product of the catalog as served to the gateway.
public struct Product: Codable, Sendable, Equatable {
    public var sku: String
    public var name: String
    public var description: String?
    public var unitAmount: Int
    public var currency: String
    /// Units that can still be reserved.
    public var available: Int

    public init(sku: String, name: String, description: String? = nil, unitAmount: Int, currency: String, available: Int) {
        self.sku = sku; self.name = name; self.description = description
        self.unitAmount = unitAmount; self.currency = currency; self.available = available
    }

    enum CodingKeys: String, CodingKey {
        case sku, name, description, currency, available
        case unitAmount = "unit_amount"
    }
}

/// The reply to `catalog.list`.
public struct CatalogReply: Codable, Sendable, Equatable {
    public var products: [Product]
    public init(products: [Product]) { self.products = products }
}

/// One requested line: a SKU and a quantity (1...1000). Prices never come from the caller.
public struct OrderItemRequest: Codable, Sendable, Equatable {
    public var sku: String
    public var quantity: Int
    public init(sku: String, quantity: Int) { self.sku = sku; self.quantity = quantity }
}

/// `orders.create`. Errors: `invalid_argument` (field named: empty items, quantity out of range, bad email),
/// `unprocessable` (unknown SKU, reason `unknown_sku`; mixed currencies, reason `mixed_currencies`),
/// `conflict` (not enough stock, reason `out_of_stock`).
public struct CreateOrderRequest: Codable, Sendable, Equatable {
    public var items: [OrderItemRequest]
    public var email: String
    public var flow: PaymentFlow
    /// Optional client key: the same key returns the same order instead of creating another.
    public var idempotencyKey: String?
    /// The SHA-256 (hex) of the order token the gateway hands the browser once; fulfillment stores it so
    /// the token can later be checked. A replayed request adds its own token to the same order.
    public var tokenHash: String?
    /// The address the order came from (the gateway's view of the client), for the cap on open unpaid
    /// orders per address. Optional: callers without a client (tests, tools) leave it out.
    public var clientAddress: String?

    public init(items: [OrderItemRequest], email: String, flow: PaymentFlow, idempotencyKey: String? = nil,
                tokenHash: String? = nil, clientAddress: String? = nil) {
        self.items = items; self.email = email; self.flow = flow; self.idempotencyKey = idempotencyKey
        self.tokenHash = tokenHash
        self.clientAddress = clientAddress
    }

    enum CodingKeys: String, CodingKey {
        case items, email, flow
        case idempotencyKey = "idempotency_key"
        case tokenHash = "token_hash"
        case clientAddress = "client_address"
    }
}

/// `orders.get`. Errors: `not_found`.
public struct GetOrderRequest: Codable, Sendable, Equatable {
    public var orderID: String
    /// When set, the SHA-256 (hex) of an order token: the order is returned only if that token was issued
    /// for it and has not expired (`permission_denied` otherwise).
    public var tokenHash: String?
    public init(orderID: String, tokenHash: String? = nil) { self.orderID = orderID; self.tokenHash = tokenHash }
    enum CodingKeys: String, CodingKey {
        case orderID = "order_id"
        case tokenHash = "token_hash"
    }
}

/// Order status. `awaiting_payment -> processing -> paid -> fulfilled`; also `payment_failed`
/// (a later attempt may still succeed), `canceled`, `expired`, and `needs_review` (paid but the amount
/// did not match, or paid after it expired or was canceled: a person must look, never auto-fulfilled).
public enum OrderStatus: String, Codable, Sendable, CaseIterable {
    case awaitingPayment = "awaiting_payment"
    case processing
    case paid
    case fulfilled
    case paymentFailed = "payment_failed"
    case canceled
    case expired
    case needsReview = "needs_review"
    /// Part of the payment was refunded (succeeded refunds, summed in `refunded_amount`).
    case partiallyRefunded = "partially_refunded"
    /// All of the payment was refunded.
    case refunded
}

/// One priced line of an order.
public struct OrderLine: Codable, Sendable, Equatable {
    public var sku: String
    public var name: String
    public var quantity: Int
    public var unitAmount: Int
    /// `quantity * unit_amount`.
    public var amount: Int

    public init(sku: String, name: String, quantity: Int, unitAmount: Int, amount: Int) {
        self.sku = sku; self.name = name; self.quantity = quantity; self.unitAmount = unitAmount; self.amount = amount
    }

    enum CodingKeys: String, CodingKey {
        case sku, name, quantity, amount
        case unitAmount = "unit_amount"
    }
}

/// One recorded transition: the status entered, when (Unix ms), and its cause (`request:<trace id>`,
/// `event:<evt_ id or event id>`, `expiry`).
public struct OrderTransition: Codable, Sendable, Equatable {
    public var status: OrderStatus
    public var at: Int64
    public var cause: String
    public var note: String?

    public init(status: OrderStatus, at: Int64, cause: String, note: String? = nil) {
        self.status = status; self.at = at; self.cause = cause; self.note = note
    }
}

/// An order as fulfillment reports it (reply to `orders.create` and `orders.get`, and the data of order events).
public struct Order: Codable, Sendable, Equatable {
    public var orderID: String
    public var status: OrderStatus
    public var email: String
    public var currency: String
    public var amount: Int
    public var items: [OrderLine]
    public var flow: PaymentFlow
    /// Unix milliseconds.
    public var createdAt: Int64
    /// When an unpaid order expires (Unix milliseconds).
    public var expiresAt: Int64
    public var history: [OrderTransition]
    /// Minor units refunded so far (succeeded refunds only, as Stripe lists them); nil before any refund.
    public var refundedAmount: Int?
    /// True while a dispute (chargeback) on the payment is open; nil when the order never had one. The
    /// order's `status` is not changed by a dispute.
    public var disputed: Bool?
    /// The order's latest dispute, when it had one.
    public var dispute: OrderDispute?

    public init(orderID: String, status: OrderStatus, email: String, currency: String, amount: Int, items: [OrderLine],
                flow: PaymentFlow, createdAt: Int64, expiresAt: Int64, history: [OrderTransition], refundedAmount: Int? = nil,
                disputed: Bool? = nil, dispute: OrderDispute? = nil) {
        self.orderID = orderID; self.status = status; self.email = email; self.currency = currency
        self.amount = amount; self.items = items; self.flow = flow; self.createdAt = createdAt
        self.expiresAt = expiresAt; self.history = history; self.refundedAmount = refundedAmount
        self.disputed = disputed; self.dispute = dispute
    }

    enum CodingKeys: String, CodingKey {
        case status, email, currency, amount, items, flow, history
        case orderID = "order_id"
        case createdAt = "created_at"
        case expiresAt = "expires_at"
        case refundedAmount = "refunded_amount"
        case disputed, dispute
    }
}

/// A dispute (chargeback) on an order's payment, as Stripe last showed it.
public struct OrderDispute: Codable, Sendable, Equatable {
    public var disputeID: String
    /// Stripe's dispute status (`needs_response`, `under_review`, `won`, `lost`, `warning_closed`, ...).
    public var status: String
    public var amount: Int
    public var currency: String
    public var reason: String?
    /// When evidence is due (Unix seconds); nil once no response is possible.
    public var dueBy: Int64?
    public var fundsWithdrawn: Bool
    public var fundsReinstated: Bool

    public init(disputeID: String, status: String, amount: Int, currency: String, reason: String?, dueBy: Int64?,
                fundsWithdrawn: Bool, fundsReinstated: Bool) {
        self.disputeID = disputeID; self.status = status; self.amount = amount; self.currency = currency; self.reason = reason
        self.dueBy = dueBy; self.fundsWithdrawn = fundsWithdrawn; self.fundsReinstated = fundsReinstated
    }

    enum CodingKeys: String, CodingKey {
        case status, amount, currency, reason
        case disputeID = "dispute_id"
        case dueBy = "due_by"
        case fundsWithdrawn = "funds_withdrawn"
        case fundsReinstated = "funds_reinstated"
    }
}

/// The data of every `order.*` event fulfillment emits (`order.paid`, `order.fulfilled`,
/// `order.payment_failed`, `order.expired`, `order.needs_review`): the order after the transition plus
/// what caused it.
public struct OrderEvent: Codable, Sendable, Equatable {
    public var order: Order
    /// The payment event that caused it, when one did.
    public var paymentIntentID: String?
    /// For `order.payment_failed` and `order.needs_review`: why, in words a customer or operator can read.
    public var reason: String?
    /// For `order.payment_failed`: a fresh order token, valid for a few days, for the pay-again link in the
    /// customer's email. Only the notifier's email uses it; it is never posted to the merchant.
    public var payToken: String?
    /// For refund events: the amount of the refund this event is about (minor units of the order's currency).
    public var refundAmount: Int?
    /// For refund events: the Stripe refund id.
    public var refundID: String?
    /// For refund events: the refund gives back a payment that arrived after the order expired or was canceled.
    public var latePayment: Bool?

    public init(order: Order, paymentIntentID: String? = nil, reason: String? = nil, payToken: String? = nil,
                refundAmount: Int? = nil, refundID: String? = nil, latePayment: Bool? = nil) {
        self.order = order; self.paymentIntentID = paymentIntentID; self.reason = reason; self.payToken = payToken
        self.refundAmount = refundAmount; self.refundID = refundID; self.latePayment = latePayment
    }

    enum CodingKeys: String, CodingKey {
        case order, reason
        case paymentIntentID = "payment_intent_id"
        case payToken = "pay_token"
        case refundAmount = "refund_amount"
        case refundID = "refund_id"
        case latePayment = "late_payment"
    }
}
