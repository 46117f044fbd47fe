#if canImport(Glibc)
import Glibc
#endif
import Events
import Messages
@testable import notifier
import ServiceKit
import ServiceTesting
import Testing
import Transport
import Wire

/// notifier built and served in the test's process: an order event in through its socket, an `.eml` file
/// out through the delivery loop, once.
@Suite("notifier in-process")
struct NotifierServiceTests {
    static func build(_ context: ServiceContext) throws -> ServiceParts {
        try NotifierService.build(config: try NotifierConfig.read(dataDirectory: context.config.dataDirectory, environment: [:]),
                                  context: context)
    }

    static func event(_ type: String, id: String, order: Order) throws -> Envelope {
        let data = try RawJSON(encoding: OrderEvent(order: order, paymentIntentID: "pi_1"))
        let payload = try RawJSON(validating: EventHeader.payload(eventID: id, publisher: "fulfillment", key: order.orderID,
                                                                  occurredAt: Envelope.now(), data: data))
        return Envelope(kind: .event, type: type, payload: payload)
    }

    @Test("a fulfilled order's event is acked once applied, and its email is written once, even when the event comes twice")
    func fulfilledEmail() async throws {
        try await LocalService.with(NotifierService.spec, build: Self.build) { service in
            let order = Order(orderID: "ord_n1", status: .fulfilled, email: "buyer@example.com", currency: "usd", amount: 1200,
                              items: [OrderLine(sku: "mug", name: "Coffee mug", quantity: 1, unitAmount: 1200, amount: 1200)],
                              flow: .paymentIntent, createdAt: 1, expiresAt: 2, history: [])
            let event = try Self.event("order.fulfilled", id: "evt_n1", order: order)
            let first = try await service.client().send(event)
            let again = try await service.client().send(event)
            #expect(first.error == nil && again.error == nil)
            let acks = [first, again].map { String(decoding: $0.payload?.bytes ?? [], as: UTF8.self) }
            #expect(acks[0].contains("applied") && acks[1].contains("duplicate"))

            // The sender is woken by the inbox's commit; the row turns delivered once the file is durable.
            let database = service.context.database!
            let deadline = ContinuousClock.now + .seconds(10)
            var status: String?
            while ContinuousClock.now < deadline {
                status = try await database.read { c in
                    try c.queryOne("SELECT status FROM deliveries WHERE event_id = 'evt_n1' AND channel = 'email'")?.string("status")
                }
                if status == "delivered" { break }
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect(status == "delivered")
            let rows = try await database.read { c in try c.queryOne("SELECT COUNT(*) AS n FROM deliveries")?.int("n") }
            #expect(rows == 1)
            let file = service.context.config.dataDirectory + "/notifier/outbox-mail/evt_n1.eml"
            #expect(access(file, F_OK) == 0)
        }
    }
}
