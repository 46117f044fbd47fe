import Testing
@testable import Wire

@Suite("Framing on bytes")
struct FrameDecoderTests {
    private func frame(_ json: String) -> [UInt8] { Frame.encode(Array(json.utf8)) }

    @Test("the length prefix is 4 bytes big-endian")
    func headerIsBigEndian() {
        let bytes = Frame.encode([UInt8](repeating: 0x41, count: 0x010203))
        #expect(Array(bytes.prefix(4)) == [0x00, 0x01, 0x02, 0x03])
        #expect(bytes.count == 4 + 0x010203)
    }

    @Test("a frame split at every possible byte boundary decodes once")
    func splitFrames() throws {
        let bytes = frame(#"{"v":1,"id":"a","kind":"request","type":"sys.ping"}"#)
        for cut in 1..<bytes.count {
            var d = FrameDecoder()
            d.append(bytes[..<cut])
            #expect(try d.next() == nil)
            d.append(bytes[cut...])
            let payload = try #require(try d.next())
            #expect(Array(payload) == Array(bytes.dropFirst(4)))
            #expect(try d.next() == nil)
        }
    }

    @Test("a frame fed one byte at a time decodes")
    func byteByByte() throws {
        let bytes = frame(#"{"x":"é"}"#)
        var d = FrameDecoder()
        var got: [[UInt8]] = []
        for b in bytes {
            d.append([b])
            while let p = try d.next() { got.append(Array(p)) }
        }
        #expect(got == [Array(#"{"x":"é"}"#.utf8)])
    }

    @Test("several frames in one read come out in order")
    func severalFrames() throws {
        var d = FrameDecoder()
        d.append(frame(#"{"n":1}"#) + frame(#"{"n":2}"#) + frame(#"{"n":3}"#) + Array(frame(#"{"n":4}"#).prefix(6)))
        var got: [String] = []
        while let p = try d.next() { got.append(String(decoding: p, as: UTF8.self)) }
        #expect(got == [#"{"n":1}"#, #"{"n":2}"#, #"{"n":3}"#])
        #expect(d.bufferedByteCount == 6)
    }

    @Test("a zero length is refused")
    func zeroLength() {
        var d = FrameDecoder()
        d.append([0, 0, 0, 0])
        #expect(throws: FrameError.emptyFrame) { try d.next() }
    }

    @Test("a length above the maximum is refused from the header alone, before buffering the body")
    func oversized() {
        var d = FrameDecoder(maxPayload: 1024)
        d.append([0, 0, 4, 1])  // 1025
        #expect(throws: FrameError.tooLarge(length: 1025, maximum: 1024)) { try d.next() }
        var huge = FrameDecoder()
        huge.append([0xFF, 0xFF, 0xFF, 0xFF])
        #expect(throws: FrameError.tooLarge(length: 0xFFFF_FFFF, maximum: Frame.defaultMaxPayload)) { try huge.next() }
        #expect(huge.bufferedByteCount == 4)
    }

    @Test("a frame of exactly the maximum is accepted")
    func exactlyMaximum() throws {
        var d = FrameDecoder(maxPayload: 1024)
        let payload = [UInt8](repeating: 0x20, count: 1024)
        d.append(Frame.encode(payload))
        #expect(try d.next()?.count == 1024)
    }

    @Test("the buffer is compacted on long-lived streams")
    func compaction() throws {
        var d = FrameDecoder()
        let f = frame(#"{"pad":"\#(String(repeating: "x", count: 1000))"}"#)
        for _ in 0..<1000 {
            d.append(f)
            #expect(try d.next() != nil)
        }
        #expect(d.bufferedByteCount == 0)
    }
}
