#if canImport(Glibc)
import Glibc
#endif
import Events
@testable import fulfillment
import Messages
import ServiceKit
import ServiceTesting
import Storage
import Testing
import Transport
import Wire

/// fulfillment built and served in the test's process (``LocalService``): its handlers through the real
/// socket, and the order status machine driven straight on its database, without a child process.
@Suite("fulfillment in-process")
struct FulfillmentServiceTests {
    static func start() async throws -> LocalService {
        try await LocalService.start(FulfillmentService.spec, build: build)
    }

    static func build(_ context: ServiceContext) throws -> ServiceParts {
        try FulfillmentService.build(config: try FulfillmentConfig.read(environment: [:]), context: context)
    }

    /// Runs `body` with a fresh fulfillment, stopped afterwards.
    static func withService(_ body: (LocalService) async throws -> Void) async throws {
        try await LocalService.with(FulfillmentService.spec, build: build, body)
    }

    /// Creates an order of `quantity` mugs (1200 usd each, in the built-in catalog) through the socket.
    static func order(_ service: LocalService, quantity: Int = 2) async throws -> Order {
        try await service.client().call(OrderMessages.create, CreateOrderRequest(
            items: [OrderItemRequest(sku: "mug", quantity: quantity)], email: "buyer@example.com", flow: .paymentIntent))
    }

    /// Applies one payment event to `order` as the inbox would, in one write transaction.
    static func apply(_ service: LocalService, _ type: String, to order: Order, amount: Int? = nil, currency: String = "usd",
                      paymentIntentID: String? = "pi_test", policy: String = "review",
                      cancellationReason: String? = nil) async throws -> PaymentEvents.Outcome {
        let event = PaymentEvent(orderID: order.orderID, stripeEventID: "evt_" + MessageID.random(), stripeCreated: 1,
                                 source: "webhook", paymentIntentID: paymentIntentID, amount: amount ?? order.amount,
                                 currency: currency, status: "test", cancellationReason: cancellationReason)
        let outbox = Outbox(publisher: "fulfillment")
        return try await service.context.database!.write { c in
            try PaymentEvents.apply(c, type: type, eventID: event.stripeEventID, event: event, outbox: outbox, traceID: nil,
                                    latePaymentPolicy: policy).0
        }
    }

    static func status(_ service: LocalService, _ order: Order) async throws -> OrderStatus {
        let reloaded: Order = try await service.client().call(OrderMessages.get, GetOrderRequest(orderID: order.orderID))
        return reloaded.status
    }

    @Test("catalog.list answers the built-in catalog over the socket; stopping removes the socket")
    func catalogOverSocket() async throws {
        let service = try await Self.start()
        let reply: CatalogReply = try await service.client().call(OrderMessages.catalogList, FulfillmentService.Empty())
        let mug = try #require(reply.products.first { $0.sku == "mug" })
        #expect(mug.unitAmount == 1200 && mug.currency == "usd" && mug.available == 50)
        await service.stop()
        #expect(access(service.socketPath, F_OK) != 0)
    }

    @Test("an order is priced by the catalog and reserves its stock")
    func createOrder() async throws {
        try await Self.withService { service in
            let order = try await Self.order(service, quantity: 3)
            #expect(order.status == .awaitingPayment && order.amount == 3600 && order.currency == "usd")
            let reply: CatalogReply = try await service.client().call(OrderMessages.catalogList, FulfillmentService.Empty())
            #expect(reply.products.first { $0.sku == "mug" }?.available == 47)
        }
    }

    @Test("a success fulfils once; a second success, a late failure or a cancellation change nothing")
    func fulfilOnce() async throws {
        try await Self.withService { service in
            let order = try await Self.order(service)
            #expect(try await Self.apply(service, "payment_intent.succeeded", to: order) == .fulfilled)
            #expect(try await Self.status(service, order) == .fulfilled)
            #expect(try await Self.apply(service, "invoice.paid", to: order) == .ignored)
            #expect(try await Self.apply(service, "payment_intent.payment_failed", to: order) == .ignored)
            #expect(try await Self.apply(service, "payment_intent.canceled", to: order) == .ignored)
            #expect(try await Self.status(service, order) == .fulfilled)
        }
    }

    @Test("payment_intent.canceled expires the order when Stripe says abandoned (the sweep's reason), cancels it otherwise")
    func canceledByReason() async throws {
        try await Self.withService { service in
            // The sweep's own cancel, whose event reached the order before the sweep's transaction did.
            let abandoned = try await Self.order(service)
            #expect(try await Self.apply(service, "payment_intent.canceled", to: abandoned, cancellationReason: "abandoned") == .expired)
            #expect(try await Self.status(service, abandoned) == .expired)
            for reason in ["requested_by_customer", "duplicate", nil] {
                let order = try await Self.order(service)
                #expect(try await Self.apply(service, "payment_intent.canceled", to: order, cancellationReason: reason) == .canceled)
                #expect(try await Self.status(service, order) == .canceled, "\(reason ?? "no reason")")
            }
            let types = try service.context.database!.readSync { c in
                try c.query("SELECT type FROM outbox_events ORDER BY seq").map { $0.string("type") ?? "" }
            }
            #expect(types.filter { $0 == "order.expired" }.count == 1 && types.filter { $0 == "order.canceled" }.count == 3, "\(types)")
            let reply: CatalogReply = try await service.client().call(OrderMessages.catalogList, FulfillmentService.Empty())
            #expect(reply.products.first { $0.sku == "mug" }?.available == 50, "every reservation released once")
        }
    }

    @Test("processing, then a failure, then a success: the order follows and is fulfilled")
    func failureThenSuccess() async throws {
        try await Self.withService { service in
            let order = try await Self.order(service)
            #expect(try await Self.apply(service, "payment_intent.processing", to: order) == .processing)
            #expect(try await Self.apply(service, "payment_intent.payment_failed", to: order) == .paymentFailed)
            #expect(try await Self.status(service, order) == .paymentFailed)
            #expect(try await Self.apply(service, "payment_intent.succeeded", to: order) == .fulfilled)
        }
    }

    @Test("a paid amount or currency other than the order's goes to review, never fulfilled")
    func amountMismatch() async throws {
        try await Self.withService { service in
            let order = try await Self.order(service)
            #expect(try await Self.apply(service, "payment_intent.succeeded", to: order, amount: order.amount - 1) == .needsReview)
            let other = try await Self.order(service)
            #expect(try await Self.apply(service, "payment_intent.succeeded", to: other, currency: "eur") == .needsReview)
            #expect(try await Self.status(service, order) == .needsReview)
        }
    }

    @Test("money for an expired order is never fulfilled: review, and with the refund policy a late refund is due")
    func latePayment() async throws {
        try await Self.withService { service in
            let order = try await Self.order(service)
            #expect(try await Self.apply(service, "checkout.session.expired", to: order) == .expired)
            #expect(try await Self.apply(service, "payment_intent.succeeded", to: order, policy: "refund") == .needsReview)
            let state = try await service.context.database!.read { c in
                try c.queryOne("SELECT late_refund_state AS s FROM orders WHERE order_id = ?", order.orderID)?.string("s")
            }
            #expect(state == "due")
        }
    }

    @Test("an event for an order that does not exist is recorded as such")
    func unknownOrder() async throws {
        try await Self.withService { service in
            var order = try await Self.order(service)
            order.orderID = "ord_missing"
            #expect(try await Self.apply(service, "payment_intent.succeeded", to: order) == .unknownOrder)
        }
    }
}

@Suite("payment event signals")
struct PaymentSignalTests {
    static func event(paymentStatus: String? = nil) -> PaymentEvent {
        PaymentEvent(orderID: "ord_1", stripeEventID: "evt_1", stripeCreated: 1, source: "webhook", amount: 100,
                     currency: "usd", status: "x", paymentStatus: paymentStatus)
    }

    @Test("each Stripe type fulfillment consumes maps to one signal", arguments: [
        ("payment_intent.succeeded", PaymentEvents.Signal.succeeded),
        ("checkout.session.async_payment_succeeded", .succeeded),
        ("invoice.paid", .succeeded),
        ("payment_intent.processing", .processing),
        ("payment_intent.payment_failed", .failed),
        ("checkout.session.async_payment_failed", .failed),
        ("invoice.payment_failed", .failed),
        ("payment_intent.canceled", .canceled),  // without cancellation_reason; `abandoned` is expiry (below)
        ("checkout.session.expired", .expired),
        ("customer.created", .none),
    ])
    func signal(type: String, expected: PaymentEvents.Signal) {
        #expect(PaymentEvents.signal(type: type, event: Self.event()) == expected)
    }

    @Test("checkout.session.completed depends on payment_status: paid, unpaid (a delayed method) or neither")
    func completedSession() {
        #expect(PaymentEvents.signal(type: "checkout.session.completed", event: Self.event(paymentStatus: "paid")) == .succeeded)
        #expect(PaymentEvents.signal(type: "checkout.session.completed", event: Self.event(paymentStatus: "unpaid")) == .processing)
        #expect(PaymentEvents.signal(type: "checkout.session.completed",
                                     event: Self.event(paymentStatus: "no_payment_required")) == .none)
    }

    @Test("every payment event type payments publishes to fulfillment has a signal, unless it is a books event")
    func everyConsumedTypeMaps() {
        for type in Subscriptions.table.consumed(by: "fulfillment") where !type.hasPrefix("payment.") {
            #expect(PaymentEvents.signal(type: type, event: Self.event(paymentStatus: "paid")) != .none, "\(type)")
        }
    }
}
