/// A JSON document parsed once, to decode several values from (a Stripe event and then its
/// `data.object`, say) without parsing the bytes again.
///
/// Parsed with `recordingOffsets`, every value also knows the byte offset it starts at, for readers that
/// point at a line of a file (the catalog). The offsets are found by a second, validating walk over the
/// bytes, so the ordinary parse pays nothing for them.
public struct ParsedJSON: Sendable {
    let value: JSONValue
    /// Where this value and its children start; nil unless parsed with `recordingOffsets`.
    let offsets: JSONOffsets?

    /// Parses `bytes`; text that is not one JSON value throws `DecodingError.dataCorrupted`.
    public init(parsing bytes: some Collection<UInt8>) throws {
        offsets = nil
        do {
            value = try JSONValue.parse(bytes)
        } catch {
            throw DecodingError.dataCorrupted(.init(codingPath: [], debugDescription: "not valid JSON: \(error.description)"))
        }
    }

    init(value: JSONValue, offsets: JSONOffsets? = nil) {
        self.value = value
        self.offsets = offsets
    }

    /// Text that is not one JSON value, and the byte offset where reading stopped.
    public struct SyntaxError: Error, Sendable, CustomStringConvertible {
        public var message: String
        public var offset: Int
        /// The key, when the text is refused for giving one key twice in an object.
        public var duplicateKey: String?
        public var description: String { "\(message) at byte \(offset)" }
    }

    /// Parses `bytes` (strictly, as every message is read), recording each value's byte offset when
    /// `recordingOffsets` is set.
    public static func parse(_ bytes: [UInt8], recordingOffsets: Bool) throws(SyntaxError) -> ParsedJSON {
        do throws(JSONScanner.Failure) {
            let value = try JSONValue.parse(bytes)
            guard recordingOffsets else { return ParsedJSON(value: value) }
            let offsets = try bytes.withUnsafeBufferPointer { buffer throws(JSONScanner.Failure) in
                var scanner = JSONScanner(buffer)
                return try JSONOffsets.read(&scanner, depth: 0)
            }
            return ParsedJSON(value: value, offsets: offsets)
        } catch {
            throw SyntaxError(message: error.message, offset: error.offset, duplicateKey: error.duplicateKey)
        }
    }

    /// The byte offset this value starts at; nil unless the document was parsed with `recordingOffsets`.
    public var offset: Int? { offsets?.start }

    /// The member `key` of this object; nil if this is not an object or has no such member.
    public subscript(key: String) -> ParsedJSON? {
        guard case .object(let object) = value, let i = object.index(for: key) else { return nil }
        return ParsedJSON(value: object.values[i], offsets: offsets?.child(i))
    }

    /// Decodes the document (or this member of it) as `T`.
    public func decode<T: Decodable>(_ type: T.Type = T.self) throws -> T {
        try T(from: TreeDecoder(value: value, codingPath: []))
    }
}

/// Typed reads of a parsed value that never throw: a value of another kind reads as nil. For models
/// that read a few fields of large objects (Stripe's) straight from the tree, which costs a fraction of
/// going through `Decodable`'s containers.
extension ParsedJSON {
    /// The string, if this is a string.
    public var string: String? {
        if case .string(let s) = value { return s }
        return nil
    }

    /// The boolean, if this is a boolean.
    public var bool: Bool? {
        if case .bool(let b) = value { return b }
        return nil
    }

    /// Whether this is `null`.
    public var isNull: Bool {
        if case .null = value { return true }
        return false
    }

    /// The number's literal text as written (checked against JSON's grammar), if this is a number.
    public var numberText: String? {
        if case .number(let text) = value { return text }
        return nil
    }

    /// A short name of the value's kind (`an object`, `a string`, `null`, ...), for error messages.
    public var kind: String { value.kind }

    /// The number as `T` when it is a whole number that fits (`10.0` and `1e3` too, as decoding accepts).
    public func integer<T: FixedWidthInteger>(_ type: T.Type = T.self) -> T? {
        try? Scalars.integer(value, []) as T
    }

    /// An object's members in document order (keys are unique: a repeated key is refused when parsing); nil
    /// if this is not an object.
    public var members: [(key: String, value: ParsedJSON)]? {
        guard case .object(let object) = value else { return nil }
        return object.keys.indices.map { (object.keys[$0], ParsedJSON(value: object.values[$0], offsets: offsets?.child($0))) }
    }

    /// An array's elements; nil if this is not an array.
    public var elements: [ParsedJSON]? {
        guard case .array(let items) = value else { return nil }
        return items.indices.map { ParsedJSON(value: items[$0], offsets: offsets?.child($0)) }
    }
}

/// Decoding a `ParsedJSON` from Wire's own decoder hands over the subtree without copying it, so a model
/// can implement `init(from:)` as `init(json: try ParsedJSON(from: decoder))`. Any other decoder is read
/// value by value.
extension ParsedJSON: Decodable {
    public init(from decoder: any Decoder) throws {
        if let tree = decoder as? TreeDecoder {
            self.init(value: tree.value)
        } else {
            self.init(value: try Self.read(decoder))
        }
    }

    private static func read(_ decoder: any Decoder) throws -> JSONValue {
        if let keyed = try? decoder.container(keyedBy: JSONCodingKey.self) {
            var object = JSONObject()
            for key in keyed.allKeys {
                object.keys.append(key.stringValue)
                object.values.append(try read(keyed.superDecoder(forKey: key)))
            }
            return .object(object)
        }
        if var unkeyed = try? decoder.unkeyedContainer() {
            var items: [JSONValue] = []
            while !unkeyed.isAtEnd { items.append(try read(unkeyed.superDecoder())) }
            return .array(items)
        }
        let single = try decoder.singleValueContainer()
        if single.decodeNil() { return .null }
        if let b = try? single.decode(Bool.self) { return .bool(b) }
        if let i = try? single.decode(Int64.self) { return .number(String(i)) }
        if let d = try? single.decode(Double.self) { return .number(String(d)) }
        return .string(try single.decode(String.self))
    }
}
