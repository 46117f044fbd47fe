import Testing
@testable import Wire

@Suite("Envelope encoding and decoding")
struct EnvelopeTests {
    private func decode(_ json: String) throws(Envelope.DecodeError) -> Envelope {
        try Envelope.decode(Array(json.utf8))
    }

    private func decodeError(_ bytes: [UInt8]) -> Envelope.DecodeError? {
        do {
            _ = try Envelope.decode(bytes)
            return nil
        } catch {
            return error
        }
    }

    private func decodeError(_ json: String) -> Envelope.DecodeError? { decodeError(Array(json.utf8)) }

    @Test("a request round-trips through a frame")
    func roundTrip() throws {
        let payload = try RawJSON(validating: Array(#"{"items":[{"sku":"tee","quantity":2}],"note":"ünïcødé \"q\" \n"}"#.utf8))
        let original = Envelope(kind: .request, type: "orders.create", traceID: "trace-1", timestamp: 1_700_000_000_123,
                                payload: payload)
        let frame = original.frame()
        var d = FrameDecoder()
        d.append(frame)
        let body = try #require(try d.next())
        let decoded = try Envelope.decode(slice: body)
        #expect(decoded == original)
    }

    @Test("an error reply carries code, message, retryable and reply_to")
    func errorReply() throws {
        let request = Envelope.request("x.y", traceID: "t")
        let reply = request.reply(error: .unknownType("x.y"))
        let decoded = try Envelope.decode(reply.json())
        #expect(decoded.kind == .response)
        #expect(decoded.replyTo == request.id)
        #expect(decoded.traceID == "t")
        #expect(decoded.error == WireError(code: "unknown_type", message: "no handler for type 'x.y'", retryable: false))
        #expect(decoded.payload == nil)
    }

    @Test("an error code is a type on our side and the same string on the wire, a code this side does not know included")
    func typedCodes() throws {
        let request = Envelope.request("x.y", traceID: "t")
        for code in [WireError.Code.notFound, .resourceExhausted, .internal, WireError.Code(rawValue: "from_a_newer_peer")] {
            let bytes = request.reply(error: WireError(code: code, message: "m")).json()
            #expect(String(decoding: bytes, as: UTF8.self).contains(#""code":"\#(code.rawValue)""#))
            let decoded = try Envelope.decode(bytes)
            #expect(decoded.error?.code == code)
            #expect(try RawJSON(encoding: decoded.error!).decode(WireError.self) == decoded.error, "Codable keeps the code a string")
            #expect(String(decoding: try RawJSON(encoding: decoded.error!).bytes, as: UTF8.self).contains(#""code":"\#(code.rawValue)""#))
        }
        #expect(WireError.Code.notFound.rawValue == "not_found" && WireError.Code.deadlineExceeded.rawValue == "deadline_exceeded")
    }

    @Test("an event is answered by an ack")
    func eventAck() {
        let event = Envelope(kind: .event, type: "payment_intent.succeeded")
        #expect(event.reply(payload: .emptyObject).kind == .ack)
        #expect(event.reply(error: .internalError()).kind == .ack)
    }

    @Test("unknown fields are ignored so services can be upgraded one at a time")
    func unknownFields() throws {
        let e = try decode(#"{"v":1,"id":"m1","kind":"request","type":"sys.ping","future":{"a":[1,2,{"b":null}]},"priority":7.5e3,"ts":5}"#)
        #expect(e.id == "m1")
        #expect(e.type == "sys.ping")
        #expect(e.timestamp == 5)
    }

    @Test("an unsupported version is named as such and keeps the id for the reply")
    func unsupportedVersion() {
        let e = decodeError(#"{"v":2,"id":"m9","kind":"request","type":"sys.ping"}"#)
        #expect(e?.error.code == "unsupported_version")
        #expect(e?.id == "m9")
    }

    @Test("missing or wrongly typed envelope fields are invalid_argument", arguments: [
        (#"{"id":"m","kind":"request","type":"t"}"#, "'v' is missing"),
        (#"{"v":1,"kind":"request","type":"t"}"#, "'id' is missing"),
        (#"{"v":1,"id":"m","type":"t"}"#, "'kind' is missing"),
        (#"{"v":1,"id":"m","kind":"request"}"#, "'type' is missing"),
        (#"{"v":1,"id":"m","kind":"shout","type":"t"}"#, "must be one of"),
        (#"{"v":1,"id":7,"kind":"request","type":"t"}"#, "'id' must be a string"),
        (#"{"v":"1","id":"m","kind":"request","type":"t"}"#, "'v' must be an integer"),
        (#"{"v":1,"id":"m","kind":"request","type":["t"]}"#, "'type' must be a string"),
        (#"{"v":1,"id":"m","kind":"response","type":"t"}"#, "needs 'reply_to'"),
    ])
    func invalidFields(json: String, fragment: String) {
        let e = decodeError(json)
        #expect(e?.error.code == "invalid_argument")
        #expect(e?.error.message.contains(fragment) == true, "\(e?.error.message ?? "no error")")
    }

    @Test("malformed JSON is malformed_message", arguments: [
        "", "   ", "[]", "\"str\"", "{", #"{"v":1,}"#, #"{"v":1 "id":"x"}"#, #"{"v":01}"#, #"{"a":tru}"#,
        #"{"a":"unterminated}"#, #"{"a":"\x"}"#, #"{"a":"\ud800"}"#, #"{"v":1}garbage"#, "{\"a\":\"tab\there\"}",
        #"{"a":1.}"#, #"{"a":-}"#, #"{'a':1}"#,
    ])
    func malformed(json: String) {
        #expect(decodeError(json)?.error.code == "malformed_message")
    }

    @Test("a field given twice is malformed_message, in the envelope and in its payload", arguments: [
        #"{"v":1,"id":"a","id":"b","kind":"request","type":"t"}"#,
        #"{"v":1,"id":"a","kind":"request","type":"t","type":"orders.create"}"#,
        #"{"v":1,"id":"a","kind":"request","type":"t","payload":{"amount":1,"amount":100000}}"#,
    ])
    func duplicateFields(json: String) throws {
        let error = try #require(decodeError(json))
        #expect(error.error.code == "malformed_message")
        #expect(error.error.message.contains("duplicate key"))
    }

    @Test("invalid UTF-8 is refused", arguments: [
        [0xFF], [0xC0, 0xAF], [0xE0, 0x80, 0x80], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xC3], [0xE2, 0x82],
    ] as [[UInt8]])
    func invalidUTF8(bad: [UInt8]) {
        let bytes = Array(#"{"v":1,"id":"m","kind":"request","type":""#.utf8) + bad + Array(#""}"#.utf8)
        #expect(decodeError(bytes)?.error.code == "malformed_message")
    }

    @Test("valid multi-byte UTF-8 and escapes decode")
    func unicode() throws {
        let e = try decode(#"{"v":1,"id":"\u00e9\ud83d\ude00","kind":"request","type":"¥€😀"}"#)
        #expect(e.id == "é😀")
        #expect(e.type == "¥€😀")
    }

    @Test("nesting deeper than the limit is refused")
    func deepNesting() {
        let deep = String(repeating: "[", count: 100) + String(repeating: "]", count: 100)
        #expect(decodeError(#"{"v":1,"id":"m","kind":"request","type":"t","payload":\#(deep)}"#)?.error.code == "malformed_message")
    }

    @Test("an integer overflowing Int64 is refused")
    func overflow() {
        #expect(decodeError(#"{"v":1,"id":"m","kind":"request","type":"t","ts":99999999999999999999}"#) != nil)
    }

    @Test("payload decoding names the failing field")
    func payloadDecoding() throws {
        struct Item: Decodable { let sku: String; let quantity: Int }
        struct Order: Decodable { let items: [Item] }
        let raw = try RawJSON(validating: Array(#"{"items":[{"sku":"a","quantity":"two"}]}"#.utf8))
        #expect(throws: WireError.self) { try raw.decode(Order.self) }
        do {
            _ = try raw.decode(Order.self)
            Issue.record("decoding should have failed")
        } catch {
            #expect(error.code == "invalid_argument")
            #expect(error.message.contains("items[0].quantity"))
        }
        let missing = try RawJSON(validating: Array(#"{}"#.utf8))
        do {
            _ = try missing.decode(Order.self)
            Issue.record("decoding should have failed")
        } catch {
            #expect(error.message.contains("missing field 'items'"))
        }
    }

    @Test("message ids are unique")
    func uniqueIDs() {
        let ids = (0..<10_000).map { _ in MessageID.next() }
        #expect(Set(ids).count == ids.count)
    }

    @Test("random ids are 32 hex digits, distinct across pool refills and threads")
    func randomIDs() async {
        let perTask = 1_000  // each task crosses ~30 refills of the 32-id pool
        let ids = await withTaskGroup(of: [String].self) { group in
            for _ in 0..<4 { group.addTask { (0..<perTask).map { _ in MessageID.random() } } }
            var all: [String] = []
            for await some in group { all += some }
            return all
        }
        #expect(ids.count == 4 * perTask)
        #expect(Set(ids).count == ids.count)
        #expect(ids.allSatisfy { $0.utf8.count == 32 && $0.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) } })
        // Not constant within an id: both halves carry entropy.
        #expect(Set(ids.map { $0.prefix(16) }).count == ids.count)
        #expect(Set(ids.map { $0.suffix(16) }).count == ids.count)
    }

    @Test("JSONWriter escapes control characters and quotes")
    func writerEscapes() throws {
        var w = JSONWriter()
        w.beginObject()
        w.field("k", "a\"b\\c\n\u{01}")
        w.endObject()
        let raw = try RawJSON(validating: w.bytes)
        #expect(raw.description == #"{"k":"a\"b\\c\n\u0001"}"#)
    }
}
