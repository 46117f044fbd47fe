import Core

/// What an order may ask for: the one rule the gateway applies to a browser's body (422 naming the field)
/// and fulfillment applies to `orders.create` (`invalid_argument` naming the field), so the two never
/// disagree about what a valid order is.
public enum OrderRules {
    /// Lines in one order (the public API's `maxItems`).
    public static let maxItems = 50
    /// Units of one line.
    public static let quantityRange = 1...1000
    /// Bytes of a SKU.
    public static let maxSKULength = 64

    /// A rule an order breaks: the field (`items`, `items[2].sku`, `email`) and what was expected.
    public struct Violation: Sendable, Equatable {
        public var field: String
        public var message: String
        public init(field: String, message: String) { self.field = field; self.message = message }
    }

    /// The first rule `items` and `email` break, or nil: at least one and at most ``maxItems`` lines, each
    /// a valid SKU given once with a quantity in ``quantityRange``, and a plausible customer address.
    public static func violation(items: [OrderItemRequest], email: String) -> Violation? {
        if items.isEmpty { return Violation(field: "items", message: "at least one item is required") }
        if items.count > maxItems { return Violation(field: "items", message: "at most \(maxItems) items are allowed") }
        var seen = Set<String>()
        for (i, item) in items.enumerated() {
            if !isValidSKU(item.sku) {
                return Violation(field: "items[\(i)].sku",
                                 message: "a SKU is 1 to \(maxSKULength) letters, digits, '-', '_' or '.'")
            }
            if !seen.insert(item.sku).inserted {
                return Violation(field: "items[\(i)].sku", message: "each SKU may appear once; set its quantity instead")
            }
            if !quantityRange.contains(item.quantity) {
                return Violation(field: "items[\(i)].quantity",
                                 message: "quantity must be from \(quantityRange.lowerBound) to \(quantityRange.upperBound)")
            }
        }
        if !EmailAddress.isPlausible(email) {
            return Violation(field: "email", message: "expected an email address such as name@example.com")
        }
        return nil
    }

    /// 1 to ``maxSKULength`` bytes of `A-Z a-z 0-9 - _ .`: the catalog's SKUs, and so the only ones an
    /// order can name.
    public static func isValidSKU(_ sku: String) -> Bool {
        let utf8 = sku.utf8
        return (1...maxSKULength).contains(utf8.count) && utf8.allSatisfy { b in
            (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A)
                || b == UInt8(ascii: "-") || b == UInt8(ascii: "_") || b == UInt8(ascii: ".")
        }
    }
}
