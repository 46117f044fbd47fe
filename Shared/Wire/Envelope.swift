import FoundationEssentials

/// One message on the wire. Serialized as a single JSON object inside a frame; see `docs/PROTOCOL.md`.
public struct Envelope: Sendable, Equatable {
    /// The protocol version this code speaks.
    public static let protocolVersion = 1
    /// Longest accepted `type`; method and event names are short, and replies echo the type.
    public static let maxTypeBytes = 256

    /// What a message is.
    public enum Kind: String, Sendable, Codable, CaseIterable {
        /// Asks for a `response`.
        case request
        /// Answers a `request` (`reply_to` is the request's id).
        case response
        /// Announces something that happened; answered by an `ack`.
        case event
        /// Answers an `event`: without `error` it means "durably handled"; with one, "redeliver later".
        case ack
    }

    public var v: Int
    /// Unique id of this message.
    public var id: String
    public var kind: Kind
    /// A method (`orders.create`) or an event type (`payment_intent.succeeded`).
    public var type: String
    /// The id of the request or event this message answers.
    public var replyTo: String?
    /// Carried unchanged end to end, from the HTTP request to the last service touched.
    public var traceID: String?
    /// Milliseconds since the Unix epoch when the message was created.
    public var timestamp: Int64
    /// The message's data. Absent on errors.
    public var payload: RawJSON?
    /// Set instead of a payload when a request or event failed.
    public var error: WireError?

    public init(v: Int = Envelope.protocolVersion, id: String = MessageID.next(), kind: Kind, type: String,
                replyTo: String? = nil, traceID: String? = nil, timestamp: Int64 = Envelope.now(),
                payload: RawJSON? = nil, error: WireError? = nil) {
        self.v = v
        self.id = id
        self.kind = kind
        self.type = type
        self.replyTo = replyTo
        self.traceID = traceID
        self.timestamp = timestamp
        self.payload = payload
        self.error = error
    }

    /// A request with a payload.
    public static func request(_ type: String, payload: RawJSON? = nil, traceID: String? = nil) -> Envelope {
        Envelope(kind: .request, type: type, traceID: traceID, payload: payload)
    }

    /// The answer to this request or event: a `response` or an `ack`, carrying the trace id along.
    public func reply(payload: RawJSON?) -> Envelope {
        Envelope(kind: kind == .event ? .ack : .response, type: type, replyTo: id, traceID: traceID, payload: payload)
    }

    /// The error answer to this request or event.
    public func reply(error: WireError) -> Envelope {
        Envelope(kind: kind == .event ? .ack : .response, type: type, replyTo: id, traceID: traceID, error: error)
    }

    /// Current time in Unix milliseconds.
    public static func now() -> Int64 {
        Int64((Date().timeIntervalSince1970 * 1000).rounded())
    }

    // MARK: Encoding

    /// The envelope as a complete frame (length prefix included), ready to write.
    public func frame() -> [UInt8] {
        var w = JSONWriter(prefix: [0, 0, 0, 0])
        w.beginObject()
        w.field("v", Int64(v))
        w.field("id", id)
        w.field("kind", kind.rawValue)
        w.field("type", type)
        if let replyTo { w.field("reply_to", replyTo) }
        if let traceID { w.field("trace_id", traceID) }
        w.field("ts", timestamp)
        if let payload {
            w.key("payload")
            w.raw(payload.bytes)
        }
        if let error {
            w.key("error")
            w.beginObject()
            w.field("code", error.code.rawValue)
            w.field("message", error.message)
            w.field("retryable", error.retryable)
            if let reason = error.reason { w.field("reason", reason) }
            w.endObject()
        }
        w.endObject()
        var bytes = w.bytes
        Frame.patchHeader(UInt32(bytes.count - Frame.headerSize), in: &bytes)
        return bytes
    }

    /// The JSON object alone, without the length prefix.
    public func json() -> [UInt8] { Array(frame().dropFirst(Frame.headerSize)) }

    // MARK: Decoding

    /// Why a frame's bytes are not a usable envelope. Carries what could be read, so the receiver can still
    /// address its error answer (`reply_to`) when the id was readable.
    public struct DecodeError: Error, Sendable {
        /// The error to send back.
        public var error: WireError
        /// The id, if it could be read.
        public var id: String?
        /// The kind, if it could be read (an error answer to an event is an `ack`).
        public var kind: Kind?
        public var type: String?
        public var traceID: String?
    }

    /// Decodes one envelope from a frame's payload bytes. Unknown fields are ignored.
    public static func decode(_ bytes: some Collection<UInt8>) throws(DecodeError) -> Envelope {
        let array = bytes as? [UInt8] ?? Array(bytes)
        return try array.withUnsafeBufferPointer { buf throws(DecodeError) in try decode(buffer: buf) }
    }

    /// Decodes one envelope from a frame's payload slice without copying it first.
    public static func decode(slice: ArraySlice<UInt8>) throws(DecodeError) -> Envelope {
        try slice.withUnsafeBufferPointer { buf throws(DecodeError) in try decode(buffer: buf) }
    }

    private static func decode(buffer: UnsafeBufferPointer<UInt8>) throws(DecodeError) -> Envelope {
        var v: Int64?, id: String?, kind: String?, type: String?
        var replyTo: String?, traceID: String?, ts: Int64?
        var payloadRange: Range<Int>?, error: WireError?
        var typeProblem: String?
        var scanner = JSONScanner(buffer)
        do throws(JSONScanner.Failure) {
            guard scanner.peek() == UInt8(ascii: "{") else {
                throw scanner.fail("a frame must hold one JSON object")
            }
            try scanner.readObject { (s: inout JSONScanner, key: String) throws(JSONScanner.Failure) in
                // A field of the wrong JSON type is well-formed JSON: note it (invalid_argument) and move on.
                func expecting(_ kind: String, _ starts: (UInt8) -> Bool) -> Bool {
                    if let c = s.peek(), starts(c) { return true }
                    if typeProblem == nil { typeProblem = "envelope field '\(key)' must be \(kind)" }
                    return false
                }
                let string = { (c: UInt8) in c == UInt8(ascii: "\"") }
                let integer = { (c: UInt8) in c == UInt8(ascii: "-") || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(c) }
                let object = { (c: UInt8) in c == UInt8(ascii: "{") }
                switch key {
                case "v" where expecting("an integer", integer): v = try s.readInt()
                case "id" where expecting("a string", string): id = try s.readString()
                case "kind" where expecting("a string", string): kind = try s.readString()
                case "type" where expecting("a string", string): type = try s.readString()
                case "reply_to" where s.consumeNull(): replyTo = nil
                case "reply_to" where expecting("a string or null", string): replyTo = try s.readString()
                case "trace_id" where s.consumeNull(): traceID = nil
                case "trace_id" where expecting("a string or null", string): traceID = try s.readString()
                case "ts" where expecting("an integer", integer): ts = try s.readInt()
                case "payload":
                    let r = try s.skipValue()
                    payloadRange = buffer[r.lowerBound] == UInt8(ascii: "n") ? nil : r
                case "error" where s.consumeNull(): error = nil
                case "error" where expecting("an object or null", object): error = try readError(&s)
                default: try s.skipValue()
                }
            }
            try scanner.expectEnd()
        } catch {
            throw DecodeError(error: .malformedMessage("invalid JSON envelope: \(error.description)"),
                              id: id, kind: kind.flatMap(Kind.init(rawValue:)), type: type, traceID: traceID)
        }
        func invalid(_ message: String) -> DecodeError {
            DecodeError(error: .invalidArgument(message), id: id, kind: kind.flatMap(Kind.init(rawValue:)),
                        type: type, traceID: traceID)
        }
        if let typeProblem { throw invalid(typeProblem) }
        guard let v else { throw invalid("envelope field 'v' is missing") }
        guard v == Int64(protocolVersion) else {
            throw DecodeError(error: .unsupportedVersion(Int(clamping: v)), id: id,
                              kind: kind.flatMap(Kind.init(rawValue:)), type: type, traceID: traceID)
        }
        guard let id, !id.isEmpty else { throw invalid("envelope field 'id' is missing or empty") }
        guard let kindString = kind else { throw invalid("envelope field 'kind' is missing") }
        guard let parsedKind = Kind(rawValue: kindString) else {
            throw invalid("envelope field 'kind' must be one of request, response, event, ack; got '\(kindString)'")
        }
        guard let type, !type.isEmpty else { throw invalid("envelope field 'type' is missing or empty") }
        guard type.utf8.count <= maxTypeBytes else {
            throw DecodeError(error: .invalidArgument("envelope field 'type' is longer than \(maxTypeBytes) bytes"),
                              id: id, kind: parsedKind, type: String(type.prefix(64)), traceID: traceID)
        }
        // A connection-level error (for example a rejected frame) may answer no particular message.
        if (parsedKind == .response || parsedKind == .ack) && replyTo == nil && error == nil {
            throw invalid("a \(parsedKind.rawValue) without 'error' needs 'reply_to'")
        }
        let payload = payloadRange.map { RawJSON(trusted: Array(UnsafeBufferPointer(rebasing: buffer[$0]))) }
        return Envelope(v: Int(v), id: id, kind: parsedKind, type: type, replyTo: replyTo, traceID: traceID,
                        timestamp: ts ?? 0, payload: payload, error: error)
    }

    private static func readError(_ s: inout JSONScanner) throws(JSONScanner.Failure) -> WireError {
        var code = "unknown", message = "", retryable = false, reason: String?
        try s.readObject { (s: inout JSONScanner, key: String) throws(JSONScanner.Failure) in
            switch key {
            case "code": code = try s.readString()
            case "message": message = try s.readString()
            case "retryable": retryable = try s.readBool()
            case "reason": reason = try s.readString()
            default: try s.skipValue()
            }
        }
        return WireError(code: WireError.Code(rawValue: code), message: message, retryable: retryable, reason: reason)
    }
}
