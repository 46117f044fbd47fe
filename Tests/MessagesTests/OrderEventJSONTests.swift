import Messages
import Testing
import Wire

/// `OrderEvent.json()` writes events by hand for speed (docs/BENCHMARKS.md); these tests prove it writes
/// exactly what the `Codable` form does, so a field added to `Order` cannot go missing from events.
@Suite("OrderEvent JSON")
struct OrderEventJSONTests {
    static let dispute = OrderDispute(disputeID: "dp_1", status: "needs_response", amount: 1200, currency: "eur",
                                      reason: "fraudulent", dueBy: 1_700_000_000, fundsWithdrawn: true, fundsReinstated: false)

    /// Every optional field set, every collection non-empty, strings that need escaping.
    static let full = OrderEvent(
        order: Order(orderID: "ord_1", status: .partiallyRefunded, email: "li.wei@example.cn", currency: "eur", amount: 2400,
                     items: [OrderLine(sku: "mug", name: "Coffee \"mug\" ☕", quantity: 2, unitAmount: 1200, amount: 2400)],
                     flow: .checkoutSession, createdAt: 1_700_000_000_000, expiresAt: 1_700_000_900_000,
                     history: [OrderTransition(status: .awaitingPayment, at: 1, cause: "request:t1", note: "first"),
                               OrderTransition(status: .paid, at: 2, cause: "event:evt_1", note: "line\nbreak")],
                     refundedAmount: 600, disputed: true, dispute: dispute),
        paymentIntentID: "pi_1", reason: "a reason", payToken: "tok", refundAmount: 600, refundID: "re_1", latePayment: true)

    /// Every optional field nil, every collection empty.
    static let bare = OrderEvent(
        order: Order(orderID: "ord_2", status: .awaitingPayment, email: "a@b.co", currency: "usd", amount: 0, items: [],
                     flow: .paymentIntent, createdAt: 0, expiresAt: 0, history: []))

    @Test("the hand-written JSON is the Codable JSON byte for byte", arguments: [full, bare,
        OrderEvent(order: Order(orderID: "o", status: .fulfilled, email: "e@x.io", currency: "jpy", amount: -1, items: [],
                                flow: .invoice, createdAt: -5, expiresAt: Int64.max, history: [], refundedAmount: 0, disputed: false,
                                dispute: OrderDispute(disputeID: "dp", status: "won", amount: 1, currency: "jpy", reason: nil,
                                                      dueBy: nil, fundsWithdrawn: false, fundsReinstated: true)))])
    func sameBytes(_ event: OrderEvent) throws {
        let byHand = try event.json()
        let byCodable = try RawJSON(encoding: event)
        #expect(byHand == byCodable, "\(byHand)\n!=\n\(byCodable)")
        #expect(try byHand.decode(OrderEvent.self) == event)
    }

    /// Lists the paths of stored properties left nil in `value`, through every nested struct and array.
    static func nilPaths(_ value: Any, path: String = "") -> [String] {
        let mirror = Mirror(reflecting: value)
        if mirror.displayStyle == .optional {
            guard let wrapped = mirror.children.first?.value else { return [path] }
            return nilPaths(wrapped, path: path)
        }
        if mirror.displayStyle == .collection, mirror.children.isEmpty { return [path + "[]"] }
        return mirror.children.flatMap { child in
            nilPaths(child.value, path: path + "." + (child.label ?? "[]"))
        }
    }

    // The byte comparison proves only the fields the fixture sets. A new optional field (or array) left
    // out of `full` would escape it: this fails first, naming the field to set.
    @Test("the full fixture sets every field of OrderEvent, Order, OrderLine, OrderTransition and OrderDispute")
    func fixtureIsFull() {
        #expect(Self.nilPaths(Self.full) == [])
    }
}
