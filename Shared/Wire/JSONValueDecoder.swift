/// Decodes `Decodable` types from JSON bytes: the project's replacement for Foundation's `JSONDecoder`
/// on its hot paths (every service message and every Stripe object), several times faster here.
///
/// It parses with ``JSONScanner`` into a ``JSONValue`` tree and decodes from that. It behaves like
/// `JSONDecoder` with default options (a number that does not fit the requested type, `Float` and
/// `Double` included, throws; `1e3` and `10.0` decode as integers), except, deliberately:
/// - a key repeated in one object is refused (`dataCorrupted`), where `JSONDecoder` keeps the first:
///   two readers of one message must not see two different values (see ``JSONScanner/readObject(_:)``);
/// - keys match byte for byte: `"e\u0301"` does not match a `CodingKey` `"é"`, where `JSONDecoder`
///   (through `Dictionary<String, _>`) treats canonically equivalent keys as one;
/// - nesting is limited to ``JSONScanner/maxDepth`` levels;
/// - no type gets special treatment (`Data`, `Date`, `URL` and `Decimal` decode through their own
///   `Codable` conformances; the project's messages use none of them).
/// Errors are `DecodingError`s with the coding path, so ``RawJSON/describe(_:)`` can name the field;
/// text that is not JSON is `dataCorrupted` at the empty path, with the byte offset.
public enum JSONValueDecoder {
    /// Decodes `T` from `bytes`.
    public static func decode<T: Decodable>(_ type: T.Type = T.self, from bytes: some Collection<UInt8>) throws -> T {
        try ParsedJSON(parsing: bytes).decode(T.self)
    }
}

struct TreeDecoder: Decoder {
    let value: JSONValue
    let codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        guard case .object(let object) = value else {
            throw mismatch([String: Any].self, value, codingPath)
        }
        return KeyedDecodingContainer(KeyedContainer<Key>(object: object, codingPath: codingPath))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        guard case .array(let items) = value else { throw mismatch([Any].self, value, codingPath) }
        return UnkeyedContainer(items: items, codingPath: codingPath)
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer {
        SingleContainer(value: value, codingPath: codingPath)
    }
}

private func mismatch(_ type: Any.Type, _ value: JSONValue, _ path: [any CodingKey]) -> DecodingError {
    if case .null = value {
        return .valueNotFound(type, .init(codingPath: path, debugDescription: "expected \(type) but found null"))
    }
    return .typeMismatch(type, .init(codingPath: path, debugDescription: "expected \(type) but found \(value.kind)"))
}

/// The conversions shared by the three containers.
enum Scalars {
    static func bool(_ value: JSONValue, _ path: [any CodingKey]) throws -> Bool {
        guard case .bool(let b) = value else { throw mismatch(Bool.self, value, path) }
        return b
    }

    static func string(_ value: JSONValue, _ path: [any CodingKey]) throws -> String {
        guard case .string(let s) = value else { throw mismatch(String.self, value, path) }
        return s
    }

    static func double(_ value: JSONValue, _ path: [any CodingKey]) throws -> Double {
        guard case .number(let text) = value else { throw mismatch(Double.self, value, path) }
        guard let d = Double(text), fits(d, text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: path, debugDescription: "number \(text) does not fit in Double"))
        }
        return d
    }

    /// A `Float` parsed from the literal itself (not through `Double`, which would round twice).
    static func float(_ value: JSONValue, _ path: [any CodingKey]) throws -> Float {
        guard case .number(let text) = value else { throw mismatch(Float.self, value, path) }
        guard let f = Float(text), fits(f, text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: path, debugDescription: "number \(text) does not fit in Float"))
        }
        return f
    }

    /// `JSONDecoder`'s rule for floating-point fields: a literal that rounds to infinity (`1e39` as
    /// `Float`) or, not being zero, to zero (`1e-400`) does not fit the type and throws, rather than
    /// silently becoming `inf` or `0`.
    static func fits<F: BinaryFloatingPoint>(_ value: F, _ text: String) -> Bool {
        guard value.isFinite else { return false }
        guard value == 0 else { return true }
        for b in text.utf8 {
            if b == UInt8(ascii: "e") || b == UInt8(ascii: "E") { break }
            if b >= UInt8(ascii: "1") && b <= UInt8(ascii: "9") { return false }
        }
        return true
    }

    static func integer<T: FixedWidthInteger>(_ value: JSONValue, _ path: [any CodingKey]) throws -> T {
        guard case .number(let text) = value else { throw mismatch(T.self, value, path) }
        if let exact = T(text) { return exact }
        // `1e3` or `10.0`: accepted when the value is a whole number that fits, as JSONDecoder does. The
        // check is exact, on the decimal digits: going through Double would round `9007199254740993` or
        // `-922337203685477580.8` to some other whole number and accept it.
        if let digits = wholeDigits(text), let whole = T(digits) { return whole }
        throw DecodingError.dataCorrupted(.init(codingPath: path, debugDescription: "number \(text) does not fit in \(T.self)"))
    }

    /// The decimal integer a JSON number literal denotes exactly (`-1.50e2` → `-150`), or nil when it is
    /// not a whole number or has more than 40 digits (more than any integer type here holds).
    static func wholeDigits(_ text: String) -> String? {
        var negative = false, digits: [UInt8] = [], fractionDigits = 0, exponent = 0
        var inFraction = false, inExponent = false, exponentNegative = false
        for b in text.utf8 {
            switch b {
            case UInt8(ascii: "-") where !inExponent: negative = true
            case UInt8(ascii: "-"): exponentNegative = true
            case UInt8(ascii: "+"): continue
            case UInt8(ascii: "."): inFraction = true
            case UInt8(ascii: "e"), UInt8(ascii: "E"): inExponent = true
            case _ where inExponent:
                // Saturate: an exponent this large means "does not fit" (or "zero digits") either way.
                exponent = min(exponent * 10 + Int(b - UInt8(ascii: "0")), 100_000)
            default:
                if digits.isEmpty && b == UInt8(ascii: "0") {
                    if inFraction { fractionDigits += 1 }
                    continue
                }
                digits.append(b)
                if inFraction { fractionDigits += 1 }
            }
        }
        if digits.isEmpty { return "0" }
        let shift = (exponentNegative ? -exponent : exponent) - fractionDigits
        if shift < 0 {
            // The last -shift digits are the fraction: all must be zero.
            guard -shift < digits.count, digits.suffix(-shift).allSatisfy({ $0 == UInt8(ascii: "0") }) else { return nil }
            digits.removeLast(-shift)
        } else {
            guard digits.count + shift <= 40 else { return nil }
            digits.append(contentsOf: repeatElement(UInt8(ascii: "0"), count: shift))
        }
        return (negative ? "-" : "") + String(decoding: digits, as: UTF8.self)
    }

    static func decode<T: Decodable>(_ type: T.Type, _ value: JSONValue, _ path: [any CodingKey]) throws -> T {
        // The common scalars directly, without a nested decoder.
        if T.self == String.self { return try string(value, path) as! T }
        if T.self == Int.self { return try integer(value, path) as Int as! T }
        if T.self == Int64.self { return try integer(value, path) as Int64 as! T }
        if T.self == Bool.self { return try bool(value, path) as! T }
        return try T(from: TreeDecoder(value: value, codingPath: path))
    }
}

private struct KeyedContainer<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let object: JSONObject
    let codingPath: [any CodingKey]

    var allKeys: [Key] { object.keys.compactMap { Key(stringValue: $0) } }

    func contains(_ key: Key) -> Bool { object.value(for: key.stringValue) != nil }

    private func value(_ key: Key) throws -> JSONValue {
        guard let v = object.value(for: key.stringValue) else {
            throw DecodingError.keyNotFound(key, .init(codingPath: codingPath, debugDescription: "no value for key '\(key.stringValue)'"))
        }
        return v
    }

    private func path(_ key: Key) -> [any CodingKey] { codingPath + [key] }

    func decodeNil(forKey key: Key) throws -> Bool {
        if case .null = try value(key) { return true }
        return false
    }

    func decode(_ type: Bool.Type, forKey key: Key) throws -> Bool { try Scalars.bool(value(key), path(key)) }
    func decode(_ type: String.Type, forKey key: Key) throws -> String { try Scalars.string(value(key), path(key)) }
    func decode(_ type: Double.Type, forKey key: Key) throws -> Double { try Scalars.double(value(key), path(key)) }
    func decode(_ type: Float.Type, forKey key: Key) throws -> Float { try Scalars.float(value(key), path(key)) }
    func decode(_ type: Int.Type, forKey key: Key) throws -> Int { try Scalars.integer(value(key), path(key)) }
    func decode(_ type: Int8.Type, forKey key: Key) throws -> Int8 { try Scalars.integer(value(key), path(key)) }
    func decode(_ type: Int16.Type, forKey key: Key) throws -> Int16 { try Scalars.integer(value(key), path(key)) }
    func decode(_ type: Int32.Type, forKey key: Key) throws -> Int32 { try Scalars.integer(value(key), path(key)) }
    func decode(_ type: Int64.Type, forKey key: Key) throws -> Int64 { try Scalars.integer(value(key), path(key)) }
    func decode(_ type: UInt.Type, forKey key: Key) throws -> UInt { try Scalars.integer(value(key), path(key)) }
    func decode(_ type: UInt8.Type, forKey key: Key) throws -> UInt8 { try Scalars.integer(value(key), path(key)) }
    func decode(_ type: UInt16.Type, forKey key: Key) throws -> UInt16 { try Scalars.integer(value(key), path(key)) }
    func decode(_ type: UInt32.Type, forKey key: Key) throws -> UInt32 { try Scalars.integer(value(key), path(key)) }
    func decode(_ type: UInt64.Type, forKey key: Key) throws -> UInt64 { try Scalars.integer(value(key), path(key)) }

    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
        try Scalars.decode(type, value(key), path(key))
    }

    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws
        -> KeyedDecodingContainer<NestedKey> {
        try TreeDecoder(value: value(key), codingPath: path(key)).container(keyedBy: type)
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        try TreeDecoder(value: value(key), codingPath: path(key)).unkeyedContainer()
    }

    func superDecoder() throws -> any Decoder {
        let key = JSONCodingKey(stringValue: "super")
        return TreeDecoder(value: object.value(for: key.stringValue) ?? .null, codingPath: codingPath + [key])
    }

    func superDecoder(forKey key: Key) throws -> any Decoder {
        TreeDecoder(value: object.value(for: key.stringValue) ?? .null, codingPath: path(key))
    }
}

private struct UnkeyedContainer: UnkeyedDecodingContainer {
    let items: [JSONValue]
    let codingPath: [any CodingKey]
    var currentIndex = 0

    init(items: [JSONValue], codingPath: [any CodingKey]) {
        self.items = items
        self.codingPath = codingPath
    }

    var count: Int? { items.count }
    var isAtEnd: Bool { currentIndex >= items.count }

    private var path: [any CodingKey] { codingPath + [JSONCodingKey(intValue: currentIndex)] }

    private func peek(_ type: Any.Type) throws -> JSONValue {
        guard !isAtEnd else {
            throw DecodingError.valueNotFound(type, .init(codingPath: path, debugDescription: "the array has no more elements"))
        }
        return items[currentIndex]
    }

    private mutating func next<T>(_ type: T.Type, _ convert: (JSONValue, [any CodingKey]) throws -> T) throws -> T {
        let value = try convert(peek(type), path)
        currentIndex += 1
        return value
    }

    mutating func decodeNil() throws -> Bool {
        if case .null = try peek(Never.self) {
            currentIndex += 1
            return true
        }
        return false
    }

    mutating func decode(_ type: Bool.Type) throws -> Bool { try next(type, Scalars.bool) }
    mutating func decode(_ type: String.Type) throws -> String { try next(type, Scalars.string) }
    mutating func decode(_ type: Double.Type) throws -> Double { try next(type, Scalars.double) }
    mutating func decode(_ type: Float.Type) throws -> Float { try next(type, Scalars.float) }
    mutating func decode(_ type: Int.Type) throws -> Int { try next(type, Scalars.integer) }
    mutating func decode(_ type: Int8.Type) throws -> Int8 { try next(type, Scalars.integer) }
    mutating func decode(_ type: Int16.Type) throws -> Int16 { try next(type, Scalars.integer) }
    mutating func decode(_ type: Int32.Type) throws -> Int32 { try next(type, Scalars.integer) }
    mutating func decode(_ type: Int64.Type) throws -> Int64 { try next(type, Scalars.integer) }
    mutating func decode(_ type: UInt.Type) throws -> UInt { try next(type, Scalars.integer) }
    mutating func decode(_ type: UInt8.Type) throws -> UInt8 { try next(type, Scalars.integer) }
    mutating func decode(_ type: UInt16.Type) throws -> UInt16 { try next(type, Scalars.integer) }
    mutating func decode(_ type: UInt32.Type) throws -> UInt32 { try next(type, Scalars.integer) }
    mutating func decode(_ type: UInt64.Type) throws -> UInt64 { try next(type, Scalars.integer) }

    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T {
        try next(type) { value, path in try Scalars.decode(type, value, path) }
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws -> KeyedDecodingContainer<NestedKey> {
        try next(KeyedDecodingContainer<NestedKey>.self) { value, path in
            try TreeDecoder(value: value, codingPath: path).container(keyedBy: type)
        }
    }

    mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer {
        try next((any UnkeyedDecodingContainer).self) { value, path in
            try TreeDecoder(value: value, codingPath: path).unkeyedContainer()
        }
    }

    mutating func superDecoder() throws -> any Decoder {
        try next((any Decoder).self) { value, path in TreeDecoder(value: value, codingPath: path) }
    }
}

private struct SingleContainer: SingleValueDecodingContainer {
    let value: JSONValue
    let codingPath: [any CodingKey]

    func decodeNil() -> Bool {
        if case .null = value { return true }
        return false
    }

    func decode(_ type: Bool.Type) throws -> Bool { try Scalars.bool(value, codingPath) }
    func decode(_ type: String.Type) throws -> String { try Scalars.string(value, codingPath) }
    func decode(_ type: Double.Type) throws -> Double { try Scalars.double(value, codingPath) }
    func decode(_ type: Float.Type) throws -> Float { try Scalars.float(value, codingPath) }
    func decode(_ type: Int.Type) throws -> Int { try Scalars.integer(value, codingPath) }
    func decode(_ type: Int8.Type) throws -> Int8 { try Scalars.integer(value, codingPath) }
    func decode(_ type: Int16.Type) throws -> Int16 { try Scalars.integer(value, codingPath) }
    func decode(_ type: Int32.Type) throws -> Int32 { try Scalars.integer(value, codingPath) }
    func decode(_ type: Int64.Type) throws -> Int64 { try Scalars.integer(value, codingPath) }
    func decode(_ type: UInt.Type) throws -> UInt { try Scalars.integer(value, codingPath) }
    func decode(_ type: UInt8.Type) throws -> UInt8 { try Scalars.integer(value, codingPath) }
    func decode(_ type: UInt16.Type) throws -> UInt16 { try Scalars.integer(value, codingPath) }
    func decode(_ type: UInt32.Type) throws -> UInt32 { try Scalars.integer(value, codingPath) }
    func decode(_ type: UInt64.Type) throws -> UInt64 { try Scalars.integer(value, codingPath) }

    func decode<T: Decodable>(_ type: T.Type) throws -> T { try Scalars.decode(type, value, codingPath) }
}

