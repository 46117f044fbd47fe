// Fuzz target `signature`: the Stripe-Signature parser and verifier (Shared/Crypto/WebhookSignature.swift).
//
// Two modes, chosen by the first byte:
// - raw: any header text, body, secret, clock and tolerance. Never crashes; when it accepts, a reference
//   check done here (not by the parser) finds a `v1` item in the header that is the HMAC-SHA256 of
//   "<t>.<body>" under the secret for a `t` item of the header, and |now - t| <= tolerance computed in
//   Int128, where it cannot overflow.
// - signed: a correctly signed header for a fuzzer-chosen `t` (biased to Int64.min/max and the edges of
//   the tolerance window), a clock `now` chosen the same way, and optional extra items. The verdict must
//   be exactly "accepted iff |now - t| <= tolerance" (Int128 again). Fuzzing alone would not find the
//   overflow at t near Int64.min: it depends on a value, not on a path, so the values are picked here.
@testable import Crypto

private let interesting: [Int64] = [.min, .min + 1, .min + 299, .min + 300, .min + 301, -1, 0, 1, 299, 300, 301,
                                    1_764_000_000, .max - 301, .max - 300, .max - 1, .max]

/// A timestamp: one of the interesting values, an offset from `base`, or any Int64.
private func timestamp(_ input: inout FuzzInput, base: Int64) -> Int64 {
    let selector = input.byte()
    let raw = input.integer(Int64.self)
    switch selector % 4 {
    case 0: return interesting[Int(UInt64(bitPattern: raw) % UInt64(interesting.count))]
    case 1: return base &+ Int64(Int16(truncatingIfNeeded: raw))  // near the window's edges
    case 2: return base &+ (raw % 2 == 0 ? 300 : -300) &+ Int64(Int8(truncatingIfNeeded: raw >> 8))
    default: return raw
    }
}

private func within(_ t: Int64, _ now: Int64, _ tolerance: Int64) -> Bool {
    let d = Int128(now) - Int128(t)
    return (d < 0 ? -d : d) <= Int128(tolerance)
}

private func trimmed(_ s: Substring) -> Substring {
    var s = s
    while s.first == " " { s.removeFirst() }
    while s.last == " " { s.removeLast() }
    return s
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSignature(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    var input = FuzzInput(data, size)
    let signedMode = input.bool()
    let toleranceChoice = input.byte()
    let tolerance: Int64 = switch toleranceChoice % 4 {
    case 0: WebhookSignature.defaultTolerance
    case 1: 0
    case 2: .max
    default: Int64(Int8(bitPattern: toleranceChoice))
    }
    let secret = String(decoding: input.chunk(), as: UTF8.self)
    let secrets = secret.isEmpty ? ["whsec_test"] : [secret, "whsec_other"]
    let body = input.chunk()

    if signedMode {
        let now = timestamp(&input, base: 1_764_000_000)
        let t = timestamp(&input, base: now)
        var header = WebhookSignature.header(body: body, timestamp: t, secrets: [secrets[0]])
        let extra = String(decoding: input.rest, as: UTF8.self)
        let appendExtra = !extra.isEmpty && !extra.contains("t")  // another t item would change the signed t
        if appendExtra { header += "," + extra }
        do {
            let accepted = try WebhookSignature.verify(body: body, header: header, secrets: secrets, tolerance: tolerance, now: now)
            require(accepted == t, "accepted t=\(accepted), signed t=\(t)")
            require(within(t, now, tolerance), "accepted t=\(t) at now=\(now), tolerance \(tolerance)")
        } catch {
            _ = error.description  // must not trap either
            if appendExtra && error != .timestampOutsideTolerance(timestamp: t, now: now) { return 0 }
            require(error == .timestampOutsideTolerance(timestamp: t, now: now),
                    "refused a correct signature with \(error.code) (t=\(t), now=\(now))")
            require(!within(t, now, tolerance), "refused t=\(t) at now=\(now) inside tolerance \(tolerance)")
        }
        return 0
    }

    let now = timestamp(&input, base: 1_764_000_000)
    let header = String(decoding: input.rest, as: UTF8.self)
    do {
        let t = try WebhookSignature.verify(body: body, header: header, secrets: secrets, tolerance: tolerance, now: now)
        // Reference check on the raw header (the expected signatures computed once, not per item).
        let expected = Set(secrets.map { Hex.encode(Digest.hmacSHA256(key: Array($0.utf8), message: Array("\(t).".utf8) + body)) })
        var sawT = false, sawMatch = false
        for item in header.split(separator: ",") {
            guard let eq = item.firstIndex(of: "=") else { continue }
            let key = trimmed(item[..<eq]), value = trimmed(item[item.index(after: eq)...])
            if key == "t", Int64(value) == t { sawT = true }
            if key == "v1", value.utf8.count == 64, expected.contains(value.lowercased()) { sawMatch = true }
        }
        require(sawT, "accepted t=\(t), which no t item of the header holds: \(header)")
        require(sawMatch, "accepted a header with no correct v1: \(header)")
        require(within(t, now, tolerance), "accepted t=\(t) at now=\(now), tolerance \(tolerance)")
    } catch {
        _ = error.description
        _ = error.code
    }
    return 0
}
