import Foundation
import Wire

/// Reads that never fail on a field's value: a missing field, `null`, or a value of another type than
/// expected (a client library printing unset fields as `""` or `0`) reads as nil. Stripe adds fields and
/// values without notice; only the object's own `id` is required. The models read their few fields
/// straight from the parsed tree, which costs a fraction of `Decodable`'s containers on objects of
/// 40-odd fields.
extension ParsedJSON {
    /// A required string field (an object's `id`): missing or not a string throws.
    func required(_ key: String) throws -> String {
        guard let member = self[key] else {
            throw DecodingError.keyNotFound(AnyKey(key), .init(codingPath: [], debugDescription: "no '\(key)'"))
        }
        guard let s = member.string else {
            throw DecodingError.typeMismatch(String.self, .init(codingPath: [AnyKey(key)], debugDescription: "'\(key)' is not a string"))
        }
        return s
    }

    /// A string field, with `""` read as absent.
    func lenientString(_ key: String) -> String? {
        guard let s = self[key]?.string, !s.isEmpty else { return nil }
        return s
    }

    /// A whole-number field.
    func lenientInt<T: FixedWidthInteger>(_ key: String, as: T.Type = Int.self) -> T? { self[key]?.integer(T.self) }

    /// A boolean field.
    func lenientBool(_ key: String) -> Bool? { self[key]?.bool }

    /// An array of strings; nil if any element is not a string.
    func lenientStrings(_ key: String) -> [String]? {
        guard let elements = self[key]?.elements else { return nil }
        var strings: [String] = []
        strings.reserveCapacity(elements.count)
        for element in elements {
            guard let s = element.string else { return nil }
            strings.append(s)
        }
        return strings
    }

    /// Stripe's `metadata`: string values; other values are dropped.
    func metadata(_ key: String) -> [String: String] {
        guard let members = self[key]?.members else { return [:] }
        var metadata: [String: String] = [:]
        for (name, value) in members {
            if let s = value.string { metadata[name] = s } else { metadata[name] = nil }
        }
        return metadata
    }

    /// An object field decoded as `T`; nil when absent, `null` or not decodable.
    func lenient<T: Decodable>(_ type: T.Type, _ key: String) -> T? {
        guard let member = self[key], !member.isNull else { return nil }
        return try? member.decode(T.self)
    }

    /// The id of a field that is an id or, expanded, an object with an `id`; nil for an empty id.
    func expandableID(_ key: String) -> String? {
        guard let member = self[key] else { return nil }
        let id = member.string ?? member["id"]?.string
        guard let id, !id.isEmpty else { return nil }
        return id
    }
}

/// A coding key made from any string.
struct AnyKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(_ s: String) { stringValue = s }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}

/// Decodes Stripe JSON into the project's types.
public enum StripeJSON {
    /// Decodes `T` from a response body, turning failures into a `StripeError` of kind `.api`.
    public static func decode<T: Decodable>(_ type: T.Type, from body: [UInt8]) throws(StripeError) -> T {
        do {
            return try JSONValueDecoder.decode(T.self, from: body)
        } catch {
            throw StripeError(kind: .api, message: "Stripe's response did not decode as \(T.self): \(error)")
        }
    }
}

/// A field Stripe sends either as an id or, when expanded, as the object.
public enum Expandable<Object: Decodable & Sendable>: Decodable, Sendable {
    case id(String)
    case object(Object)

    public init(from decoder: any Decoder) throws {
        let single = try decoder.singleValueContainer()
        if let id = try? single.decode(String.self) {
            self = .id(id)
        } else {
            self = .object(try single.decode(Object.self))
        }
    }

    /// The expanded object, if it was expanded.
    public var object: Object? {
        if case .object(let o) = self { return o }
        return nil
    }
}

/// An object with an id, so an `Expandable` can name it either way.
public protocol StripeObject: Decodable, Sendable {
    var id: String { get }
}

extension Expandable where Object: StripeObject {
    /// Reads the field `key` of `object` leniently: nil when absent, `null`, an empty id, or neither an
    /// id nor a decodable object.
    init?(_ key: String, of object: ParsedJSON) {
        guard let member = object[key], !member.isNull else { return nil }
        if let id = member.string {
            self = .id(id)
        } else if let decoded = try? member.decode(Object.self) {
            self = .object(decoded)
        } else {
            return nil
        }
        if id == nil { return nil }
    }

    /// The id whether or not it was expanded; nil for an empty id.
    public var id: String? {
        let id = switch self {
        case .id(let id): id
        case .object(let o): o.id
        }
        return id.isEmpty ? nil : id
    }
}
