import Foundation
import Wire

/// Decoding that never fails on a field's value: a missing field, `null`, or a value of another type than
/// expected (a client library printing unset fields as `""` or `0`) reads as nil. Stripe adds fields and
/// values without notice; only the object's own `id` is required.
extension KeyedDecodingContainer {
    func lenient<T: Decodable>(_ type: T.Type, _ key: Key) -> T? {
        guard contains(key) else { return nil }
        return (try? decodeIfPresent(T.self, forKey: key)) ?? nil
    }

    /// A string field, with `""` read as absent.
    func lenientString(_ key: Key) -> String? {
        guard let s = lenient(String.self, key), !s.isEmpty else { return nil }
        return s
    }

    /// Stripe's `metadata`: string values; other values are dropped.
    func metadata(_ key: Key) -> [String: String] {
        lenient([String: LenientString].self, key)?.compactMapValues(\.value) ?? [:]
    }
}

/// A string value, or nil when the JSON value is not a string.
struct LenientString: Decodable {
    var value: String?
    init(from decoder: any Decoder) throws {
        value = try? decoder.singleValueContainer().decode(String.self)
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
    /// The id whether or not it was expanded; nil for an empty id.
    public var id: String? {
        let id = switch self {
        case .id(let id): id
        case .object(let o): o.id
        }
        return id.isEmpty ? nil : id
    }
}
