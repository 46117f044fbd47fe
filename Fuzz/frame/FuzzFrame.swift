// Fuzz target `frame`: the length-prefixed frame decoder and the envelope decoder, as a service reads
// a socket: bytes arrive in reads of fuzzer-chosen sizes, every complete frame is decoded as an envelope.
//
// Input: [max payload selector] [number of cuts] [cuts: 2 bytes each] [the byte stream].
// Invariants:
// - the decoder returns exactly the frames a reference split of the whole stream gives, and stops with
//   the reference's error (empty or oversized frame) at the same frame;
// - the declared length is checked as soon as its four bytes are in: while the decoder waits for more,
//   the frame it waits for is never empty and never larger than the maximum;
// - an envelope that decodes re-encodes (`frame()`) to bytes that decode to the same envelope, and obeys
//   the decoder's own rules (non-empty id and type, type within its limit, version 1).
@testable import Wire

/// The frames of a whole stream, computed without the decoder.
private func reference(_ stream: [UInt8], maxPayload: Int) -> ([Range<Int>], FrameError?) {
    var frames: [Range<Int>] = []
    var i = 0
    while stream.count - i >= 4 {
        let n = Int(stream[i]) << 24 | Int(stream[i + 1]) << 16 | Int(stream[i + 2]) << 8 | Int(stream[i + 3])
        if n == 0 { return (frames, .emptyFrame) }
        if n > maxPayload { return (frames, .tooLarge(length: UInt32(n), maximum: maxPayload)) }
        guard stream.count - i - 4 >= n else { break }
        frames.append((i + 4)..<(i + 4 + n))
        i += 4 + n
    }
    return (frames, nil)
}

private func checkEnvelope(_ payload: ArraySlice<UInt8>) {
    let envelope: Envelope
    do {
        envelope = try Envelope.decode(slice: payload)
    } catch {
        return
    }
    require(envelope.v == Envelope.protocolVersion, "decoded an envelope of version \(envelope.v)")
    require(!envelope.id.isEmpty && !envelope.type.isEmpty, "decoded an envelope without id or type")
    require(envelope.type.utf8.count <= Envelope.maxTypeBytes, "decoded a type of \(envelope.type.utf8.count) bytes")
    let frame = envelope.frame()
    var decoder = FrameDecoder(maxPayload: frame.count)
    decoder.append(frame)
    let again: Envelope
    do {
        guard let payload = try decoder.next() else {
            require(false, "frame() did not give one complete frame")
            return
        }
        again = try Envelope.decode(slice: payload)
    } catch {
        require(false, "re-encoded envelope does not decode: \(error) from \(show(frame))")
        return
    }
    require(again == envelope, "round trip changed the envelope: \(envelope) -> \(again)")
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzFrame(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    var input = FuzzInput(data, size)
    let maxPayload = [16, 64, 1024, Frame.defaultMaxPayload][Int(input.byte() & 3)]
    let cutCount = Int(input.byte() & 7)
    let rawCuts = (0..<cutCount).map { _ in Int(input.integer(UInt16.self)) }
    let stream = Array(input.rest)
    let cuts = rawCuts.map { stream.isEmpty ? 0 : $0 % (stream.count + 1) }.sorted()

    let (expected, expectedError) = reference(stream, maxPayload: maxPayload)
    var decoder = FrameDecoder(maxPayload: maxPayload)
    var got: [ArraySlice<UInt8>] = []
    var gotError: FrameError?
    var from = 0, consumed = 0
    reading: for to in cuts + [stream.count] {
        stream.withUnsafeBytes { decoder.append(UnsafeRawBufferPointer(rebasing: $0[from..<to])) }
        from = to
        while true {
            do {
                guard let frame = try decoder.next() else { break }
                got.append(frame)
                consumed += 4 + frame.count
            } catch {
                gotError = error
                break reading
            }
        }
        // Waiting for more: the announced frame, if its prefix is in, must be acceptable already.
        require(decoder.bufferedByteCount == to - consumed, "decoder holds \(decoder.bufferedByteCount) bytes, expected \(to - consumed)")
        if to - consumed >= 4 {
            let n = Int(stream[consumed]) << 24 | Int(stream[consumed + 1]) << 16 | Int(stream[consumed + 2]) << 8 | Int(stream[consumed + 3])
            require(n > 0 && n <= maxPayload, "waiting for a frame of \(n) bytes (maximum \(maxPayload)) instead of refusing it")
        }
    }
    require(got.count == expected.count && zip(got, expected).allSatisfy { $0.elementsEqual(stream[$1]) },
            "frames differ from the reference: \(got.count) vs \(expected.count); cuts \(cuts)")
    require(gotError == expectedError, "decoder error \(String(describing: gotError)), reference \(String(describing: expectedError))")

    for frame in got { checkEnvelope(frame) }
    // The stream's bytes as one payload too, so envelope inputs need no length prefix to be found.
    checkEnvelope(stream[...])
    return 0
}
