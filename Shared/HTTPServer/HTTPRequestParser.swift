/// An incremental HTTP/1.1 request parser over bytes: no sockets, no clock, so every rule is testable on
/// raw input.
///
/// Feed bytes with ``append(_:)-([UInt8])`` and call ``next()`` until it answers ``Result/needMore``; each
/// call yields at most one request, so pipelined requests in one buffer come out one by one. After an
/// error the parser stays failed: the connection must be answered and closed, since the stream can no
/// longer be framed.
///
/// It is deliberately strict, because a lenient parser behind a proxy invites request smuggling:
/// - lines end in CRLF; a bare LF (or a stray CR) is refused with 400 rather than tolerated;
/// - the request line is `METHOD SP target SP HTTP/1.x`, single spaces; only HTTP/1.0 and 1.1 (else 505);
///   methods outside ``HTTPMethod`` get 501;
/// - header names are tokens with no whitespace before the colon; obsolete line folding is refused;
/// - HTTP/1.1 requests carry exactly one `Host`;
/// - a body is framed by one well-formed `Content-Length` or by `Transfer-Encoding: chunked` alone, never
///   both; anything else is refused with 400;
/// - limits on the request line (414), header section and header count (431) and body (413) are checked
///   as bytes arrive, so an oversized request is refused before it is buffered.
public struct HTTPRequestParser: Sendable {
    /// Size limits. Defaults suit an API gateway: small requests, small headers.
    public struct Limits: Sendable, Equatable {
        /// Longest request line, without its CRLF (414 beyond).
        public var maxRequestLineBytes = 8 * 1024
        /// Most bytes in the header section, CRLFs included; also bounds a chunked body's trailers (431).
        public var maxHeaderBytes = 16 * 1024
        /// Most header fields; also bounds the trailer fields (431).
        public var maxHeaderCount = 100
        /// Largest body, after de-chunking (413).
        public var maxBodyBytes = 1 << 20
        /// Longest chunk-size line, extensions included (400 beyond).
        public var maxChunkLineBytes = 1024

        /// The defaults.
        public init() {}
    }

    /// What ``next()`` found.
    public enum Result: Sendable {
        /// The buffered bytes do not yet hold a complete request.
        case needMore
        /// One complete request; more may follow in the buffer.
        case request(HTTPRequest)
        /// The bytes are not an acceptable request. Answer with the error, then close.
        case error(HTTPError)
    }

    /// Where the parser is within a request; the server picks its timeout from this.
    public enum Phase: Sendable, Equatable {
        /// Between requests: no byte of the next one has arrived.
        case idle
        /// Part of a request line or header section has arrived.
        case head
        /// The header section is complete and the body is still arriving.
        case body
    }

    enum State {
        case requestLine
        case headers
        case fixedBody(length: Int)
        case chunkSize
        case chunkData(remaining: Int)
        case chunkDataEnd
        case trailers
        case failed(HTTPError)
    }

    /// What is known about the request being parsed.
    struct Pending {
        var method = HTTPMethod.get
        var target = ""
        var version = HTTPVersion.http1_1
        var headers = HTTPHeaders()
        var headerBytes = 0
        var leadingEmptyLines = 0
        var body: [UInt8] = []
        var trailerBytes = 0
        var trailerCount = 0
        var keepAlive = true
        var continueRequested = false
    }

    /// The limits in force.
    public let limits: Limits

    var buffer: [UInt8] = []
    /// First unconsumed byte of `buffer`.
    var position = 0
    /// Bytes after `position` already searched for LF, so byte-by-byte feeding stays linear.
    var scanned = 0
    var state = State.requestLine
    var pending = Pending()

    /// Creates a parser at the start of a connection.
    public init(limits: Limits = Limits()) {
        self.limits = limits
    }

    /// Adds received bytes.
    public mutating func append(_ bytes: [UInt8]) {
        prepareForAppend(bytes.count)
        buffer.append(contentsOf: bytes)
    }

    /// Adds received bytes.
    public mutating func append(_ bytes: ArraySlice<UInt8>) {
        prepareForAppend(bytes.count)
        buffer.append(contentsOf: bytes)
    }

    /// Adds received bytes straight from a read buffer.
    public mutating func append(_ bytes: UnsafeRawBufferPointer) {
        prepareForAppend(bytes.count)
        buffer.append(contentsOf: bytes)
    }

    private mutating func prepareForAppend(_ count: Int) {
        compact()
        // Body bytes arriving on their own mean the client did not wait for `100 Continue`.
        if count > 0 && phase == .body { pending.continueRequested = false }
    }

    /// Adds bytes and parses: the same as ``append(_:)-([UInt8])`` followed by ``next()``.
    public mutating func feed(_ bytes: [UInt8]) -> Result {
        append(bytes)
        return next()
    }

    /// Parses as far as the buffered bytes allow and returns the next complete request, if any.
    public mutating func next() -> Result {
        if case .failed(let error) = state { return .error(error) }
        do {
            if let request = try advance() { return .request(request) }
            return .needMore
        } catch {
            state = .failed(error)
            return .error(error)
        }
    }

    /// Where the parser is within the current request.
    public var phase: Phase {
        switch state {
        case .requestLine:
            position == buffer.count && pending.leadingEmptyLines == 0 ? .idle : .head
        case .headers, .failed:
            .head
        case .fixedBody, .chunkSize, .chunkData, .chunkDataEnd, .trailers:
            .body
        }
    }

    /// True when the client sent `Expect: 100-continue`, its headers were accepted and it is waiting for
    /// `100 Continue` before sending the body. Call ``continueSent()`` once it is written.
    public var expectsContinue: Bool {
        pending.continueRequested && phase == .body && position == buffer.count
    }

    /// Records that `100 Continue` was sent.
    public mutating func continueSent() {
        pending.continueRequested = false
    }

    /// Bytes received but not yet consumed.
    public var bufferedByteCount: Int { buffer.count - position }

    // MARK: - Parsing

    private mutating func advance() throws(HTTPError) -> HTTPRequest? {
        while true {
            switch state {
            case .requestLine:
                guard let line = try nextLine(limit: limits.maxRequestLineBytes + 2, kind: .requestLine) else { return nil }
                if line.isEmpty {
                    // RFC 9112 §2.2: ignore a stray CRLF before a request (some clients send one after a
                    // body), but only a couple of them.
                    pending.leadingEmptyLines += 1
                    if pending.leadingEmptyLines > 2 { throw .badRequest("unexpected empty lines before the request line") }
                    continue
                }
                try parseRequestLine(line)
                state = .headers
            case .headers:
                let budget = limits.maxHeaderBytes - pending.headerBytes
                guard let line = try nextLine(limit: budget, kind: .header) else { return nil }
                pending.headerBytes += line.count + 2
                if line.isEmpty {
                    if let request = try finishHead() { return request }
                    continue
                }
                let (name, value) = try parseField(line)
                guard pending.headers.count < limits.maxHeaderCount else {
                    throw .headersTooLarge("more than \(limits.maxHeaderCount) header fields")
                }
                let field = (String(decoding: name, as: UTF8.self), String(decoding: value, as: UTF8.self))
                pending.headers.add(field.0, field.1)
            case .fixedBody(let length):
                guard buffer.count - position >= length else { return nil }
                pending.body = Array(buffer[position ..< position + length])
                position += length
                return complete()
            case .chunkSize, .chunkData, .chunkDataEnd, .trailers:
                guard try advanceChunked() else { return nil }
                return complete()
            case .failed(let error):
                throw error
            }
        }
    }

    /// Which kind of line ``nextLine(limit:kind:)`` reads; decides the error for an overlong one.
    enum LineKind {
        case requestLine, header, chunkSize, trailer
    }

    /// The error for a line of `kind` that exceeds its limit.
    func tooLong(_ kind: LineKind) -> HTTPError {
        switch kind {
        case .requestLine: .uriTooLong(limit: limits.maxRequestLineBytes)
        case .header: .headersTooLarge("header section is larger than \(limits.maxHeaderBytes) bytes")
        case .chunkSize: .badRequest("chunk-size line is longer than \(limits.maxChunkLineBytes) bytes")
        case .trailer: .headersTooLarge("trailer section is larger than \(limits.maxHeaderBytes) bytes")
        }
    }

    /// Finds the next CRLF-terminated line and consumes it. Returns the line without its CRLF, or nil
    /// when it is incomplete. `limit` bounds the line including its CRLF.
    mutating func nextLine(limit: Int, kind: LineKind) throws(HTTPError) -> Range<Int>? {
        let from = position + scanned
        guard let lf = buffer[from...].firstIndex(of: HTTPSyntax.lf) else {
            scanned = buffer.count - position
            if scanned >= limit { throw tooLong(kind) }
            return nil
        }
        guard lf > position, buffer[lf - 1] == HTTPSyntax.cr else {
            throw .badRequest("lines must end with CRLF; a bare LF is not accepted")
        }
        let line = position ..< lf - 1
        if line.count + 2 > limit { throw tooLong(kind) }
        position = lf + 1
        scanned = 0
        return line
    }

    private mutating func parseRequestLine(_ range: Range<Int>) throws(HTTPError) {
        let line = buffer[range]
        guard let sp1 = line.firstIndex(of: HTTPSyntax.sp),
              let sp2 = line[(sp1 + 1)...].firstIndex(of: HTTPSyntax.sp) else {
            throw .badRequest("malformed request line")
        }
        let methodBytes = line[..<sp1], targetBytes = line[(sp1 + 1)..<sp2], versionBytes = line[(sp2 + 1)...]
        guard HTTPSyntax.isToken(methodBytes) else { throw .badRequest("malformed method") }
        guard !targetBytes.isEmpty, targetBytes.allSatisfy(HTTPSyntax.isTargetByte) else {
            throw .badRequest("malformed request target")
        }
        let version = try parseVersion(versionBytes)
        guard version == .http1_1 || version == .http1_0 else {
            throw HTTPError(status: .httpVersionNotSupported, code: .versionNotSupported,
                            message: "\(version) is not supported; use HTTP/1.1")
        }
        let methodName = String(decoding: methodBytes, as: UTF8.self)
        guard let method = HTTPMethod(rawValue: methodName) else {
            throw .notImplemented("method \(methodName.prefix(32)) is not implemented")
        }
        let target = String(decoding: targetBytes, as: UTF8.self)
        if target.hasPrefix("/") {
            // origin-form, the usual case.
        } else if target == "*" {
            guard method == .options else { throw .badRequest("the * target is only valid with OPTIONS") }
        } else {
            let lower = target.prefix(8).lowercased()
            guard lower.hasPrefix("http://") || lower.hasPrefix("https://") else {
                throw .badRequest("malformed request target")
            }
        }
        pending.method = method
        pending.target = target
        pending.version = version
    }

    private func parseVersion(_ bytes: ArraySlice<UInt8>) throws(HTTPError) -> HTTPVersion {
        let b = Array(bytes)
        func digit(_ x: UInt8) -> Int? { x >= UInt8(ascii: "0") && x <= UInt8(ascii: "9") ? Int(x - UInt8(ascii: "0")) : nil }
        guard b.count == 8, b[0..<5].elementsEqual("HTTP/".utf8), b[6] == UInt8(ascii: "."),
              let major = digit(b[5]), let minor = digit(b[7]) else {
            throw .badRequest("malformed HTTP version")
        }
        return HTTPVersion(major: major, minor: minor)
    }

    /// Splits a header (or trailer) line into name and trimmed value, enforcing the field grammar.
    func parseField(_ range: Range<Int>) throws(HTTPError) -> (name: ArraySlice<UInt8>, value: ArraySlice<UInt8>) {
        let line = buffer[range]
        if HTTPSyntax.isWhitespace(line[line.startIndex]) {
            throw .badRequest("obsolete line folding (a line starting with whitespace) is not accepted")
        }
        guard let colon = line.firstIndex(of: HTTPSyntax.colon) else { throw .badRequest("header line without a colon") }
        let name = line[..<colon]
        guard let last = name.last else { throw .badRequest("empty header name") }
        if HTTPSyntax.isWhitespace(last) { throw .badRequest("whitespace between a header name and its colon") }
        guard HTTPSyntax.isToken(name) else { throw .badRequest("invalid character in a header name") }
        var value = line[(colon + 1)...]
        while let first = value.first, HTTPSyntax.isWhitespace(first) { value = value.dropFirst() }
        while let last = value.last, HTTPSyntax.isWhitespace(last) { value = value.dropLast() }
        guard value.allSatisfy(HTTPSyntax.isFieldValueByte) else {
            throw .badRequest("invalid character in the value of header \(String(decoding: name, as: UTF8.self))")
        }
        return (name, value)
    }

    /// Applies the rules that need the whole header section, then decides how the body is framed.
    /// Returns the request when it has no body.
    private mutating func finishHead() throws(HTTPError) -> HTTPRequest? {
        let headers = pending.headers
        let version = pending.version
        let hosts = headers.values("host")
        if hosts.count > 1 { throw .badRequest("more than one Host header") }
        if version == .http1_1 && hosts.isEmpty { throw .badRequest("HTTP/1.1 requests must carry a Host header") }
        if let host = hosts.first, !host.utf8.allSatisfy(HTTPSyntax.isHostByte) {
            throw .badRequest("malformed Host header")
        }

        let transferEncodings = headers.values("transfer-encoding")
        let contentLengths = headers.values("content-length")
        if !transferEncodings.isEmpty && !contentLengths.isEmpty {
            throw .badRequest("Content-Length and Transfer-Encoding must not both be present")
        }
        var chunked = false
        var length = 0
        if !transferEncodings.isEmpty {
            guard version == .http1_1 else { throw .badRequest("Transfer-Encoding requires HTTP/1.1") }
            guard transferEncodings.count == 1, HTTPSyntax.equalsIgnoringCase(transferEncodings[0], "chunked") else {
                throw .badRequest("unsupported Transfer-Encoding; only \"chunked\" alone is accepted")
            }
            chunked = true
        } else if !contentLengths.isEmpty {
            guard contentLengths.count == 1 else { throw .badRequest("more than one Content-Length header") }
            length = try parseContentLength(contentLengths[0])
        }

        let connection = headers.values("connection").flatMap(HTTPSyntax.listElements)
        pending.keepAlive = version == .http1_1
            ? !connection.contains("close")
            : connection.contains("keep-alive") && !connection.contains("close")
        pending.continueRequested = version == .http1_1
            && headers["expect"].map { HTTPSyntax.equalsIgnoringCase($0, "100-continue") } == true

        if chunked {
            state = .chunkSize
            return nil
        }
        if length > 0 {
            state = .fixedBody(length: length)
            return nil
        }
        return complete()
    }

    private func parseContentLength(_ value: String) throws(HTTPError) -> Int {
        guard !value.isEmpty, value.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else {
            throw .badRequest("Content-Length must be a decimal number")
        }
        var n = 0
        for d in value.utf8 {
            let (times10, o1) = n.multipliedReportingOverflow(by: 10)
            let (sum, o2) = times10.addingReportingOverflow(Int(d - UInt8(ascii: "0")))
            if o1 || o2 { throw .payloadTooLarge(limit: limits.maxBodyBytes) }
            n = sum
        }
        if n > limits.maxBodyBytes { throw .payloadTooLarge(limit: limits.maxBodyBytes) }
        return n
    }

    /// Builds the finished request and resets for the next one.
    private mutating func complete() -> HTTPRequest {
        let p = pending
        pending = Pending()
        state = .requestLine
        return HTTPRequest(method: p.method, target: p.target, version: p.version, headers: p.headers,
                           body: p.body, keepAlive: p.keepAlive)
    }

    /// Drops consumed bytes so the buffer does not grow across requests.
    private mutating func compact() {
        if position == 0 { return }
        if position == buffer.count {
            buffer.removeAll(keepingCapacity: buffer.capacity <= 64 * 1024)
            position = 0
        } else if position >= 4096 && position * 2 >= buffer.count {
            buffer.removeSubrange(..<position)
            position = 0
        }
    }
}
