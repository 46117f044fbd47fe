// Fuzz target `http`: the HTTP/1.1 request parser, fed the same bytes whole and split into reads at
// fuzzer-chosen offsets.
//
// Input: [limits selector] [number of cuts] [cuts: 2 bytes each] [the bytes a client sends].
// Invariants:
// - the split feeding yields exactly the requests of the whole feeding, and fails iff it fails;
// - no body exceeds the body limit; a Content-Length body has exactly that length;
// - no accepted request head (checked on the raw bytes, independently of the parser) has a bare LF or
//   CR, an obs-fold line, Content-Length together with Transfer-Encoding, or two Content-Lengths;
// - no header name or value of an accepted request holds CR, LF or NUL;
// - the parser never reads past its input: the bytes are handed over as pointers into libFuzzer's
//   exactly-sized buffer, so AddressSanitizer sees any overread.
@testable import HTTPServer

private struct Seen: Equatable {
    var method: String
    var target: String
    var version: String
    var headers: [String]
    var body: [UInt8]
    var keepAlive: Bool
    /// The raw bytes the request occupied (whole feeding only).
    var consumed: Int
}

private enum Outcome: Equatable {
    case needMore
    case failed
}

private func limits(_ selector: UInt8) -> HTTPRequestParser.Limits {
    var l = HTTPRequestParser.Limits()
    if selector & 1 == 1 {
        // Small limits, so inputs of a few hundred bytes reach every limit check.
        l.maxRequestLineBytes = 16 + Int(selector >> 1 & 0x3F)
        l.maxHeaderBytes = 32 + Int(selector >> 2) * 4
        l.maxHeaderCount = 1 + Int(selector >> 4)
        l.maxBodyBytes = Int(selector >> 3)
        l.maxChunkLineBytes = 8 + Int(selector >> 5)
    }
    return l
}

private func record(_ r: HTTPRequest, consumed: Int) -> Seen {
    Seen(method: r.method.rawValue, target: r.target, version: "\(r.version)",
         headers: r.headers.map { "\($0.name): \($0.value)" }, body: r.body, keepAlive: r.keepAlive, consumed: consumed)
}

/// Drains the parser: every request it can give now, then whether it needs more or failed.
private func drain(_ parser: inout HTTPRequestParser, into requests: inout [Seen], total: Int) -> Outcome? {
    while true {
        switch parser.next() {
        case .needMore: return nil
        case .request(let r): requests.append(record(r, consumed: total - parser.bufferedByteCount))
        case .error: return .failed
        }
    }
}

private func lower(_ b: UInt8) -> UInt8 { b >= 0x41 && b <= 0x5A ? b | 0x20 : b }

/// Checks one accepted request's raw head, without the parser: its lines end in CRLF with no other CR
/// or LF, none is folded, and its body is framed by exactly one of Content-Length or chunked.
private func checkRawHead(_ raw: ArraySlice<UInt8>, _ seen: Seen) {
    var i = raw.startIndex
    // Up to two empty lines before the request line are allowed (RFC 9112 §2.2).
    while raw[i...].starts(with: [13, 10]) { i += 2 }
    var lines: [ArraySlice<UInt8>] = []
    var lineStart = i
    while i < raw.endIndex {
        let b = raw[i]
        if b == 10 {
            require(i > lineStart && raw[i - 1] == 13, "bare LF accepted in a request head: \(show(raw))")
            let line = raw[lineStart..<(i - 1)]
            require(!line.contains(13), "bare CR accepted in a request head: \(show(raw))")
            if line.isEmpty { break }
            lines.append(line)
            lineStart = i + 1
        }
        i += 1
    }
    require(i < raw.endIndex, "accepted a request without the end of its head: \(show(raw))")
    var contentLengths = 0, transferEncodings = 0
    for line in lines.dropFirst() {
        require(line.first != 0x20 && line.first != 0x09, "obs-fold accepted: \(show(line))")
        guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else {
            require(false, "header line without a colon accepted: \(show(line))")
            return
        }
        let name = line[..<colon].map(lower)
        if name.elementsEqual("content-length".utf8) { contentLengths += 1 }
        if name.elementsEqual("transfer-encoding".utf8) { transferEncodings += 1 }
    }
    require(!(contentLengths > 0 && transferEncodings > 0), "Content-Length with Transfer-Encoding accepted: \(show(raw))")
    require(contentLengths <= 1, "duplicate Content-Length accepted: \(show(raw))")
    for h in seen.headers {
        require(!h.utf8.contains(where: { $0 == 13 || $0 == 10 || $0 == 0 }), "CR, LF or NUL in an accepted header: \(show(Array(h.utf8)))")
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzHTTP(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data, size >= 2 else { return 0 }
    let selector = data[0]
    let cutCount = Int(data[1] & 7)
    let headerSize = 2 + 2 * cutCount
    guard size >= headerSize else { return 0 }
    let start = data + headerSize, length = size - headerSize
    var cuts: [Int] = []
    for k in 0..<cutCount {
        let v = Int(data[2 + 2 * k]) << 8 | Int(data[3 + 2 * k])
        cuts.append(length == 0 ? 0 : v % (length + 1))
    }
    cuts.sort()
    let l = limits(selector)

    // Whole.
    var whole = HTTPRequestParser(limits: l)
    var wholeRequests: [Seen] = []
    whole.append(UnsafeRawBufferPointer(start: start, count: length))
    let wholeOutcome = drain(&whole, into: &wholeRequests, total: length) ?? .needMore

    // Split at the cuts, draining after every read as the server does.
    var split = HTTPRequestParser(limits: l)
    var splitRequests: [Seen] = []
    var splitOutcome = Outcome.needMore
    var from = 0
    for to in cuts + [length] {
        split.append(UnsafeRawBufferPointer(start: start + from, count: to - from))
        from = to
        if let o = drain(&split, into: &splitRequests, total: to) { splitOutcome = o; break }
    }

    require(wholeRequests == splitRequests,
            "split reads gave other requests: whole \(wholeRequests.count), split \(splitRequests.count); cuts \(cuts)")
    require(wholeOutcome == splitOutcome, "split reads ended \(splitOutcome), whole ended \(wholeOutcome); cuts \(cuts)")

    let input = UnsafeBufferPointer(start: start, count: length)
    var previous = 0
    for r in wholeRequests {
        require(r.body.count <= l.maxBodyBytes, "body of \(r.body.count) bytes over the limit of \(l.maxBodyBytes)")
        require(r.consumed > previous && r.consumed <= length, "request consumed \(previous)..<\(r.consumed) of \(length)")
        let raw = Array(input[previous..<r.consumed])[...]
        checkRawHead(raw, r)
        if let cl = r.headers.first(where: { $0.lowercased().hasPrefix("content-length:") }) {
            let value = cl.dropFirst("content-length:".count).trimmingCharacters(in: " ")
            require(Int(value) == r.body.count, "Content-Length \(value) but a body of \(r.body.count) bytes")
        }
        previous = r.consumed
    }
    return 0
}

extension Substring {
    fileprivate func trimmingCharacters(in set: Character) -> Substring {
        var s = self
        while s.first == set { s.removeFirst() }
        while s.last == set { s.removeLast() }
        return s
    }
}
