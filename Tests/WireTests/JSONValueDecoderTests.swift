import Foundation
import Testing
import Wire

/// JSONValueDecoder must decode what Foundation's JSONDecoder decodes, the same way, and fail where it
/// fails, naming the field.
@Suite("JSONValueDecoder")
struct JSONValueDecoderTests {
    struct Line: Codable, Equatable {
        var sku: String
        var quantity: Int
    }

    struct Order: Codable, Equatable {
        enum Status: String, Codable { case open, paid }
        var id: String
        var amount: Int64
        var ratio: Double
        var paid: Bool
        var status: Status
        var lines: [Line]
        var metadata: [String: String]
        var note: String?
        var tags: [String]?
        var small: UInt8
        var nested: [[Int]]

        enum CodingKeys: String, CodingKey {
            case id, amount, ratio, paid, status, lines, metadata, note, tags, small, nested
        }
    }

    let sample = Order(id: "ord_1 ü \"q\"\n", amount: -9_007_199_254_740_993, ratio: 0.25, paid: true, status: .paid,
                       lines: [Line(sku: "mug", quantity: 2)], metadata: ["order_id": "o1", "é": "✓"], note: nil,
                       tags: ["a"], small: 255, nested: [[1], [], [2, 3]])

    @Test("decodes what JSONEncoder wrote, equal to JSONDecoder's result")
    func roundTrip() throws {
        let bytes = Array(try JSONEncoder().encode(sample))
        let ours = try JSONValueDecoder.decode(Order.self, from: bytes)
        let theirs = try JSONDecoder().decode(Order.self, from: Data(bytes))
        #expect(ours == sample)
        #expect(ours == theirs)
    }

    @Test("escapes, whitespace and unknown members")
    func syntax() throws {
        let text = #" { "sku" : "a\u00e9\ud83d\ude00\/\t" , "quantity": 3, "extra": {"deep": [null, true, 1e5]} } "#
        let line = try JSONValueDecoder.decode(Line.self, from: Array(text.utf8))
        #expect(line == Line(sku: "aé😀/\t", quantity: 3))
    }

    // Decisions written down in JSONScanner.readObject and docs/PROTOCOL.md; found by the json fuzz target.
    @Test("a key repeated in one object is refused, wherever the object is", arguments: [
        #"{"sku":"a","quantity":1,"quantity":3}"#,
        #"{"sku":"a","quantity":1,"extra":{"x":1,"x":1}}"#,
        #"{"sku":"a","quantity":1,"extra":[{"y":[],"y":[]}]}"#,
    ])
    func duplicateKeys(text: String) throws {
        let error = try #require(throws: DecodingError.self) { try JSONValueDecoder.decode(Line.self, from: Array(text.utf8)) }
        #expect(RawJSON.describe(error).contains("duplicate key"))
    }

    @Test("a repeated key among many is found (the hash-set path of large objects)")
    func duplicateInLargeObject() throws {
        let members = (0..<40).map { "\"k\($0)\":\($0)" } + ["\"k7\":0"]
        let bytes = Array(("{" + members.joined(separator: ",") + "}").utf8)
        #expect(throws: DecodingError.self) { try JSONValueDecoder.decode([String: Int].self, from: bytes) }
        let unique = Array(("{" + members.dropLast().joined(separator: ",") + "}").utf8)
        #expect(try JSONValueDecoder.decode([String: Int].self, from: unique).count == 40)
    }

    @Test("keys are compared byte for byte: canonically equivalent keys are different keys")
    func canonicallyEquivalentKeys() throws {
        // "é" precomposed and decomposed, and KELVIN SIGN vs K: equal as Swift Strings, different bytes.
        let both = Array(#"{"\u00e9":1,"e\u0301":2}"#.utf8)
        let tree = try ParsedJSON(parsing: both)
        #expect(tree.members?.count == 2)
        #expect(tree["\u{e9}"]?.integer(Int.self) == 1)
        #expect(tree["e\u{301}"]?.integer(Int.self) == 2)
        struct K: Decodable { var K: Int? }
        #expect(try JSONValueDecoder.decode(K.self, from: Array(#"{"\u212a":1}"#.utf8)).K == nil)
        #expect(try JSONValueDecoder.decode(K.self, from: Array(#"{"K":1}"#.utf8)).K == 1)
    }

    @Test("a number beyond Float or Double throws instead of becoming inf or 0, as with JSONDecoder", arguments: [
        "1e39", "-3.5e38", "1e-46", "1e400", "-1.5e-3002",
    ])
    func floatingPointRange(text: String) throws {
        #expect(throws: DecodingError.self) { try JSONValueDecoder.decode(Float.self, from: Array(text.utf8)) }
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(Float.self, from: Data(text.utf8)) }
        struct F: Decodable { var f: Float }
        #expect(throws: DecodingError.self) { try JSONValueDecoder.decode(F.self, from: Array("{\"f\":\(text)}".utf8)) }
        #expect(throws: DecodingError.self) { try JSONValueDecoder.decode([Float].self, from: Array("[\(text)]".utf8)) }
    }

    @Test("Float and Double limits that do fit still decode")
    func floatingPointLimits() throws {
        #expect(try JSONValueDecoder.decode(Float.self, from: Array("3.4028235e38".utf8)) == .greatestFiniteMagnitude)
        #expect(try JSONValueDecoder.decode(Float.self, from: Array("1.4e-45".utf8)) == .leastNonzeroMagnitude)
        #expect(try JSONValueDecoder.decode(Double.self, from: Array("4.9e-324".utf8)) == .leastNonzeroMagnitude)
        #expect(try JSONValueDecoder.decode(Float.self, from: Array("0e-5000".utf8)) == 0)
    }

    @Test("integers written with a fraction or exponent are checked exactly, not through Double", arguments: [
        ("-922337203685477580.8", nil),          // the fuzz reproducer: Double made it -922337203685477632
        ("9007199254740993.0", 9_007_199_254_740_993),
        ("9007199254740993e0", 9_007_199_254_740_993),
        ("1.5", nil), ("1e-400", nil), ("100e-3", nil), ("0.05e2", 5), ("-1.50e2", -150), ("100e-2", 1),
        ("-0.0", 0), ("1e19", nil), ("922337203685477580.7e1", 9_223_372_036_854_775_807),
    ] as [(String, Int64?)])
    func exactIntegers(text: String, expected: Int64?) throws {
        if let expected {
            #expect(try JSONValueDecoder.decode(Int64.self, from: Array(text.utf8)) == expected)
        } else {
            #expect(throws: DecodingError.self) { try JSONValueDecoder.decode(Int64.self, from: Array(text.utf8)) }
        }
    }

    @Test("whole numbers written as 1e3 or 10.0 decode as integers; fractions do not")
    func numbers() throws {
        #expect(try JSONValueDecoder.decode(Int.self, from: Array("1e3".utf8)) == 1000)
        #expect(try JSONValueDecoder.decode(Int.self, from: Array("10.0".utf8)) == 10)
        #expect(try JSONValueDecoder.decode(Double.self, from: Array("-1.5E-2".utf8)) == -0.015)
        #expect(throws: DecodingError.self) { try JSONValueDecoder.decode(Int.self, from: Array("1.5".utf8)) }
        #expect(throws: DecodingError.self) { try JSONValueDecoder.decode(UInt8.self, from: Array("256".utf8)) }
        #expect(throws: DecodingError.self) { try JSONValueDecoder.decode(UInt.self, from: Array("-1".utf8)) }
    }

    @Test("errors name the field the way RawJSON reports them", arguments: [
        (#"{"sku": "a"}"#, "missing field 'quantity'"),
        (#"{"sku": "a", "quantity": "2"}"#, "field 'quantity': expected Int"),
        (#"{"sku": null, "quantity": 2}"#, "field 'sku': expected String, found null"),
        (#"[1]"#, "field 'payload': expected Dictionary<String, Any>"),
    ])
    func errors(text: String, message: String) throws {
        let error = try #require(throws: DecodingError.self) { try JSONValueDecoder.decode(Line.self, from: Array(text.utf8)) }
        #expect(RawJSON.describe(error).contains(message))
    }

    @Test("nested paths include array indexes")
    func nestedPath() throws {
        struct Body: Decodable { var items: [Line] }
        let text = #"{"items": [{"sku": "a", "quantity": 1}, {"sku": "b", "quantity": true}]}"#
        let error = try #require(throws: DecodingError.self) { try JSONValueDecoder.decode(Body.self, from: Array(text.utf8)) }
        #expect(RawJSON.describe(error) == "field 'items[1].quantity': expected Int")
    }

    @Test("text that is not one JSON value is refused with its offset", arguments: [
        "", "{", #"{"a":1} x"#, #"{"a":01}"#, "[1,]", "\"\u{01}\"", "nul", #"{"a" 1}"#,
    ])
    func notJSON(text: String) throws {
        let error = try #require(throws: DecodingError.self) { try JSONValueDecoder.decode([String: Int].self, from: Array(text.utf8)) }
        guard case .dataCorrupted(let context) = error else {
            Issue.record("expected dataCorrupted, got \(error)")
            return
        }
        #expect(context.debugDescription.hasPrefix("not valid JSON:"))
        #expect(context.debugDescription.contains("at byte"))
    }

    @Test("invalid UTF-8 and nesting beyond the limit are refused")
    func limits() {
        #expect(throws: DecodingError.self) { try JSONValueDecoder.decode(String.self, from: [0x22, 0xC3, 0x28, 0x22]) }
        let deep = String(repeating: "[", count: 100) + String(repeating: "]", count: 100)
        #expect(throws: DecodingError.self) { try JSONValueDecoder.decode([[Int]].self, from: Array(deep.utf8)) }
    }
}

/// JSONValueEncoder must write what Foundation's JSONEncoder writes with sorted keys and unescaped
/// slashes, so every service sees the same bytes as before.
@Suite("JSONValueEncoder")
struct JSONValueEncoderTests {
    struct Item: Codable, Equatable {
        enum Kind: String, Codable { case a, b }
        var text: String
        var count: Int
        var big: UInt64
        var ratio: Double
        var whole: Double
        var flag: Bool
        var kind: Kind
        var maybe: String?
        var present: Int?
        var list: [Int]
        var nested: [String: [String]]
        var zebra: String
        var apple: String
    }

    let sample = Item(text: "a/b \"q\" \\ \n\t\u{01} é 😀", count: -42, big: .max, ratio: 0.1, whole: 3, flag: false,
                      kind: .b, maybe: nil, present: 7, list: [1, 2, 3], nested: ["y": ["1"], "x": []], zebra: "z", apple: "a")

    @Test("the same bytes as JSONEncoder with sorted keys and unescaped slashes")
    func sameBytes() throws {
        let foundation = JSONEncoder()
        foundation.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let theirs = Array(try foundation.encode(sample))
        let ours = try JSONValueEncoder.encode(sample)
        #expect(String(decoding: ours, as: UTF8.self) == String(decoding: theirs, as: UTF8.self))
        #expect(try JSONValueDecoder.decode(Item.self, from: ours) == sample)
    }

    @Test("top-level scalars, arrays and optionals")
    func scalars() throws {
        #expect(try JSONValueEncoder.encode("x") == Array(#""x""#.utf8))
        #expect(try JSONValueEncoder.encode([1, 2]) == Array("[1,2]".utf8))
        #expect(try JSONValueEncoder.encode(Optional<Int>.none) == Array("null".utf8))
        #expect(try JSONValueEncoder.encode([String: Int]()) == Array("{}".utf8))
        #expect(try JSONValueEncoder.encode(1.5) == Array("1.5".utf8))
    }

    @Test("non-finite numbers are refused")
    func nonFinite() {
        #expect(throws: EncodingError.self) { try JSONValueEncoder.encode([Double.nan]) }
        #expect(throws: EncodingError.self) { try JSONValueEncoder.encode(["x": Double.infinity]) }
    }
}
