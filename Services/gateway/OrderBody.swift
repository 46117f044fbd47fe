import FoundationEssentials
import HTTP
import Messages
import Wire

/// The body of `POST /api/orders`, `/api/checkout/sessions` and `/api/invoices`, validated.
///
/// Shape problems (not JSON, not an object, a missing field, a wrong type) are 400; values that are
/// well-typed but unacceptable (no items, a quantity out of range, a malformed email) are 422. Both
/// name the field. Prices are never accepted from the browser: fulfillment prices the SKUs.
struct OrderBody: Sendable, Equatable {
    var items: [OrderItemRequest]
    var email: String

    static let maxItems = 50
    static let quantityRange = 1...1000
    static let maxSKULength = 64
    static let maxEmailLength = 254

    /// What the JSON must decode to before the value checks.
    private struct Raw: Decodable {
        struct Item: Decodable {
            var sku: String
            var quantity: Int
        }
        var items: [Item]
        var email: String
    }

    /// Parses and validates `request`'s body.
    static func parse(_ request: HTTPRequest) throws(APIError) -> OrderBody {
        if let type = request.headers["Content-Type"], !isJSON(type) {
            throw APIError(status: .unsupportedMediaType, code: "unsupported_media_type",
                           message: "the body must be application/json", field: "Content-Type")
        }
        let trimmed = request.body.drop { $0 == 0x20 || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D }
        guard trimmed.first == UInt8(ascii: "{") else {
            throw .badRequest("the body must be a JSON object", field: "body")
        }
        let raw: Raw
        do {
            raw = try JSONDecoder().decode(Raw.self, from: Data(request.body))
        } catch let error as DecodingError {
            throw describe(error)
        } catch {
            throw .badRequest("the body is not valid JSON", field: "body")
        }
        let body = OrderBody(items: raw.items.map { OrderItemRequest(sku: $0.sku, quantity: $0.quantity) }, email: raw.email)
        try body.validate()
        return body
    }

    /// The value checks (422).
    func validate() throws(APIError) {
        if items.isEmpty { throw .unprocessable("at least one item is required", field: "items") }
        if items.count > Self.maxItems {
            throw .unprocessable("at most \(Self.maxItems) items are allowed", field: "items")
        }
        var seen = Set<String>()
        for (i, item) in items.enumerated() {
            if !Self.isValidSKU(item.sku) {
                throw .unprocessable("a SKU is 1 to \(Self.maxSKULength) letters, digits, '-', '_' or '.'",
                                     field: "items[\(i)].sku")
            }
            if !seen.insert(item.sku).inserted {
                throw .unprocessable("each SKU may appear once; set its quantity instead", field: "items[\(i)].sku")
            }
            if !Self.quantityRange.contains(item.quantity) {
                throw .unprocessable("quantity must be from \(Self.quantityRange.lowerBound) to \(Self.quantityRange.upperBound)",
                                     field: "items[\(i)].quantity")
            }
        }
        if !Self.isPlausibleEmail(email) {
            throw .unprocessable("expected an email address such as name@example.com", field: "email")
        }
    }

    static func isJSON(_ contentType: String) -> Bool {
        let first = contentType.split(separator: ";", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        let media = first.filter { $0 != " " && $0 != "\t" }.lowercased()
        return media == "application/json" || (media.hasPrefix("application/") && media.hasSuffix("+json"))
    }

    static func isValidSKU(_ sku: String) -> Bool {
        let utf8 = sku.utf8
        return (1...maxSKULength).contains(utf8.count) && utf8.allSatisfy { b in
            (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A)
                || b == UInt8(ascii: "-") || b == UInt8(ascii: "_") || b == UInt8(ascii: ".")
        }
    }

    /// One `@`, a non-empty local part, a dotted domain, no spaces or control characters. Deliverability
    /// is the mail server's business; this only catches typos and junk.
    static func isPlausibleEmail(_ email: String) -> Bool {
        let utf8 = email.utf8
        guard (3...maxEmailLength).contains(utf8.count),
              !utf8.contains(where: { $0 <= 0x20 || $0 == 0x7F || $0 == UInt8(ascii: "<") || $0 == UInt8(ascii: ">")
                  || $0 == UInt8(ascii: ",") || $0 == UInt8(ascii: ";") || $0 == UInt8(ascii: "\"") }) else { return false }
        let parts = email.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, parts[0].utf8.count <= 64 else { return false }
        let labels = parts[1].split(separator: ".", omittingEmptySubsequences: false)
        return labels.count >= 2 && labels.allSatisfy { !$0.isEmpty && !$0.hasPrefix("-") && !$0.hasSuffix("-") }
    }

    /// A decoding failure as a 400 naming the field.
    static func describe(_ error: DecodingError) -> APIError {
        func path(_ keys: [any CodingKey]) -> String {
            var out = ""
            for key in keys {
                if let i = key.intValue { out += "[\(i)]" } else { out += out.isEmpty ? key.stringValue : ".\(key.stringValue)" }
            }
            return out
        }
        switch error {
        case .keyNotFound(let key, let ctx):
            let field = path(ctx.codingPath + [key])
            return .badRequest("missing field '\(field)'", field: field)
        case .typeMismatch(let type, let ctx):
            let field = path(ctx.codingPath)
            return .badRequest("field '\(field)' must be \(describe(type))", field: field.isEmpty ? "body" : field)
        case .valueNotFound(let type, let ctx):
            let field = path(ctx.codingPath)
            return .badRequest("field '\(field)' must be \(describe(type)), not null", field: field)
        case .dataCorrupted(let ctx):
            let field = path(ctx.codingPath)
            if field.isEmpty { return .badRequest("the body is not valid JSON", field: "body") }
            return .badRequest("field '\(field)' has an invalid value", field: field)
        @unknown default:
            return .badRequest("the body is not valid", field: "body")
        }
    }

    private static func describe(_ type: Any.Type) -> String {
        switch type {
        case is Int.Type: "an integer"
        case is String.Type: "a string"
        case is [Raw.Item].Type: "an array"
        default: "an object"
        }
    }
}
