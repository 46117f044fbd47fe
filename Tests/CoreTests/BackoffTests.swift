import Core
import Testing

@Suite("Backoff")
struct BackoffTests {
    @Test("doubles from the base up to the cap, jittered into [half, full]")
    func doubling() {
        let base = Duration.milliseconds(100), cap = Duration.seconds(1)
        for (attempt, full) in [(1, 100), (2, 200), (3, 400), (4, 800), (5, 1000), (40, 1000), (Int.max, 1000)] {
            #expect(Backoff.delay(attempt: attempt, base: base, cap: cap, jitter: 1) == .milliseconds(full))
            #expect(Backoff.delay(attempt: attempt, base: base, cap: cap, jitter: 0) == .milliseconds(full) / 2)
            let d = Backoff.delay(attempt: attempt, base: base, cap: cap)
            #expect(d >= .milliseconds(full) / 2 && d <= .milliseconds(full))
        }
    }

    // The relay's and the notifier's copies computed `1 << -1` (0) for attempt 0, so a zero delay; the
    // Stripe client's treated it as the first. An attempt below 1 is the first.
    @Test("an attempt below 1 waits like the first, never zero", arguments: [0, -1, Int.min])
    func belowOne(_ attempt: Int) {
        #expect(Backoff.delay(attempt: attempt, base: .milliseconds(50), cap: .seconds(2), jitter: 1) == .milliseconds(50))
    }
}
