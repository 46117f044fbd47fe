/// A strict, allocation-light JSON reader over UTF-8 bytes (RFC 8259).
///
/// It reads the envelope's few fields directly and validates the rest (payload, unknown fields) without
/// building a tree, which keeps decoding a ~200-byte message in the low microseconds. Invalid UTF-8 inside
/// strings, control characters, trailing garbage and nesting deeper than ``maxDepth`` are all rejected.
struct JSONScanner: ~Copyable {
    static let maxDepth = 64

    private let bytes: UnsafeBufferPointer<UInt8>
    private(set) var position = 0

    init(_ bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
    }

    /// Why the bytes are not the JSON expected, with the byte offset.
    struct Failure: Error {
        let message: String
        let offset: Int
        /// The key, when the failure is a key given twice in one object.
        var duplicateKey: String?
        var description: String { "\(message) at byte \(offset)" }
    }

    var isAtEnd: Bool { position >= bytes.count }

    /// The bytes in `range`, as text (only for ranges the scanner validated).
    func text(_ range: Range<Int>) -> String {
        String(decoding: UnsafeBufferPointer(rebasing: bytes[range]), as: UTF8.self)
    }

    mutating func fail(_ message: String) -> Failure { Failure(message: message, offset: position) }

    mutating func skipWhitespace() {
        while position < bytes.count {
            switch bytes[position] {
            case 0x20, 0x09, 0x0A, 0x0D: position += 1
            default: return
            }
        }
    }

    /// The next non-whitespace byte, without consuming it.
    mutating func peek() -> UInt8? {
        skipWhitespace()
        return position < bytes.count ? bytes[position] : nil
    }

    mutating func expect(_ byte: UInt8) throws(Failure) {
        guard peek() == byte else {
            throw fail("expected '\(Character(Unicode.Scalar(byte)))'")
        }
        position += 1
    }

    /// Consumes `byte` if it is next.
    mutating func consume(_ byte: UInt8) -> Bool {
        if peek() == byte {
            position += 1
            return true
        }
        return false
    }

    /// Requires that only whitespace remains.
    mutating func expectEnd() throws(Failure) {
        skipWhitespace()
        if position != bytes.count { throw fail("unexpected data after the JSON value") }
    }

    /// Iterates an object's members: `body` is called with each key and must consume the value.
    ///
    /// A key that appears twice in one object is refused ("duplicate key"), whatever the caller reads.
    /// RFC 8259 leaves duplicates to the implementation and implementations disagree (JSONDecoder keeps
    /// the first, Python's json the last): for messages that move money, two readers of the same bytes
    /// must never see two different amounts, so no reader here picks one. Keys are compared byte for
    /// byte after unescaping, with no Unicode normalisation: `"é"` and `"e\u0301"` are two different
    /// keys, as RFC 8259 §8.3 compares names (Swift's `String ==` would call them equal).
    mutating func readObject(_ body: (inout JSONScanner, String) throws(Failure) -> Void) throws(Failure) {
        try expect(UInt8(ascii: "{"))
        if consume(UInt8(ascii: "}")) { return }
        var keys = ObjectKeys()
        repeat {
            guard peek() == UInt8(ascii: "\"") else { throw fail("expected a string key") }
            let keyStart = position
            let key = try readString()
            guard keys.insert(key) else {
                position = keyStart
                var failure = fail("duplicate key \"\(key.prefix(64))\"")
                failure.duplicateKey = key
                throw failure
            }
            try expect(UInt8(ascii: ":"))
            try body(&self, key)
        } while consume(UInt8(ascii: ","))
        try expect(UInt8(ascii: "}"))
    }

    /// Reads a string value, decoding escapes.
    mutating func readString() throws(Failure) -> String {
        try expect(UInt8(ascii: "\""))
        let begin = position
        // Fast path: no escapes. Validate UTF-8 as we go, then build the String from the bytes.
        while position < bytes.count {
            let b = bytes[position]
            if b == UInt8(ascii: "\"") {
                let s = String(decoding: UnsafeBufferPointer(rebasing: bytes[begin..<position]), as: UTF8.self)
                position += 1
                return s
            }
            if b == UInt8(ascii: "\\") { break }
            if b < 0x20 { throw fail("control character in string") }
            if b < 0x80 { position += 1 } else { try skipUTF8Sequence() }
        }
        // Slow path: escapes present.
        var out = [UInt8](UnsafeBufferPointer(rebasing: bytes[begin..<position]))
        while position < bytes.count {
            let b = bytes[position]
            switch b {
            case UInt8(ascii: "\""):
                position += 1
                return String(decoding: out, as: UTF8.self)
            case UInt8(ascii: "\\"):
                position += 1
                try readEscape(into: &out)
            case 0..<0x20:
                throw fail("control character in string")
            case 0..<0x80:
                out.append(b)
                position += 1
            default:
                let s = position
                try skipUTF8Sequence()
                out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[s..<position]))
            }
        }
        throw fail("unterminated string")
    }

    private mutating func readEscape(into out: inout [UInt8]) throws(Failure) {
        guard position < bytes.count else { throw fail("unterminated escape") }
        let e = bytes[position]
        position += 1
        switch e {
        case UInt8(ascii: "\""): out.append(0x22)
        case UInt8(ascii: "\\"): out.append(0x5C)
        case UInt8(ascii: "/"): out.append(0x2F)
        case UInt8(ascii: "b"): out.append(0x08)
        case UInt8(ascii: "f"): out.append(0x0C)
        case UInt8(ascii: "n"): out.append(0x0A)
        case UInt8(ascii: "r"): out.append(0x0D)
        case UInt8(ascii: "t"): out.append(0x09)
        case UInt8(ascii: "u"):
            var scalar = try readHex4()
            if (0xD800...0xDBFF).contains(scalar) {
                // A high surrogate must be followed by an escaped low surrogate.
                guard position + 1 < bytes.count, bytes[position] == UInt8(ascii: "\\"),
                      bytes[position + 1] == UInt8(ascii: "u") else { throw fail("unpaired surrogate") }
                position += 2
                let low = try readHex4()
                guard (0xDC00...0xDFFF).contains(low) else { throw fail("unpaired surrogate") }
                scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
            } else if (0xDC00...0xDFFF).contains(scalar) {
                throw fail("unpaired surrogate")
            }
            guard let u = Unicode.Scalar(scalar) else { throw fail("invalid unicode escape") }
            out.append(contentsOf: UTF8.encode(u)!)
        default:
            throw fail("invalid escape")
        }
    }

    private mutating func readHex4() throws(Failure) -> UInt32 {
        guard position + 4 <= bytes.count else { throw fail("truncated unicode escape") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let c = bytes[position]
            let digit: UInt32
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(c - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(c - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(c - UInt8(ascii: "A") + 10)
            default: throw fail("invalid hex digit in unicode escape")
            }
            value = value << 4 | digit
            position += 1
        }
        return value
    }

    /// Validates one multi-byte UTF-8 sequence (no overlongs, no surrogates, at most U+10FFFF).
    private mutating func skipUTF8Sequence() throws(Failure) {
        let lead = bytes[position]
        let count: Int
        var lower: UInt8 = 0x80, upper: UInt8 = 0xBF
        switch lead {
        case 0xC2...0xDF: count = 2
        case 0xE0: count = 3; lower = 0xA0
        case 0xE1...0xEC, 0xEE...0xEF: count = 3
        case 0xED: count = 3; upper = 0x9F
        case 0xF0: count = 4; lower = 0x90
        case 0xF1...0xF3: count = 4
        case 0xF4: count = 4; upper = 0x8F
        default: throw fail("invalid UTF-8")
        }
        guard position + count <= bytes.count else { throw fail("invalid UTF-8") }
        let second = bytes[position + 1]
        guard second >= lower && second <= upper else { throw fail("invalid UTF-8") }
        for i in 2..<count where bytes[position + i] & 0xC0 != 0x80 {
            throw fail("invalid UTF-8")
        }
        position += count
    }

    /// Reads an integer that fits in Int64 (no fraction or exponent).
    mutating func readInt() throws(Failure) -> Int64 {
        skipWhitespace()
        let begin = position
        try skipNumber()
        var value: Int64 = 0
        var negative = false
        var i = begin
        if bytes[i] == UInt8(ascii: "-") { negative = true; i += 1 }
        while i < position {
            let c = bytes[i]
            guard c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") else {
                position = begin
                throw fail("expected an integer")
            }
            let (m, o1) = value.multipliedReportingOverflow(by: 10)
            let (a, o2) = m.addingReportingOverflow(Int64(c - UInt8(ascii: "0")))
            if o1 || o2 { position = begin; throw fail("integer out of range") }
            value = a
            i += 1
        }
        return negative ? -value : value
    }

    /// Reads `true` or `false`.
    mutating func readBool() throws(Failure) -> Bool {
        skipWhitespace()
        if matchLiteral("true") { return true }
        if matchLiteral("false") { return false }
        throw fail("expected true or false")
    }

    /// Consumes `null` if it is next.
    mutating func consumeNull() -> Bool {
        skipWhitespace()
        return matchLiteral("null")
    }

    private mutating func matchLiteral(_ literal: StaticString) -> Bool {
        let n = literal.utf8CodeUnitCount
        guard position + n <= bytes.count else { return false }
        let lit = literal.utf8Start
        for i in 0..<n where bytes[position + i] != lit[i] { return false }
        position += n
        return true
    }

    /// Validates and skips any JSON value, returning the byte range it occupied.
    @discardableResult
    mutating func skipValue(depth: Int = 0) throws(Failure) -> Range<Int> {
        guard depth < JSONScanner.maxDepth else { throw fail("nesting deeper than \(JSONScanner.maxDepth)") }
        guard let c = peek() else { throw fail("expected a value") }
        let begin = position
        switch c {
        case UInt8(ascii: "{"):
            try readObject { (s: inout JSONScanner, _: String) throws(Failure) in try s.skipValue(depth: depth + 1) }
        case UInt8(ascii: "["):
            position += 1
            if !consume(UInt8(ascii: "]")) {
                repeat { try skipValue(depth: depth + 1) } while consume(UInt8(ascii: ","))
                try expect(UInt8(ascii: "]"))
            }
        case UInt8(ascii: "\""):
            try skipString()
        case UInt8(ascii: "t"), UInt8(ascii: "f"):
            _ = try readBool()
        case UInt8(ascii: "n"):
            if !consumeNull() { throw fail("invalid literal") }
        default:
            try skipNumber()
        }
        return begin..<position
    }

    /// Validates a string without decoding it.
    private mutating func skipString() throws(Failure) {
        try expect(UInt8(ascii: "\""))
        var scratch: [UInt8] = []
        while position < bytes.count {
            let b = bytes[position]
            switch b {
            case UInt8(ascii: "\""):
                position += 1
                return
            case UInt8(ascii: "\\"):
                position += 1
                scratch.removeAll(keepingCapacity: true)
                try readEscape(into: &scratch)
            case 0..<0x20:
                throw fail("control character in string")
            case 0..<0x80:
                position += 1
            default:
                try skipUTF8Sequence()
            }
        }
        throw fail("unterminated string")
    }

    /// Validates a number per the JSON grammar.
    mutating func skipNumber() throws(Failure) {
        let begin = position
        func digit(_ b: UInt8) -> Bool { b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9") }
        if position < bytes.count && bytes[position] == UInt8(ascii: "-") { position += 1 }
        guard position < bytes.count, digit(bytes[position]) else { position = begin; throw fail("invalid number") }
        if bytes[position] == UInt8(ascii: "0") {
            position += 1
        } else {
            while position < bytes.count && digit(bytes[position]) { position += 1 }
        }
        if position < bytes.count && bytes[position] == UInt8(ascii: ".") {
            position += 1
            guard position < bytes.count, digit(bytes[position]) else { throw fail("invalid number") }
            while position < bytes.count && digit(bytes[position]) { position += 1 }
        }
        if position < bytes.count && (bytes[position] | 0x20) == UInt8(ascii: "e") {
            position += 1
            if position < bytes.count && (bytes[position] == UInt8(ascii: "+") || bytes[position] == UInt8(ascii: "-")) {
                position += 1
            }
            guard position < bytes.count, digit(bytes[position]) else { throw fail("invalid number") }
            while position < bytes.count && digit(bytes[position]) { position += 1 }
        }
    }
}

/// The keys of one object read so far, compared byte for byte (see ``JSONScanner/readObject(_:)``). A
/// linear scan for the few keys of a message; a hash set once an object is large, so a hostile object of
/// many thousand keys costs linear time, not quadratic.
struct ObjectKeys {
    private var small: [String] = []
    private var large: Set<ExactKey> = []
    private static let linearLimit = 16

    /// Adds `key`; false if it is already there.
    mutating func insert(_ key: String) -> Bool {
        if small.count < Self.linearLimit {
            let length = key.utf8.count
            for k in small where k.utf8.count == length && k.utf8.elementsEqual(key.utf8) { return false }
            small.append(key)
            if small.count == Self.linearLimit { large = Set(small.map(ExactKey.init)) }
            return true
        }
        return large.insert(ExactKey(key)).inserted
    }
}

/// A string that is equal to another only when their UTF-8 bytes are: no Unicode normalisation.
struct ExactKey: Hashable {
    let text: String
    init(_ text: String) { self.text = text }
    static func == (a: ExactKey, b: ExactKey) -> Bool { a.text.utf8.elementsEqual(b.text.utf8) }
    func hash(into hasher: inout Hasher) {
        var copy = text
        copy.withUTF8 { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
    }
}
