/// The operator console's requests (`admin.*`). Only the gateway sends them, on behalf of an operator it
/// authenticated; each service answers from its own data, so the gateway still holds none.
public enum AdminMessages {
    /// fulfillment: orders matching a filter, a page at a time, with totals per currency
    /// (request `AdminOrderQuery`, answer `AdminOrderPage`).
    public static let ordersList = "admin.orders.list"
    /// fulfillment: orders and revenue per day and currency (request `AdminDailyQuery`, answer `AdminDailyReply`).
    public static let ordersDaily = "admin.orders.daily"
    /// Every service: what it knows happened to one order (request `AdminOrderRef`, answer `AdminTimeline`).
    public static let timeline = "admin.orders.timeline"
    /// payments: one stored Stripe event, raw (request `AdminStripeEventRef`, answer `AdminStripeEvent`).
    public static let stripeEvent = "admin.stripe_events.get"
    /// Every service: the facts of the console's health page (request `{}`, answer `AdminHealth`).
    public static let health = "admin.health"
    /// Every service with an outbox: dead-lettered deliveries (request `{}`, answer `AdminDeadLetters`).
    public static let deadLetters = "admin.dead_letters.list"
    /// Every service with an outbox: put one dead-lettered event back to pending (request `AdminEventRef`,
    /// answer `AdminCount`).
    public static let replay = "admin.dead_letters.replay"
    /// notifier: deliveries that failed for good, newest first (request `{}`, answer `AdminNotificationFailures`).
    public static let notificationFailures = "admin.notifications.failures"
    /// notifier: send permanently failed deliveries of one event again (request `AdminNotificationRef`,
    /// answer `AdminCount`).
    public static let retryNotification = "admin.notifications.retry"
    /// notifier: send an order's newest customer email again (request `AdminOrderRef`, answer `AdminCount`).
    public static let resendEmail = "admin.notifications.resend_email"
    /// payments: run the Events-API catch-up now (request `AdminCatchUpRequest`, answer `AdminCatchUpReply`).
    public static let catchUp = "admin.catch_up"
    /// fulfillment: set a SKU's units on hand (request `AdminStockRequest`, answer `AdminStock`).
    public static let setStock = "admin.catalog.set_stock"
    /// fulfillment: stock per SKU (request `{}`, answer `AdminStockList`).
    public static let stock = "admin.catalog.stock"
    /// fulfillment: begin an audited action, or find the one an earlier request with the same key began
    /// (request `AdminAuditBegin`, answer `AdminAuditEntry`).
    public static let auditBegin = "admin.audit.begin"
    /// fulfillment: record an audited action's result, once (request `AdminAuditFinish`, answer `AdminAuditEntry`).
    public static let auditFinish = "admin.audit.finish"
    /// fulfillment: the audit log, newest first (request `AdminAuditQuery`, answer `AdminAuditPage`).
    public static let auditList = "admin.audit.list"
}

/// `admin.orders.list`: every filter is optional; `created_gte`/`created_lt` are Unix milliseconds.
public struct AdminOrderQuery: Codable, Sendable, Equatable {
    public var email: String?
    public var status: String?
    public var flow: String?
    public var createdGte: Int64?
    public var createdLt: Int64?
    /// 1...200 (default 50).
    public var limit: Int?
    /// The `next_cursor` of the previous page.
    public var cursor: String?

    public init(email: String? = nil, status: String? = nil, flow: String? = nil, createdGte: Int64? = nil,
                createdLt: Int64? = nil, limit: Int? = nil, cursor: String? = nil) {
        self.email = email; self.status = status; self.flow = flow; self.createdGte = createdGte
        self.createdLt = createdLt; self.limit = limit; self.cursor = cursor
    }

    enum CodingKeys: String, CodingKey {
        case email, status, flow, limit, cursor
        case createdGte = "created_gte"
        case createdLt = "created_lt"
    }
}

/// One order in a list.
public struct AdminOrderSummary: Codable, Sendable, Equatable {
    public var orderID: String
    public var status: String
    public var email: String
    public var currency: String
    public var amount: Int
    public var refundedAmount: Int
    public var flow: String
    public var createdAt: Int64
    public var disputed: Bool

    public init(orderID: String, status: String, email: String, currency: String, amount: Int, refundedAmount: Int,
                flow: String, createdAt: Int64, disputed: Bool) {
        self.orderID = orderID; self.status = status; self.email = email; self.currency = currency; self.amount = amount
        self.refundedAmount = refundedAmount; self.flow = flow; self.createdAt = createdAt; self.disputed = disputed
    }

    enum CodingKeys: String, CodingKey {
        case status, email, currency, amount, flow, disputed
        case orderID = "order_id"
        case refundedAmount = "refunded_amount"
        case createdAt = "created_at"
    }
}

/// Orders and their amount in one currency.
public struct AdminTotal: Codable, Sendable, Equatable {
    public var currency: String
    public var orders: Int
    public var amount: Int
    public init(currency: String, orders: Int, amount: Int) { self.currency = currency; self.orders = orders; self.amount = amount }
}

/// The answer to `admin.orders.list`: newest first; `totals` cover the whole filter, not only this page.
public struct AdminOrderPage: Codable, Sendable, Equatable {
    public var orders: [AdminOrderSummary]
    public var nextCursor: String?
    public var totals: [AdminTotal]

    public init(orders: [AdminOrderSummary], nextCursor: String?, totals: [AdminTotal]) {
        self.orders = orders; self.nextCursor = nextCursor; self.totals = totals
    }

    enum CodingKeys: String, CodingKey {
        case orders, totals
        case nextCursor = "next_cursor"
    }
}

/// `admin.orders.daily`: the last `days` days (1...366), up to `until` (Unix ms; default now).
public struct AdminDailyQuery: Codable, Sendable, Equatable {
    public var days: Int
    public var until: Int64?
    public init(days: Int = 30, until: Int64? = nil) { self.days = days; self.until = until }
}

/// Orders created and amount of the paid ones, for one UTC day (`YYYY-MM-DD`) and currency.
public struct AdminDay: Codable, Sendable, Equatable {
    public var day: String
    public var currency: String
    public var orders: Int
    /// Minor units of the day's orders that were paid (paid, fulfilled, refunded in part or whole), before refunds.
    public var revenue: Int
    public init(day: String, currency: String, orders: Int, revenue: Int) {
        self.day = day; self.currency = currency; self.orders = orders; self.revenue = revenue
    }
}

/// The answer to `admin.orders.daily`: only days with orders.
public struct AdminDailyReply: Codable, Sendable, Equatable {
    public var days: [AdminDay]
    public init(days: [AdminDay]) { self.days = days }
}

/// An order by id.
public struct AdminOrderRef: Codable, Sendable, Equatable {
    public var orderID: String
    public init(orderID: String) { self.orderID = orderID }
    enum CodingKeys: String, CodingKey { case orderID = "order_id" }
}

/// One thing that happened to an order, as one service recorded it.
public struct AdminTimelineEntry: Codable, Sendable, Equatable {
    /// Unix milliseconds.
    public var at: Int64
    /// The service that recorded it.
    public var source: String
    /// `status`, `stripe_event`, `return_page`, `fulfilment`, `refund`, `dispute`, `email`, `webhook`,
    /// `operator`, `payment`.
    public var kind: String
    /// One line for a person.
    public var summary: String
    /// Stripe's event id when the raw event can be fetched (`admin.stripe_events.get`).
    public var stripeEventID: String?

    public init(at: Int64, source: String, kind: String, summary: String, stripeEventID: String? = nil) {
        self.at = at; self.source = source; self.kind = kind; self.summary = summary; self.stripeEventID = stripeEventID
    }

    enum CodingKeys: String, CodingKey {
        case at, source, kind, summary
        case stripeEventID = "stripe_event_id"
    }
}

/// The answer to `admin.orders.timeline`.
public struct AdminTimeline: Codable, Sendable, Equatable {
    public var entries: [AdminTimelineEntry]
    public init(entries: [AdminTimelineEntry]) { self.entries = entries }
}

/// A Stripe event by its id (`evt_...`).
public struct AdminStripeEventRef: Codable, Sendable, Equatable {
    public var eventID: String
    public init(eventID: String) { self.eventID = eventID }
    enum CodingKeys: String, CodingKey { case eventID = "event_id" }
}

/// One Stripe event as payments stored it; `body` is nil once retention emptied it.
public struct AdminStripeEvent: Codable, Sendable, Equatable {
    public var eventID: String
    public var type: String
    public var orderID: String?
    public var source: String
    public var outcome: String
    public var receivedAt: Int64
    /// The raw JSON Stripe sent, as text.
    public var body: String?

    public init(eventID: String, type: String, orderID: String?, source: String, outcome: String, receivedAt: Int64, body: String?) {
        self.eventID = eventID; self.type = type; self.orderID = orderID; self.source = source; self.outcome = outcome
        self.receivedAt = receivedAt; self.body = body
    }

    enum CodingKeys: String, CodingKey {
        case type, source, outcome, body
        case eventID = "event_id"
        case orderID = "order_id"
        case receivedAt = "received_at"
    }
}

/// One subscriber's share of a service's outbox.
public struct AdminBacklog: Codable, Sendable, Equatable {
    public var subscriber: String
    public var pending: Int
    public var dead: Int
    public var oldestPendingAt: Int64?

    public init(subscriber: String, pending: Int, dead: Int, oldestPendingAt: Int64?) {
        self.subscriber = subscriber; self.pending = pending; self.dead = dead; self.oldestPendingAt = oldestPendingAt
    }

    enum CodingKeys: String, CodingKey {
        case subscriber, pending, dead
        case oldestPendingAt = "oldest_pending_at"
    }
}

/// A count by name (a failure reason, a delivery channel).
public struct AdminCountByName: Codable, Sendable, Equatable {
    public var name: String
    public var count: Int
    public init(name: String, count: Int) { self.name = name; self.count = count }
}

/// `admin.health`: what one service knows; each fills only what it owns.
public struct AdminHealth: Codable, Sendable, Equatable {
    public var service: String
    /// payments: when the newest webhook was received (Unix ms).
    public var lastWebhookAt: Int64?
    /// payments: its type.
    public var lastWebhookType: String?
    /// Services with an outbox: per subscriber.
    public var outbox: [AdminBacklog]
    /// notifier: deliveries that failed for good, and those still retrying after a failure, by channel.
    public var notificationFailures: [AdminCountByName]
    public var notificationsRetrying: [AdminCountByName]

    public init(service: String, lastWebhookAt: Int64? = nil, lastWebhookType: String? = nil, outbox: [AdminBacklog] = [],
                notificationFailures: [AdminCountByName] = [], notificationsRetrying: [AdminCountByName] = []) {
        self.service = service; self.lastWebhookAt = lastWebhookAt; self.lastWebhookType = lastWebhookType; self.outbox = outbox
        self.notificationFailures = notificationFailures; self.notificationsRetrying = notificationsRetrying
    }

    enum CodingKeys: String, CodingKey {
        case service, outbox
        case lastWebhookAt = "last_webhook_at"
        case lastWebhookType = "last_webhook_type"
        case notificationFailures = "notification_failures"
        case notificationsRetrying = "notifications_retrying"
    }
}

/// One dead-lettered delivery of a service's outbox.
public struct AdminDeadLetter: Codable, Sendable, Equatable {
    public var service: String
    public var eventID: String
    public var type: String
    public var key: String
    public var subscriber: String
    public var attempts: Int
    public var lastError: String?
    public var createdAt: Int64

    public init(service: String, eventID: String, type: String, key: String, subscriber: String, attempts: Int,
                lastError: String?, createdAt: Int64) {
        self.service = service; self.eventID = eventID; self.type = type; self.key = key; self.subscriber = subscriber
        self.attempts = attempts; self.lastError = lastError; self.createdAt = createdAt
    }

    enum CodingKeys: String, CodingKey {
        case service, type, key, subscriber, attempts
        case eventID = "event_id"
        case lastError = "last_error"
        case createdAt = "created_at"
    }
}

/// The answer to `admin.dead_letters.list`.
public struct AdminDeadLetters: Codable, Sendable, Equatable {
    public var deadLetters: [AdminDeadLetter]
    public init(deadLetters: [AdminDeadLetter]) { self.deadLetters = deadLetters }
    enum CodingKeys: String, CodingKey { case deadLetters = "dead_letters" }
}

/// An outbox event by id.
public struct AdminEventRef: Codable, Sendable, Equatable {
    public var eventID: String
    public init(eventID: String) { self.eventID = eventID }
    enum CodingKeys: String, CodingKey { case eventID = "event_id" }
}

/// How many rows an action changed.
public struct AdminCount: Codable, Sendable, Equatable {
    public var count: Int
    public init(count: Int) { self.count = count }
}

/// `admin.audit.begin`: an operator's action about to run. `request_key` is unique per (operator, request
/// id): the same key again finds the first entry (and its result, once finished) instead of a new one.
public struct AdminAuditBegin: Codable, Sendable, Equatable {
    public var requestKey: String
    /// The token's name.
    public var actor: String
    public var action: String
    /// What it acts on (`order:ord_...`, `event:...`).
    public var target: String
    /// The action's arguments as JSON text.
    public var parameters: String

    public init(requestKey: String, actor: String, action: String, target: String, parameters: String) {
        self.requestKey = requestKey; self.actor = actor; self.action = action; self.target = target
        self.parameters = parameters
    }

    enum CodingKeys: String, CodingKey {
        case actor, action, target, parameters
        case requestKey = "request_key"
    }
}

/// `admin.audit.finish`: the action's outcome (`ok` or an error code) and the answer the operator got.
public struct AdminAuditFinish: Codable, Sendable, Equatable {
    public var id: Int64
    public var result: String
    public var httpStatus: Int
    public var response: String

    public init(id: Int64, result: String, httpStatus: Int, response: String) {
        self.id = id; self.result = result; self.httpStatus = httpStatus; self.response = response
    }

    enum CodingKeys: String, CodingKey {
        case id, result, response
        case httpStatus = "http_status"
    }
}

/// One line of the audit log. `result` is nil while the action runs (or if the gateway died meanwhile).
public struct AdminAuditEntry: Codable, Sendable, Equatable {
    public var id: Int64
    public var at: Int64
    public var actor: String
    public var action: String
    public var target: String
    public var parameters: String
    public var result: String?
    public var httpStatus: Int?
    public var response: String?
    public var finishedAt: Int64?

    public init(id: Int64, at: Int64, actor: String, action: String, target: String, parameters: String, result: String?,
                httpStatus: Int?, response: String?, finishedAt: Int64?) {
        self.id = id; self.at = at; self.actor = actor; self.action = action; self.target = target
        self.parameters = parameters; self.result = result; self.httpStatus = httpStatus; self.response = response
        self.finishedAt = finishedAt
    }

    enum CodingKeys: String, CodingKey {
        case id, at, actor, action, target, parameters, result, response
        case httpStatus = "http_status"
        case finishedAt = "finished_at"
    }
}

/// `admin.audit.list`: newest first, `limit` 1...500 (default 100), entries older than `before` (an id).
public struct AdminAuditQuery: Codable, Sendable, Equatable {
    public var limit: Int?
    public var before: Int64?
    public var target: String?
    public init(limit: Int? = nil, before: Int64? = nil, target: String? = nil) {
        self.limit = limit; self.before = before; self.target = target
    }
}

/// The answer to `admin.audit.list`.
public struct AdminAuditPage: Codable, Sendable, Equatable {
    public var entries: [AdminAuditEntry]
    public init(entries: [AdminAuditEntry]) { self.entries = entries }
}

/// `{}`: the payload of console requests without arguments.
public struct AdminEmpty: Codable, Sendable {
    public init() {}
}

/// `admin.notifications.retry`: the order event's deliveries, or only its `channel` (`email`, `webhook`).
public struct AdminNotificationRef: Codable, Sendable, Equatable {
    public var eventID: String
    public var channel: String?
    public init(eventID: String, channel: String? = nil) { self.eventID = eventID; self.channel = channel }
    enum CodingKeys: String, CodingKey {
        case channel
        case eventID = "event_id"
    }
}

/// `admin.catch_up`: how far back to look (default: payments' `STRIPE_CATCH_UP_WINDOW_SECONDS`).
public struct AdminCatchUpRequest: Codable, Sendable, Equatable {
    public var windowSeconds: Int?
    public init(windowSeconds: Int? = nil) { self.windowSeconds = windowSeconds }
    enum CodingKeys: String, CodingKey { case windowSeconds = "window_seconds" }
}

/// What a catch-up found: events listed, newly recorded, and already known.
public struct AdminCatchUpReply: Codable, Sendable, Equatable {
    public var listed: Int
    public var recorded: Int
    public var alreadySeen: Int
    public init(listed: Int, recorded: Int, alreadySeen: Int) { self.listed = listed; self.recorded = recorded; self.alreadySeen = alreadySeen }
    enum CodingKeys: String, CodingKey {
        case listed, recorded
        case alreadySeen = "already_seen"
    }
}

/// `admin.catalog.set_stock`: units on hand (not below the units reserved by open orders).
public struct AdminStockRequest: Codable, Sendable, Equatable {
    public var sku: String
    public var stock: Int
    public init(sku: String, stock: Int) { self.sku = sku; self.stock = stock }
}

/// One SKU's stock.
public struct AdminStock: Codable, Sendable, Equatable {
    public var sku: String
    public var name: String
    public var stock: Int
    public var reserved: Int
    public var sold: Int
    public var active: Bool
    public init(sku: String, name: String, stock: Int, reserved: Int, sold: Int, active: Bool) {
        self.sku = sku; self.name = name; self.stock = stock; self.reserved = reserved; self.sold = sold; self.active = active
    }
}

/// The answer to `admin.catalog.stock`.
public struct AdminStockList: Codable, Sendable, Equatable {
    public var products: [AdminStock]
    public init(products: [AdminStock]) { self.products = products }
}

/// One email or merchant webhook that failed for good.
public struct AdminNotificationFailure: Codable, Sendable, Equatable {
    public var eventID: String
    public var channel: String
    public var eventType: String
    public var orderID: String
    public var attempts: Int
    public var lastError: String?
    public var createdAt: Int64

    public init(eventID: String, channel: String, eventType: String, orderID: String, attempts: Int, lastError: String?,
                createdAt: Int64) {
        self.eventID = eventID; self.channel = channel; self.eventType = eventType; self.orderID = orderID
        self.attempts = attempts; self.lastError = lastError; self.createdAt = createdAt
    }

    enum CodingKeys: String, CodingKey {
        case channel, attempts
        case eventID = "event_id"
        case eventType = "event_type"
        case orderID = "order_id"
        case lastError = "last_error"
        case createdAt = "created_at"
    }
}

/// The answer to `admin.notifications.failures`: at most 200.
public struct AdminNotificationFailures: Codable, Sendable, Equatable {
    public var failures: [AdminNotificationFailure]
    public init(failures: [AdminNotificationFailure]) { self.failures = failures }
}
