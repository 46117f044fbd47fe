/// Encodes `Encodable` values as compact JSON with sorted keys: the project's replacement for
/// Foundation's `JSONEncoder` (`.sortedKeys`, `.withoutEscapingSlashes`) on its hot paths, written
/// through ``JSONWriter``.
///
/// As with ``JSONValueDecoder``, no type gets special treatment; `nil` optionals are left out (as
/// `encodeIfPresent` does); non-finite floating-point values are refused with `EncodingError`.
public enum JSONValueEncoder {
    /// Encodes `value`.
    public static func encode(_ value: some Encodable) throws -> [UInt8] {
        let root = Slot()
        try Slot.encode(value, into: root, path: [])
        var writer = JSONWriter(reservingCapacity: 256)
        root.write(to: &writer)
        return writer.bytes
    }
}

/// One value being built. A class, so nested containers write into their parent in place.
private final class Slot {
    enum Content {
        case empty
        case null
        case bool(Bool)
        case number(String)
        case string(String)
        case array([Slot])
        case object([String: Slot])
    }
    var content = Content.empty

    func write(to w: inout JSONWriter) {
        switch content {
        case .empty:
            // A value that encoded nothing at all, as JSONEncoder writes it.
            w.beginObject()
            w.endObject()
        case .null: w.null()
        case .bool(let b): w.bool(b)
        case .number(let text): w.raw(text.utf8)
        case .string(let s): w.string(s)
        case .array(let items):
            w.beginArray()
            for item in items { item.write(to: &w) }
            w.endArray()
        case .object(let members):
            w.beginObject()
            for key in members.keys.sorted() {
                w.key(key)
                members[key]!.write(to: &w)
            }
            w.endObject()
        }
    }

    /// Encodes `value` into `slot`, the common scalars directly.
    static func encode<T: Encodable>(_ value: T, into slot: Slot, path: [any CodingKey]) throws {
        switch value {
        case let s as String: slot.content = .string(s)
        case let i as Int: slot.content = .number(String(i))
        case let i as Int64: slot.content = .number(String(i))
        case let b as Bool: slot.content = .bool(b)
        default: try value.encode(to: TreeEncoder(slot: slot, codingPath: path))
        }
    }

    static func double(_ value: Double, path: [any CodingKey]) throws -> Content {
        guard value.isFinite else {
            throw EncodingError.invalidValue(value, .init(codingPath: path, debugDescription: "\(value) is not valid in JSON"))
        }
        if value == value.rounded(), abs(value) < 1e15 { return .number(String(Int64(value))) }
        return .number("\(value)")
    }
}

private struct TreeEncoder: Encoder {
    let slot: Slot
    let codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        if case .object = slot.content {} else { slot.content = .object([:]) }
        return KeyedEncodingContainer(KeyedContainer<Key>(slot: slot, codingPath: codingPath))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        if case .array = slot.content {} else { slot.content = .array([]) }
        return UnkeyedContainer(slot: slot, codingPath: codingPath)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer {
        SingleContainer(slot: slot, codingPath: codingPath)
    }
}

private struct KeyedContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let slot: Slot
    let codingPath: [any CodingKey]

    private func child(_ key: Key) -> Slot {
        guard case .object(var members) = slot.content else { preconditionFailure("keyed container on a non-object") }
        if let existing = members[key.stringValue] { return existing }
        let new = Slot()
        slot.content = .empty  // Drop the reference so the dictionary is mutated in place.
        members[key.stringValue] = new
        slot.content = .object(members)
        return new
    }

    private func set(_ content: Slot.Content, _ key: Key) { child(key).content = content }

    mutating func encodeNil(forKey key: Key) throws { set(.null, key) }
    mutating func encode(_ value: Bool, forKey key: Key) throws { set(.bool(value), key) }
    mutating func encode(_ value: String, forKey key: Key) throws { set(.string(value), key) }
    mutating func encode(_ value: Double, forKey key: Key) throws { set(try Slot.double(value, path: codingPath + [key]), key) }
    mutating func encode(_ value: Float, forKey key: Key) throws { set(try Slot.double(Double(value), path: codingPath + [key]), key) }
    mutating func encode(_ value: Int, forKey key: Key) throws { set(.number(String(value)), key) }
    mutating func encode(_ value: Int8, forKey key: Key) throws { set(.number(String(value)), key) }
    mutating func encode(_ value: Int16, forKey key: Key) throws { set(.number(String(value)), key) }
    mutating func encode(_ value: Int32, forKey key: Key) throws { set(.number(String(value)), key) }
    mutating func encode(_ value: Int64, forKey key: Key) throws { set(.number(String(value)), key) }
    mutating func encode(_ value: UInt, forKey key: Key) throws { set(.number(String(value)), key) }
    mutating func encode(_ value: UInt8, forKey key: Key) throws { set(.number(String(value)), key) }
    mutating func encode(_ value: UInt16, forKey key: Key) throws { set(.number(String(value)), key) }
    mutating func encode(_ value: UInt32, forKey key: Key) throws { set(.number(String(value)), key) }
    mutating func encode(_ value: UInt64, forKey key: Key) throws { set(.number(String(value)), key) }

    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
        try Slot.encode(value, into: child(key), path: codingPath + [key])
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key)
        -> KeyedEncodingContainer<NestedKey> {
        TreeEncoder(slot: child(key), codingPath: codingPath + [key]).container(keyedBy: keyType)
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        TreeEncoder(slot: child(key), codingPath: codingPath + [key]).unkeyedContainer()
    }

    mutating func superEncoder() -> any Encoder {
        let key = JSONCodingKey(stringValue: "super")
        return TreeEncoder(slot: child(Key(stringValue: key.stringValue)!), codingPath: codingPath + [key])
    }

    mutating func superEncoder(forKey key: Key) -> any Encoder {
        TreeEncoder(slot: child(key), codingPath: codingPath + [key])
    }
}

private struct UnkeyedContainer: UnkeyedEncodingContainer {
    let slot: Slot
    let codingPath: [any CodingKey]

    var count: Int {
        guard case .array(let items) = slot.content else { return 0 }
        return items.count
    }

    private func append() -> Slot {
        guard case .array(var items) = slot.content else { preconditionFailure("unkeyed container on a non-array") }
        let new = Slot()
        slot.content = .empty  // Drop the reference so the array is mutated in place.
        items.append(new)
        slot.content = .array(items)
        return new
    }

    private var nextPath: [any CodingKey] { codingPath + [JSONCodingKey(intValue: count)] }

    mutating func encodeNil() throws { append().content = .null }
    mutating func encode(_ value: Bool) throws { append().content = .bool(value) }
    mutating func encode(_ value: String) throws { append().content = .string(value) }
    mutating func encode(_ value: Double) throws { let c = try Slot.double(value, path: nextPath); append().content = c }
    mutating func encode(_ value: Float) throws { let c = try Slot.double(Double(value), path: nextPath); append().content = c }
    mutating func encode(_ value: Int) throws { append().content = .number(String(value)) }
    mutating func encode(_ value: Int8) throws { append().content = .number(String(value)) }
    mutating func encode(_ value: Int16) throws { append().content = .number(String(value)) }
    mutating func encode(_ value: Int32) throws { append().content = .number(String(value)) }
    mutating func encode(_ value: Int64) throws { append().content = .number(String(value)) }
    mutating func encode(_ value: UInt) throws { append().content = .number(String(value)) }
    mutating func encode(_ value: UInt8) throws { append().content = .number(String(value)) }
    mutating func encode(_ value: UInt16) throws { append().content = .number(String(value)) }
    mutating func encode(_ value: UInt32) throws { append().content = .number(String(value)) }
    mutating func encode(_ value: UInt64) throws { append().content = .number(String(value)) }

    mutating func encode<T: Encodable>(_ value: T) throws {
        let path = nextPath
        try Slot.encode(value, into: append(), path: path)
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
        let path = nextPath
        return TreeEncoder(slot: append(), codingPath: path).container(keyedBy: keyType)
    }

    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        let path = nextPath
        return TreeEncoder(slot: append(), codingPath: path).unkeyedContainer()
    }

    mutating func superEncoder() -> any Encoder {
        let path = nextPath
        return TreeEncoder(slot: append(), codingPath: path)
    }
}

private struct SingleContainer: SingleValueEncodingContainer {
    let slot: Slot
    let codingPath: [any CodingKey]

    mutating func encodeNil() throws { slot.content = .null }
    mutating func encode(_ value: Bool) throws { slot.content = .bool(value) }
    mutating func encode(_ value: String) throws { slot.content = .string(value) }
    mutating func encode(_ value: Double) throws { slot.content = try Slot.double(value, path: codingPath) }
    mutating func encode(_ value: Float) throws { slot.content = try Slot.double(Double(value), path: codingPath) }
    mutating func encode(_ value: Int) throws { slot.content = .number(String(value)) }
    mutating func encode(_ value: Int8) throws { slot.content = .number(String(value)) }
    mutating func encode(_ value: Int16) throws { slot.content = .number(String(value)) }
    mutating func encode(_ value: Int32) throws { slot.content = .number(String(value)) }
    mutating func encode(_ value: Int64) throws { slot.content = .number(String(value)) }
    mutating func encode(_ value: UInt) throws { slot.content = .number(String(value)) }
    mutating func encode(_ value: UInt8) throws { slot.content = .number(String(value)) }
    mutating func encode(_ value: UInt16) throws { slot.content = .number(String(value)) }
    mutating func encode(_ value: UInt32) throws { slot.content = .number(String(value)) }
    mutating func encode(_ value: UInt64) throws { slot.content = .number(String(value)) }

    mutating func encode<T: Encodable>(_ value: T) throws { try Slot.encode(value, into: slot, path: codingPath) }
}
