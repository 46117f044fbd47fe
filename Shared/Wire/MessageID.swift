#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import CLinux
import Synchronization

/// Generates message ids unique across processes: a random 64-bit prefix chosen at start plus a counter.
/// Cheaper than a UUID per message and just as unique for our purposes (collisions need two processes to
/// draw the same 64-bit prefix).
public enum MessageID {
    private static let prefix: String = {
        var g = SystemRandomNumberGenerator()
        let hex = String(g.next() as UInt64, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }()
    private static let counter = Atomic<UInt64>(0)

    /// A new id such as `3f9a0c1d2b4e5f60-17`.
    public static func next() -> String {
        let n = counter.add(1, ordering: .relaxed).newValue
        return prefix + "-" + String(n, radix: 16)
    }

    /// A new random 128-bit hex id, for trace ids that must not reveal ordering.
    public static func random() -> String {
        let (x, y) = pool.withLock { $0.next() }
        let a = String(x, radix: 16), b = String(y, radix: 16)
        return String(repeating: "0", count: 16 - a.count) + a + String(repeating: "0", count: 16 - b.count) + b
    }

    /// The kernel's random bytes, fetched 512 at a time: one `getrandom` per 32 ids instead of two per id
    /// (the gateway draws one per request).
    private static let pool = Mutex(RandomPool())

    private struct RandomPool {
        private var words = [UInt64](repeating: 0, count: 64)
        private var used = 64

        mutating func next() -> (UInt64, UInt64) {
            if used + 2 > words.count { refill() }
            defer { used += 2 }
            return (words[used], words[used + 1])
        }

        private mutating func refill() {
            var g = SystemRandomNumberGenerator()
            words.withUnsafeMutableBytes { raw in
                var filled = 0
                while filled < raw.count {
                    let n = getrandom(raw.baseAddress! + filled, raw.count - filled, 0)
                    if n > 0 { filled += n; continue }
                    if n < 0 && errno == EINTR { continue }
                    // No getrandom (a very old kernel): the standard library's generator, word by word.
                    for i in stride(from: filled & ~7, to: raw.count, by: 8) { raw.storeBytes(of: g.next() as UInt64, toByteOffset: i, as: UInt64.self) }
                    filled = raw.count
                }
            }
            used = 0
        }
    }
}
