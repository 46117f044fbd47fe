@testable import fulfillment
import Testing

/// The catalog file's parser, on bytes: what it accepts, and that a refusal names the line and field.
@Suite("catalog parsing")
struct CatalogTests {
    static func parse(_ text: String) throws(Catalog.Problem) -> Catalog { try Catalog.parse(Array(text.utf8)) }

    @Test("the built-in catalog parses, every product valid")
    func builtIn() throws {
        let catalog = try Self.parse(DefaultCatalog.json)
        #expect(!catalog.entries.isEmpty)
        let mug = try #require(catalog.entries.first { $0.sku == "mug" })
        #expect(mug == Catalog.Entry(sku: "mug", name: "Coffee mug", description: "350 ml stoneware mug", unitAmount: 1200,
                                     currency: "usd", stock: 50))
    }

    @Test("a minimal product without a description")
    func minimal() throws {
        let catalog = try Self.parse(#"{"products":[{"sku":"a-1","name":"A","unit_amount":5,"currency":"eur","stock":0}]}"#)
        #expect(catalog.entries == [Catalog.Entry(sku: "a-1", name: "A", description: nil, unitAmount: 5, currency: "eur", stock: 0)])
    }

    @Test("refusals name the line and the field", arguments: [
        // An unknown field (a typo of unit_amount must not drop the price silently).
        ("{\"products\":[\n{\"sku\":\"a\",\"name\":\"A\",\"price\":5,\"unit_amount\":5,\"currency\":\"usd\",\"stock\":1}]}", 2, "price"),
        // A negative amount.
        ("{\"products\":[\n\n{\"sku\":\"a\",\"name\":\"A\",\"unit_amount\":-5,\"currency\":\"usd\",\"stock\":1}]}", 3, "unit_amount"),
        // A missing field.
        ("{\"products\":[{\"sku\":\"a\",\"name\":\"A\",\"currency\":\"usd\",\"stock\":1}]}", 1, "unit_amount"),
    ])
    func refused(text: String, line: Int, field: String) {
        #expect {
            _ = try Self.parse(text)
        } throws: { error in
            guard let problem = error as? Catalog.Problem else { return false }
            return problem.line == line && problem.description.contains(field)
        }
    }

    @Test("a SKU listed twice is refused")
    func duplicateSKU() {
        let product = #"{"sku":"a","name":"A","unit_amount":5,"currency":"usd","stock":1}"#
        #expect(throws: Catalog.Problem.self) { try Self.parse(#"{"products":["# + product + "," + product + "]}") }
    }

    @Test("not JSON at all is refused with a line")
    func notJSON() {
        #expect(throws: Catalog.Problem.self) { try Self.parse("{\"products\": [\n}") }
    }
}
