extension HTTPRequestParser {
    /// Decodes `Transfer-Encoding: chunked` (RFC 9112 §7.1). Chunk extensions are checked for stray
    /// control characters and ignored; trailer fields are checked like headers, bounded by the header
    /// limits, and dropped. Returns true once the last chunk and the trailers are consumed.
    mutating func advanceChunked() throws(HTTPError) -> Bool {
        while true {
            switch state {
            case .chunkSize:
                guard let line = try nextLine(limit: limits.maxChunkLineBytes, kind: .chunkSize) else { return false }
                let size = try parseChunkSize(line)
                state = size == 0 ? .trailers : .chunkData(remaining: size)
            case .chunkData(let remaining):
                let n = min(remaining, buffer.count - position)
                if n == 0 { return false }
                pending.body.append(contentsOf: buffer[position ..< position + n])
                position += n
                state = n == remaining ? .chunkDataEnd : .chunkData(remaining: remaining - n)
            case .chunkDataEnd:
                guard buffer.count - position >= 2 else {
                    if position < buffer.count && buffer[position] != HTTPSyntax.cr {
                        throw .badRequest("chunk data is not followed by CRLF")
                    }
                    return false
                }
                guard buffer[position] == HTTPSyntax.cr, buffer[position + 1] == HTTPSyntax.lf else {
                    throw .badRequest("chunk data is not followed by CRLF")
                }
                position += 2
                state = .chunkSize
            case .trailers:
                let budget = limits.maxHeaderBytes - pending.trailerBytes
                guard let line = try nextLine(limit: budget, kind: .trailer) else { return false }
                pending.trailerBytes += line.count + 2
                if line.isEmpty { return true }
                _ = try parseField(line)
                pending.trailerCount += 1
                if pending.trailerCount > limits.maxHeaderCount {
                    throw .headersTooLarge("more than \(limits.maxHeaderCount) trailer fields")
                }
            default:
                preconditionFailure("advanceChunked called outside a chunked body")
            }
        }
    }

    /// `chunk-size [ chunk-ext ]`: hex digits, then optionally `;` extensions. Sizes that would take the
    /// body past the limit are refused before any of the chunk is read, so a huge hex number can neither
    /// overflow nor make the server buffer anything.
    private func parseChunkSize(_ range: Range<Int>) throws(HTTPError) -> Int {
        let line = buffer[range]
        var size = 0
        var i = line.startIndex
        while i < line.endIndex, let digit = HTTPSyntax.hexValue(line[i]) {
            let (times16, o1) = size.multipliedReportingOverflow(by: 16)
            let (sum, o2) = times16.addingReportingOverflow(digit)
            if o1 || o2 || sum > limits.maxBodyBytes { throw .payloadTooLarge(limit: limits.maxBodyBytes) }
            size = sum
            i += 1
        }
        guard i > line.startIndex else { throw .badRequest("malformed chunk size") }
        var rest = line[i...]
        while let first = rest.first, HTTPSyntax.isWhitespace(first) { rest = rest.dropFirst() }
        if let first = rest.first {
            guard first == UInt8(ascii: ";"), rest.allSatisfy(HTTPSyntax.isFieldValueByte) else {
                throw .badRequest("malformed chunk extension")
            }
        }
        if pending.body.count + size > limits.maxBodyBytes { throw .payloadTooLarge(limit: limits.maxBodyBytes) }
        return size
    }
}
