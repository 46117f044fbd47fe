/// A parsed JSON document, as read by ``JSONScanner`` (strict: valid UTF-8, no trailing data, bounded
/// depth). It exists for ``JSONValueDecoder``: numbers keep their literal text, so each is converted
/// exactly once, to the type the decoded field asks for.
enum JSONValue: Sendable {
    case null
    case bool(Bool)
    /// The number's literal text, already checked against the JSON grammar.
    case number(String)
    case string(String)
    case array([JSONValue])
    case object(JSONObject)

    /// Parses exactly one JSON value from `bytes`.
    static func parse(_ bytes: some Collection<UInt8>) throws(JSONScanner.Failure) -> JSONValue {
        let run = { (buffer: UnsafeBufferPointer<UInt8>) throws(JSONScanner.Failure) -> JSONValue in
            var scanner = JSONScanner(buffer)
            let value = try scanner.readValue(depth: 0)
            try scanner.expectEnd()
            return value
        }
        if let result = bytes.withContiguousStorageIfAvailable({ buffer in
            Result { () throws(JSONScanner.Failure) in try run(buffer) }
        }) {
            return try result.get()
        }
        return try Array(bytes).withUnsafeBufferPointer { buffer in
            Result { () throws(JSONScanner.Failure) in try run(buffer) }
        }.get()
    }

    /// A short name of the value's kind, for error messages.
    var kind: String {
        switch self {
        case .null: "null"
        case .bool: "a boolean"
        case .number: "a number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }
}

/// An object's members in document order. Keys are unique: the scanner refuses an object that repeats
/// one (see ``JSONScanner/readObject(_:)``). Lookups scan linearly and compare bytes, not Unicode
/// canonical equivalence, which also beats hashing for the few dozen members of the objects exchanged here.
struct JSONObject: Sendable {
    var keys: [String] = []
    var values: [JSONValue] = []

    func value(for key: String) -> JSONValue? {
        // Comparing lengths first (O(1) for native strings) skips most members without comparing bytes.
        let length = key.utf8.count
        for i in keys.indices where keys[i].utf8.count == length && keys[i].utf8.elementsEqual(key.utf8) {
            return values[i]
        }
        return nil
    }

    /// The position of member `key`, or nil (for `ParsedJSON`, which also needs the member's offsets).
    func index(for key: String) -> Int? {
        let length = key.utf8.count
        for i in keys.indices where keys[i].utf8.count == length && keys[i].utf8.elementsEqual(key.utf8) {
            return i
        }
        return nil
    }
}

extension JSONScanner {
    /// Reads any JSON value into a tree.
    mutating func readValue(depth: Int) throws(Failure) -> JSONValue {
        guard depth < JSONScanner.maxDepth else { throw fail("nesting deeper than \(JSONScanner.maxDepth)") }
        guard let c = peek() else { throw fail("expected a value") }
        switch c {
        case UInt8(ascii: "{"):
            var object = JSONObject()
            try readObject { (s: inout JSONScanner, key: String) throws(Failure) in
                object.keys.append(key)
                object.values.append(try s.readValue(depth: depth + 1))
            }
            return .object(object)
        case UInt8(ascii: "["):
            _ = consume(UInt8(ascii: "["))
            var items: [JSONValue] = []
            if !consume(UInt8(ascii: "]")) {
                repeat { items.append(try readValue(depth: depth + 1)) } while consume(UInt8(ascii: ","))
                try expect(UInt8(ascii: "]"))
            }
            return .array(items)
        case UInt8(ascii: "\""):
            return .string(try readString())
        case UInt8(ascii: "t"), UInt8(ascii: "f"):
            return .bool(try readBool())
        case UInt8(ascii: "n"):
            if !consumeNull() { throw fail("invalid literal") }
            return .null
        default:
            let begin = position
            try skipNumber()
            return .number(text(begin..<position))
        }
    }
}

/// A coding key for paths (array indexes, `super`) in ``JSONValueDecoder`` and ``JSONValueEncoder``.
struct JSONCodingKey: CodingKey {
    var stringValue: String
    var intValue: Int?
    init(stringValue: String) { self.stringValue = stringValue }
    init(intValue: Int) {
        self.stringValue = "\(intValue)"
        self.intValue = intValue
    }
}
