import Wire

/// Parses UTF-8 JSON into ``JSON`` (objects keep key order) for the JSON bodies of the test-helper
/// endpoints and the objects read back from the database. The reading is the services' own (Shared/Wire):
/// RFC 8259 exactly (`01`, `+1` and `1.` are refused, as real JSON refuses them), valid UTF-8, no key
/// given twice, bounded nesting, no trailing data. Only the ordered output type is the stand-in's.
enum JSONParser {
    typealias Failure = ParsedJSON.SyntaxError

    static func parse(_ bytes: [UInt8]) throws(Failure) -> JSON {
        JSON(try ParsedJSON.parse(bytes, recordingOffsets: false))
    }

    static func parse(_ text: String) throws(Failure) -> JSON { try parse(Array(text.utf8)) }
}

extension JSON {
    /// The stand-in's value for a parsed one: an integer literal that fits is `.int`, any other number
    /// `.double`.
    init(_ tree: ParsedJSON) {
        if let members = tree.members {
            self = .object(JSONObject(members.map { ($0.key, JSON($0.value)) }))
        } else if let elements = tree.elements {
            self = .array(elements.map(JSON.init))
        } else if let s = tree.string {
            self = .string(s)
        } else if let b = tree.bool {
            self = .bool(b)
        } else if let text = tree.numberText {
            let isInteger = !text.utf8.contains { $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "e") || $0 == UInt8(ascii: "E") }
            if isInteger, let n = Int64(text) {
                self = .int(n)
            } else {
                // The reader checked the literal against JSON's grammar, which Double's parser accepts.
                self = .double(Double(text) ?? .nan)
            }
        } else {
            self = .null
        }
    }
}
