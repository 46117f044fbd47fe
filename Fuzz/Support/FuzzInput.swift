// Shared by every fuzz target (compiled into each harness by scripts/fuzz; never part of `swift build`).

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Reads fuzzer-chosen values off the front of an input, like LLVM's `FuzzedDataProvider`: a harness
/// takes its parameters (limits, split points, a timestamp) first and treats the rest as the bytes to
/// parse. Reading past the end gives zeros, so every input is a valid one.
struct FuzzInput {
    private(set) var rest: ArraySlice<UInt8>

    init(_ data: UnsafePointer<UInt8>?, _ size: Int) {
        rest = data.map { Array(UnsafeBufferPointer(start: $0, count: size))[...] } ?? []
    }

    init(_ bytes: [UInt8]) { rest = bytes[...] }

    var isEmpty: Bool { rest.isEmpty }

    mutating func byte() -> UInt8 { rest.popFirst() ?? 0 }

    mutating func bool() -> Bool { byte() & 1 == 1 }

    /// A fixed-width integer from the next `MemoryLayout<T>.size` bytes, big-endian.
    mutating func integer<T: FixedWidthInteger>(_: T.Type = T.self) -> T {
        var v: T = 0
        for _ in 0..<MemoryLayout<T>.size { v = v << 8 | T(truncatingIfNeeded: byte()) }
        return v
    }

    /// Up to `count` bytes.
    mutating func take(_ count: Int) -> ArraySlice<UInt8> {
        let n = min(count, rest.count)
        defer { rest = rest.dropFirst(n) }
        return rest.prefix(n)
    }

    /// A length-prefixed (one byte) chunk: lets one input carry several independent strings.
    mutating func chunk() -> [UInt8] { Array(take(Int(byte()))) }

    /// `count` sorted cut points in `0...length`, to split `length` bytes into several reads.
    mutating func cuts(count: Int, length: Int) -> [Int] {
        (0..<count).map { _ in length == 0 ? 0 : Int(integer(UInt16.self)) % (length + 1) }.sorted()
    }
}

/// Stops the run with a message when an invariant fails; libFuzzer records the input as a crash.
func require(_ condition: Bool, _ message: @autoclosure () -> String, line: UInt = #line) {
    if !condition {
        let text = "FUZZ INVARIANT FAILED (line \(line)): \(message())\n"
        var bytes = Array(text.utf8)
        _ = write(2, &bytes, bytes.count)
        abort()
    }
}

/// A printable rendering of bytes for invariant messages.
func show(_ bytes: some Collection<UInt8>) -> String {
    var s = ""
    for b in bytes.prefix(200) {
        if b >= 0x20 && b < 0x7F && b != UInt8(ascii: "\\") { s.unicodeScalars.append(Unicode.Scalar(b)) }
        else { s += "\\x" + (b < 16 ? "0" : "") + String(b, radix: 16) }
    }
    return bytes.count > 200 ? s + "..." : s
}
