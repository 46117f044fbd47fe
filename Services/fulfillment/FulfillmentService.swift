import Crypto
import Logging
import Events
import Messages
import ServiceKit
import Storage
import Transport
import Wire

/// fulfillment: owns the catalog, orders and stock; fulfils each paid order exactly once.
enum FulfillmentService {
    static let spec = ServiceSpec(
        name: "fulfillment",
        summary: "owns orders and stock; fulfils paid orders exactly once",
        migrations: FulfillmentSchema.migrations,
        peers: ["notifier"],
        emits: Subscriptions.table.emitted(by: "fulfillment"),
        consumes: Subscriptions.table.consumed(by: "fulfillment"),
        variables: FulfillmentConfig.variables,
        commands: [.events, FulfillmentCommands.catalog, FulfillmentCommands.orders],
        retention: [.deliveredOutbox, .inbox])

    static func build(config: FulfillmentConfig, context: ServiceContext) throws -> ServiceParts {
        let db = context.database!
        let logger = context.logger
        let (inserted, updated, deactivated) = try db.writeSync { c in try config.catalog.seed(c, now: Envelope.now()) }
        logger.info("catalog loaded", ["catalog.file": config.catalogFile ?? "(built-in)",
                                       "catalog.products": String(config.catalog.entries.count), "catalog.new": String(inserted),
                                       "catalog.updated": String(updated), "catalog.deactivated": String(deactivated)])

        let outbox = Outbox(publisher: "fulfillment")
        var router = Router()
        let handlers = Handlers(database: db, outbox: outbox, config: config)
        router.on(OrderMessages.catalogList, Empty.self) { _, _ in try await handlers.catalog() }
        router.on(OrderMessages.create, CreateOrderRequest.self) { request, body in
            try await handlers.create(body, traceID: request.traceID)
        }
        router.on(OrderMessages.get, GetOrderRequest.self) { _, body in try await handlers.get(body) }

        let inbox = Inbox(database: db, outbox: outbox)
        for type in Subscriptions.table.consumed(by: "fulfillment") {
            inbox.consume(type, into: &router) { c, event in
                if event.type == BookEvents.refundChanged {
                    let change = try event.data(RefundChange.self)
                    let (outcome, note) = try RefundEvents.apply(c, eventID: event.header.eventID, change: change, outbox: outbox,
                                                                 traceID: event.traceID)
                    logger.info("refund change applied", ["event.id": event.header.eventID, "order.id": change.orderID,
                                                          "stripe.refund": change.refundID, "refund.status": change.status,
                                                          "outcome": outcome, "note": note ?? ""])
                    return
                }
                if event.type == BookEvents.disputeChanged {
                    let change = try event.data(DisputeChange.self)
                    let (outcome, note) = try DisputeEvents.apply(c, eventID: event.header.eventID, change: change, outbox: outbox,
                                                                  traceID: event.traceID)
                    logger.info("dispute change applied", ["event.id": event.header.eventID, "order.id": change.orderID,
                                                           "stripe.dispute": change.disputeID, "dispute.status": change.status,
                                                           "outcome": outcome, "note": note ?? ""])
                    return
                }
                let payment = try event.data(PaymentEvent.self)
                let (outcome, note) = try PaymentEvents.apply(c, type: event.type, eventID: event.header.eventID, event: payment,
                                                              outbox: outbox, traceID: event.traceID,
                                                              latePaymentPolicy: config.latePaymentPolicy)
                let meta: KeyValuePairs<String, String> = ["event.id": event.header.eventID, "event.type": event.type,
                                                           "stripe.event_id": payment.stripeEventID, "order.id": payment.orderID,
                                                           "outcome": outcome.rawValue, "note": note ?? ""]
                if outcome == .unknownOrder {
                    // Acked, not nacked: redelivering cannot make the order appear. Recorded in payment_events.
                    logger.warn("payment event for an unknown order", meta)
                } else if outcome == .needsReview {
                    logger.warn("order needs review", meta)
                } else {
                    logger.info("payment event applied", meta)
                }
            }
        }

        let paymentsClient = context.client(for: "payments")
        let cancellation = Cancellation(database: db, outbox: outbox, payments: paymentsClient, logger: logger)
        router.on(OrderMessages.cancel, CancelOrderRequest.self) { request, body in
            try await cancellation.cancel(body, traceID: request.traceID)
        }
        FulfillmentAdmin(database: db).register(&router, context: context)
        // Unpaid orders past their deadline, each expired only after payments made its payment unpayable
        // at Stripe (``Cancellation``).
        let sweeper = PeriodicTask.draining("expiry", every: .milliseconds(config.sweepIntervalMs)) {
            let n = await cancellation.sweep()
            guard n > 0 else { return .wait }
            logger.info("expired unpaid orders", ["orders": String(n)])
            return n >= 100 ? .again : .wait  // a full sweep: more may be due
        }
        let lateRefunds = LateRefunds(database: db, payments: paymentsClient, logger: logger)
        var parts = context.publishingParts(outbox, router: router)
        parts.services += [sweeper, PeriodicTask("late refunds", every: LateRefunds.retryInterval) { _ = await lateRefunds.runOnce() }]
        return parts
    }

    /// An empty request body.
    struct Empty: Codable, Sendable {}
}

/// The request handlers: plain functions from request to reply, callable without a socket.
struct Handlers: Sendable {
    static let checkoutMinimumTTLSeconds = 32 * 60
    let database: Database
    let outbox: Outbox
    let config: FulfillmentConfig

    func catalog() async throws -> CatalogReply {
        try await database.read { c in
            CatalogReply(products: try c.query("""
                SELECT sku, name, description, unit_amount, currency, stock - reserved AS available
                FROM products WHERE active = 1 ORDER BY position
                """).map { r in
                Product(sku: r.string("sku") ?? "", name: r.string("name") ?? "", description: r.string("description"),
                        unitAmount: Int(r.int("unit_amount") ?? 0), currency: r.string("currency") ?? "",
                        available: Int(r.int("available") ?? 0))
            })
        }
    }

    func create(_ request: CreateOrderRequest, traceID: String?) async throws -> Order {
        try OrderStore.validate(request)
        // A Checkout Session lives at least 30 minutes at Stripe and its expires_at is the order's expiry,
        // so that flow's orders get at least 32 (the margin covers the request reaching Stripe).
        let ttl = request.flow == .checkoutSession ? max(config.orderTTLSeconds, Self.checkoutMinimumTTLSeconds) : config.orderTTLSeconds
        let caps = config.caps
        return try await database.write { c in
            try OrderStore.create(c, request, cause: "request:" + (traceID ?? "unknown"), ttlSeconds: ttl, now: Envelope.now(),
                                  caps: caps)
        }
    }

    func get(_ request: GetOrderRequest) async throws -> Order {
        if let hash = request.tokenHash, !OrderToken.isHash(hash) {
            throw WireError.invalidArgument("field 'token_hash' must be 64 lowercase hex digits (a SHA-256)")
        }
        let now = Envelope.now()
        let (order, granted) = try await database.read { c in
            (try OrderStore.load(c, request.orderID),
             try request.tokenHash.map { try OrderStore.tokenGrants(c, hash: $0, orderID: request.orderID, now: now) })
        }
        guard let order else { throw WireError.notFound("no order '\(request.orderID.prefix(64))'") }
        if granted == false {
            throw WireError(code: .permissionDenied, message: "the order token is not valid for this order (wrong or expired)",
                            reason: "order_token_invalid")
        }
        return order
    }
}
