import Synchronization

/// Request rates per client address (`GATEWAY_RATE_*`), and the order caps handed to fulfillment.
struct RateLimits: Sendable {
    /// Order creation (`POST /api/orders`, `/api/checkout/sessions`, `/api/invoices`) per address and minute.
    var ordersPerMinute = 20
    /// Return pages, session status and "pay again" per address and minute: each may cost a Stripe call.
    var lookupsPerMinute = 60
}

/// Token buckets per (client address, bucket name): `perMinute` tokens, refilled continuously, so a
/// client may burst up to the minute's allowance and then proceeds at the steady rate.
///
/// Memory stays bounded: buckets that have refilled completely carry no information and are dropped
/// when the table grows past ``maxEntries``; if it is still too large after that (an attacker spraying
/// source addresses), the table is cleared, which only ever errs on the side of serving.
final class RateLimiter: Sendable {
    static let maxEntries = 50_000
    private struct Bucket { var tokens: Double; var updated: ContinuousClock.Instant }
    private let buckets = Mutex<[String: Bucket]>([:])

    /// nil when the request may proceed, else how long until it may (for `Retry-After`).
    func take(_ bucket: String, client: String, perMinute: Int, now: ContinuousClock.Instant = .now) -> Duration? {
        guard perMinute > 0 else { return nil }
        let capacity = Double(perMinute), perSecond = Double(perMinute) / 60
        let key = bucket + " " + client
        return buckets.withLock { table -> Duration? in
            var b = table[key] ?? Bucket(tokens: capacity, updated: now)
            let elapsed = now - b.updated
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            b.tokens = min(capacity, b.tokens + max(0, seconds) * perSecond)
            b.updated = now
            defer {
                table[key] = b
                if table.count > Self.maxEntries { Self.shrink(&table, now: now, perSecond: perSecond, capacity: capacity) }
            }
            if b.tokens >= 1 {
                b.tokens -= 1
                return nil
            }
            return .milliseconds(Int(((1 - b.tokens) / perSecond * 1000).rounded(.up)))
        }
    }

    private static func shrink(_ table: inout [String: Bucket], now: ContinuousClock.Instant, perSecond: Double, capacity: Double) {
        table = table.filter { _, b in
            let elapsed = now - b.updated
            return b.tokens + Double(elapsed.components.seconds) * perSecond < capacity
        }
        if table.count > maxEntries { table.removeAll(keepingCapacity: true) }
    }
}
