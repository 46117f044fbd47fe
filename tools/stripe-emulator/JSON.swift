import Wire

/// A JSON value whose objects keep their keys in insertion order, so responses read like Stripe's
/// (`id`, `object`, ... first). Stripe objects live in the emulator as these values: the stored object
/// is the wire object, and version differences are applied when rendering (see ``Renderer``).
enum JSON: Sendable, Equatable {
    case null
    case bool(Bool)
    case int(Int64)
    case double(Double)
    case string(String)
    case array([JSON])
    case object(JSONObject)

    /// A string, or `null` for nil.
    init(_ value: String?) { self = value.map(JSON.string) ?? .null }
    /// An integer, or `null` for nil.
    init(_ value: Int64?) { self = value.map(JSON.int) ?? .null }
    /// An integer, or `null` for nil.
    init(_ value: Int?) { self = value.map { JSON.int(Int64($0)) } ?? .null }

    var string: String? { if case .string(let s) = self { s } else { nil } }
    var object: JSONObject? { if case .object(let o) = self { o } else { nil } }
    var array: [JSON]? { if case .array(let a) = self { a } else { nil } }
    var isNull: Bool { self == .null }

    /// An integer, also from a string of digits (form values are strings).
    var int: Int64? {
        switch self {
        case .int(let i): i
        case .double(let d) where d == d.rounded(): Int64(exactly: d)
        case .string(let s): Int64(s)
        default: nil
        }
    }

    /// A boolean, also from `"true"`/`"false"` (form values are strings).
    var bool: Bool? {
        switch self {
        case .bool(let b): b
        case .string("true"): true
        case .string("false"): false
        default: nil
        }
    }

    /// A scalar as text (what a form would have sent).
    var text: String? {
        switch self {
        case .string(let s): s
        case .int(let i): String(i)
        case .bool(let b): b ? "true" : "false"
        case .double(let d): String(d)
        default: nil
        }
    }

    /// Compact UTF-8 JSON.
    var bytes: [UInt8] {
        var w = JSONWriter(reservingCapacity: 512)
        write(to: &w)
        return w.bytes
    }

    /// Compact JSON text.
    var serialized: String { String(decoding: bytes, as: UTF8.self) }

    func write(to w: inout JSONWriter) {
        switch self {
        case .null: w.null()
        case .bool(let b): w.bool(b)
        case .int(let i): w.int(i)
        case .double(let d): w.raw(Array((d.isFinite ? String(d) : "null").utf8))
        case .string(let s): w.string(s)
        case .array(let items):
            w.beginArray()
            for item in items { item.write(to: &w) }
            w.endArray()
        case .object(let o):
            w.beginObject()
            for (k, v) in o.pairs {
                w.key(k)
                v.write(to: &w)
            }
            w.endObject()
        }
    }
}

extension JSON: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral,
    ExpressibleByNilLiteral, ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral {
    init(stringLiteral value: String) { self = .string(value) }
    init(integerLiteral value: Int64) { self = .int(value) }
    init(booleanLiteral value: Bool) { self = .bool(value) }
    init(nilLiteral: ()) { self = .null }
    init(arrayLiteral elements: JSON...) { self = .array(elements) }
    init(dictionaryLiteral elements: (String, JSON)...) { self = .object(JSONObject(elements)) }
}

/// A JSON object with keys in insertion order. Setting a key that exists keeps its position.
struct JSONObject: Sendable, Equatable, ExpressibleByDictionaryLiteral {
    private(set) var keys: [String] = []
    private var values: [String: JSON] = [:]

    init() {}
    init(_ pairs: [(String, JSON)]) { for (k, v) in pairs { self[k] = v } }
    init(dictionaryLiteral elements: (String, JSON)...) { self.init(elements) }

    /// The value of `key`. Setting nil stores JSON `null` (Stripe shows unset fields as null); use
    /// ``remove(_:)`` to drop a key.
    subscript(key: String) -> JSON? {
        get { values[key] }
        set {
            if values.updateValue(newValue ?? .null, forKey: key) == nil { keys.append(key) }
        }
    }

    /// Drops `key` and its value.
    mutating func remove(_ key: String) {
        if values.removeValue(forKey: key) != nil { keys.removeAll { $0 == key } }
    }

    var pairs: [(String, JSON)] { keys.map { ($0, values[$0]!) } }
    var isEmpty: Bool { keys.isEmpty }

    /// Shorthands for the fields every Stripe object has.
    var id: String { self["id"]?.string ?? "" }
    func string(_ key: String) -> String? { self[key]?.string }
    func int(_ key: String) -> Int64? { self[key]?.int }
    func object(_ key: String) -> JSONObject? { self[key]?.object }

    static func == (a: JSONObject, b: JSONObject) -> Bool { a.keys == b.keys && a.values == b.values }
}
