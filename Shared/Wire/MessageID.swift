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
        var g = SystemRandomNumberGenerator()
        let a = String(g.next() as UInt64, radix: 16), b = String(g.next() as UInt64, radix: 16)
        return String(repeating: "0", count: 16 - a.count) + a + String(repeating: "0", count: 16 - b.count) + b
    }
}
