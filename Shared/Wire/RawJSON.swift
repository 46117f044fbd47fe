
/// One JSON value kept as its validated UTF-8 bytes, so a relay or router can pass a payload on without
/// decoding it. Typed access goes through Codable.
public struct RawJSON: Sendable, Hashable, CustomStringConvertible {
    /// The value's bytes: valid UTF-8 JSON.
    public let bytes: [UInt8]

    /// Wraps bytes that are already known to be one valid JSON value.
    init(trusted bytes: [UInt8]) {
        self.bytes = bytes
    }

    /// Validates `bytes` as exactly one JSON value.
    public init(validating bytes: some Collection<UInt8>) throws(WireError) {
        let copy = Array(bytes)
        let ok: Result<Void, JSONScanner.Failure> = copy.withUnsafeBufferPointer { buf in
            var scanner = JSONScanner(buf)
            do throws(JSONScanner.Failure) {
                try scanner.skipValue()
                try scanner.expectEnd()
                return .success(())
            } catch {
                return .failure(error)
            }
        }
        if case .failure(let f) = ok { throw .malformedMessage("invalid JSON: \(f.description)") }
        self.bytes = copy
    }

    /// Encodes a Codable value.
    public init(encoding value: some Encodable) throws(WireError) {
        do {
            self.bytes = try JSONValueEncoder.encode(value)
        } catch {
            throw .internalError("could not encode payload: \(error)")
        }
    }

    /// The empty object `{}`.
    public static let emptyObject = RawJSON(trusted: Array("{}".utf8))

    /// Decodes the payload as `T`; a mismatch is an `invalid_argument` naming the field.
    public func decode<T: Decodable>(_ type: T.Type = T.self) throws(WireError) -> T {
        do {
            return try JSONValueDecoder.decode(T.self, from: bytes)
        } catch let error as DecodingError {
            throw .invalidArgument("invalid payload: \(Self.describe(error))")
        } catch {
            throw .invalidArgument("invalid payload: \(error)")
        }
    }

    public var description: String { String(decoding: bytes, as: UTF8.self) }

    /// The member `key` of this object, as its own bytes; nil if this is not an object or has no such member.
    public func member(_ key: String) -> RawJSON? {
        bytes.withUnsafeBufferPointer { buffer in
            var scanner = JSONScanner(buffer)
            var found: Range<Int>?
            guard scanner.peek() == UInt8(ascii: "{") else { return nil }
            try? scanner.readObject { (s: inout JSONScanner, name: String) throws(JSONScanner.Failure) in
                let range = try s.skipValue()
                if found == nil, name.utf8.elementsEqual(key.utf8) { found = range }
            }
            return found.map { RawJSON(trusted: Array(buffer[$0])) }
        }
    }

    /// The elements of this array, each as its own bytes (exactly as they were written); nil if this is
    /// not an array.
    public var elements: [RawJSON]? {
        bytes.withUnsafeBufferPointer { buffer in
            var scanner = JSONScanner(buffer)
            guard scanner.consume(UInt8(ascii: "[")) else { return nil }
            var items: [RawJSON] = []
            if scanner.consume(UInt8(ascii: "]")) { return items }
            repeat {
                guard let range = try? scanner.skipValue() else { return nil }
                items.append(RawJSON(trusted: Array(buffer[range])))
            } while scanner.consume(UInt8(ascii: ","))
            return items
        }
    }

    /// A one-line explanation of a decoding error that names the field, e.g. `items[0].quantity: expected Int`.
    public static func describe(_ error: DecodingError) -> String {
        func path(_ keys: [any CodingKey]) -> String {
            var out = ""
            for key in keys {
                if let i = key.intValue { out += "[\(i)]" } else { out += out.isEmpty ? key.stringValue : ".\(key.stringValue)" }
            }
            return out.isEmpty ? "payload" : out
        }
        switch error {
        case .keyNotFound(let key, let ctx):
            return "missing field '\(path(ctx.codingPath + [key]))'"
        case .typeMismatch(let type, let ctx):
            return "field '\(path(ctx.codingPath))': expected \(type)"
        case .valueNotFound(let type, let ctx):
            return "field '\(path(ctx.codingPath))': expected \(type), found null"
        case .dataCorrupted(let ctx):
            return "field '\(path(ctx.codingPath))': \(ctx.debugDescription)"
        @unknown default:
            return "\(error)"
        }
    }
}
