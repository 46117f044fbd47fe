/// A point in monotonic time by which an I/O step must finish.
struct Deadline: Sendable {
    let instant: ContinuousClock.Instant

    /// The deadline `duration` from now.
    static func after(_ duration: Duration) -> Deadline {
        Deadline(instant: .now + duration)
    }

    /// Milliseconds left, rounded up so a wait never ends just before the deadline; 0 once it passed.
    var remainingMs: Int32 {
        let left = instant - .now
        if left <= .zero { return 0 }
        return Int32(clamping: left.roundedUpMilliseconds)
    }
}

extension Duration {
    /// The duration in milliseconds, rounded up.
    var roundedUpMilliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1000 + (attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000
    }
}
