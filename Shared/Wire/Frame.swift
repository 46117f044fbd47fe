/// Length-prefixed framing: a 4-byte unsigned big-endian length N, then N bytes of UTF-8 JSON.
public enum Frame {
    /// Size of the length prefix in bytes.
    public static let headerSize = 4
    /// Default maximum payload size: 1 MiB.
    public static let defaultMaxPayload = 1 << 20

    /// Returns `payload` with its length prefix, ready to write.
    public static func encode(_ payload: some Collection<UInt8>) -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(headerSize + payload.count)
        appendHeader(UInt32(payload.count), to: &out)
        out.append(contentsOf: payload)
        return out
    }

    /// Appends a big-endian length prefix.
    public static func appendHeader(_ length: UInt32, to out: inout [UInt8]) {
        out.append(UInt8(truncatingIfNeeded: length >> 24))
        out.append(UInt8(truncatingIfNeeded: length >> 16))
        out.append(UInt8(truncatingIfNeeded: length >> 8))
        out.append(UInt8(truncatingIfNeeded: length))
    }

    /// Writes a big-endian length prefix into the first four bytes of `out`.
    public static func patchHeader(_ length: UInt32, in out: inout [UInt8]) {
        out[0] = UInt8(truncatingIfNeeded: length >> 24)
        out[1] = UInt8(truncatingIfNeeded: length >> 16)
        out[2] = UInt8(truncatingIfNeeded: length >> 8)
        out[3] = UInt8(truncatingIfNeeded: length)
    }
}

/// Why a byte stream cannot be split into frames. After any of these the stream is out of sync
/// and the connection must be closed.
public enum FrameError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A length prefix of zero: a frame holds one JSON object, which is never empty.
    case emptyFrame
    /// A length prefix above the receiver's maximum; nothing of that size was allocated.
    case tooLarge(length: UInt32, maximum: Int)

    public var description: String {
        switch self {
        case .emptyFrame:
            return "frame length 0 is invalid: a frame holds one JSON object"
        case .tooLarge(let length, let maximum):
            return "frame length \(length) exceeds the maximum of \(maximum) bytes"
        }
    }

    /// The error sent to the peer before closing.
    public var wireError: WireError { .frameRejected(description) }
}

/// Splits a byte stream into frame payloads, however the bytes arrive: a frame split across reads,
/// several frames in one read, or both.
///
/// The length prefix is checked as soon as its four bytes are in, so a peer announcing a huge frame is
/// refused before the receiver buffers (let alone allocates) anything of that size.
public struct FrameDecoder: Sendable {
    /// Largest accepted payload in bytes.
    public let maxPayload: Int
    private var buffer: [UInt8] = []
    private var start = 0

    public init(maxPayload: Int = Frame.defaultMaxPayload) {
        self.maxPayload = maxPayload
    }

    /// Bytes received but not yet returned as a frame.
    public var bufferedByteCount: Int { buffer.count - start }

    /// Adds received bytes.
    public mutating func append(_ bytes: UnsafeRawBufferPointer) {
        compactIfNeeded()
        buffer.append(contentsOf: bytes)
    }

    /// Adds received bytes.
    public mutating func append(_ bytes: some Sequence<UInt8>) {
        compactIfNeeded()
        buffer.append(contentsOf: bytes)
    }

    /// Returns the next complete frame's payload, nil when more bytes are needed, or throws when the
    /// stream announces an invalid frame.
    public mutating func next() throws(FrameError) -> ArraySlice<UInt8>? {
        let available = buffer.count - start
        guard available >= Frame.headerSize else { return nil }
        let length = UInt32(buffer[start]) << 24 | UInt32(buffer[start + 1]) << 16
            | UInt32(buffer[start + 2]) << 8 | UInt32(buffer[start + 3])
        if length == 0 { throw .emptyFrame }
        if Int(length) > maxPayload { throw .tooLarge(length: length, maximum: maxPayload) }
        guard available >= Frame.headerSize + Int(length) else { return nil }
        let payloadStart = start + Frame.headerSize
        let payloadEnd = payloadStart + Int(length)
        start = payloadEnd
        return buffer[payloadStart..<payloadEnd]
    }

    /// Drops consumed bytes once they dominate the buffer, so a long-lived connection's buffer stays small
    /// and the copy cost is amortised.
    private mutating func compactIfNeeded() {
        if start == buffer.count {
            buffer.removeAll(keepingCapacity: buffer.capacity <= 256 * 1024)
            start = 0
        } else if start > 64 * 1024 && start * 2 > buffer.count {
            buffer.removeSubrange(0..<start)
            start = 0
        }
    }
}
