import HTTPServer
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
            raw = try JSONValueDecoder.decode(Raw.self, from: request.body)
        } catch let error as DecodingError {
            throw describe(error)
        } catch {
            throw .badRequest("the body is not valid JSON", field: "body")
        }
        let body = OrderBody(items: raw.items.map { OrderItemRequest(sku: $0.sku, quantity: $0.quantity) }, email: raw.email)
        try body.validate()
        return body
    }

    /// The value checks (422), by the rules fulfillment applies too.
    func validate() throws(APIError) {
        if let violation = OrderRules.violation(items: items, email: email) {
            throw .unprocessable(violation.message, field: violation.field)
        }
    }

    static func isJSON(_ contentType: String) -> Bool {
        let first = contentType.split(separator: ";", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        let media = first.filter { $0 != " " && $0 != "\t" }.lowercased()
        return media == "application/json" || (media.hasPrefix("application/") && media.hasSuffix("+json"))
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
        case is [Any].Type, is [Raw.Item].Type: "an array"
        default: "an object"
        }
    }
}
