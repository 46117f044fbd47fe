import Messages
import Testing

@Suite("Order rules")
struct OrderRulesTests {
    static func items(_ n: Int) -> [OrderItemRequest] { (0..<n).map { OrderItemRequest(sku: "sku-\($0)", quantity: 1) } }

    @Test("a valid order breaks no rule")
    func valid() {
        #expect(OrderRules.violation(items: [OrderItemRequest(sku: "mug", quantity: 2)], email: "a@b.co") == nil)
        #expect(OrderRules.violation(items: Self.items(OrderRules.maxItems), email: "a@b.co") == nil)
    }

    // The gateway allowed 50 lines, fulfillment 100: the public API's 50 is the rule for both now.
    @Test("at most 50 lines")
    func maxItems() {
        #expect(OrderRules.maxItems == 50)
        #expect(OrderRules.violation(items: Self.items(51), email: "a@b.co")?.field == "items")
        #expect(OrderRules.violation(items: Self.items(100), email: "a@b.co")?.field == "items")
        #expect(OrderRules.violation(items: [], email: "a@b.co")?.field == "items")
    }

    // Fulfillment took any 1 to 64 bytes as a SKU; the gateway and the catalog only letters, digits, - _ .
    @Test("a SKU is 1 to 64 bytes of letters, digits, - _ .", arguments: ["a b", "mug/1", "é", "", String(repeating: "x", count: 65), "a\u{0}"])
    func badSKU(_ sku: String) {
        #expect(!OrderRules.isValidSKU(sku))
        #expect(OrderRules.violation(items: [OrderItemRequest(sku: sku, quantity: 1)], email: "a@b.co")?.field == "items[0].sku")
    }

    @Test("a SKU given twice, a quantity out of range, an implausible email name their field")
    func fields() {
        #expect(OrderRules.isValidSKU("Mug-2_XL.v1") && OrderRules.isValidSKU(String(repeating: "x", count: 64)))
        let twice = [OrderItemRequest(sku: "mug", quantity: 1), OrderItemRequest(sku: "mug", quantity: 1)]
        #expect(OrderRules.violation(items: twice, email: "a@b.co")?.field == "items[1].sku")
        for q in [0, 1001, -1] {
            #expect(OrderRules.violation(items: [OrderItemRequest(sku: "mug", quantity: q)], email: "a@b.co")?.field == "items[0].quantity")
        }
        #expect(OrderRules.violation(items: [OrderItemRequest(sku: "mug", quantity: 1)], email: "a(b)@example.com")?.field == "email")
        #expect(OrderRules.violation(items: [OrderItemRequest(sku: "mug", quantity: 1)], email: "shop@localhost")?.field == "email")
    }
}
