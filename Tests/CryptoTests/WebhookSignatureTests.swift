import Crypto
import Foundation
import Testing

@Suite("HMAC and webhook signatures")
struct WebhookSignatureTests {
    static let fixtureHeader = "t=1795276603,v1=3a94e785b3e48d445ffba5d25c300a79c3daf301bac22a4a8b0c52aa0e353db1"

    static func fixtureBody() throws -> [UInt8] {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/stripe/localstripe-payment_intent.succeeded.json")
        return Array(try Data(contentsOf: url))
    }

    @Test("HMAC-SHA256 matches RFC 4231 test case 2")
    func rfc4231() {
        let mac = Digest.hmacSHA256(key: Array("Jefe".utf8), message: Array("what do ya want for nothing?".utf8))
        #expect(Hex.encode(mac) == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
    }

    @Test("the localstripe delivery verifies with its secret")
    func fixtureVerifies() throws {
        let body = try Self.fixtureBody()
        let t = try WebhookSignature.verify(body: body, header: Self.fixtureHeader, secrets: ["whsec_test_r2"], now: 1795276603)
        #expect(t == 1795276603)
    }

    @Test("one flipped byte fails")
    func flippedByte() throws {
        var body = try Self.fixtureBody()
        body[body.count / 2] ^= 0x01
        #expect(throws: WebhookSignature.Failure.noMatchingSignature) {
            try WebhookSignature.verify(body: body, header: Self.fixtureHeader, secrets: ["whsec_test_r2"], now: 1795276603)
        }
    }

    @Test("the localstripe delivery: each way of breaking it fails with its own reason")
    func fixtureReasons() throws {
        let body = try Self.fixtureBody()
        let t: Int64 = 1795276603
        let signature = String(Self.fixtureHeader.split(separator: ",")[1].dropFirst(3))
        func failure(_ header: String?, body: [UInt8], secrets: [String] = ["whsec_test_r2"], now: Int64 = 1795276603) -> WebhookSignature.Failure? {
            do { try WebhookSignature.verify(body: body, header: header, secrets: secrets, now: now); return nil }
            catch { return error }
        }
        #expect(failure(Self.fixtureHeader, body: body) == nil)
        // One flipped byte, anywhere: first, last, inside a value.
        for index in [0, body.count - 1, body.count / 3] {
            var flipped = body
            flipped[index] ^= 0x20
            #expect(failure(Self.fixtureHeader, body: flipped) == .noMatchingSignature, "byte \(index)")
        }
        #expect(failure(Self.fixtureHeader, body: body + [0x0a]) == .noMatchingSignature)
        #expect(failure(Self.fixtureHeader, body: body, secrets: ["whsec_test_r1"]) == .noMatchingSignature)
        #expect(failure(Self.fixtureHeader, body: body, secrets: ["whsec_test_r2 "]) == .noMatchingSignature)
        #expect(failure(Self.fixtureHeader, body: body, secrets: []) == .noMatchingSignature)
        // A signature under another timestamp, an upper-case or truncated hex signature.
        #expect(failure("t=\(t + 1),v1=\(signature)", body: body, now: t + 1) == .noMatchingSignature)
        #expect(failure("t=\(t),v1=\(signature.dropLast(2))", body: body) == .noMatchingSignature)
        #expect(failure("t=\(t),v1=zz\(signature.dropFirst(2))", body: body) == .noMatchingSignature)
        // The right signature under another scheme only: v0 is a decoy, never accepted.
        #expect(failure("t=\(t),v0=\(signature)", body: body) == .noV1Signature)
        #expect(failure("t=\(t),v2=\(signature)", body: body) == .noV1Signature)
        #expect(failure("t=\(t)", body: body) == .noV1Signature)
        // Next to a v0 and a bad v1, the good v1 still verifies.
        #expect(failure("t=\(t),v0=\(signature),v1=\(String(repeating: "0", count: 64)),v1=\(signature)", body: body) == nil)
        // Timestamps: 300 s either way is fine, 301 s is not (old, and far future).
        #expect(failure(Self.fixtureHeader, body: body, now: t + 300) == nil)
        #expect(failure(Self.fixtureHeader, body: body, now: t - 300) == nil)
        #expect(failure(Self.fixtureHeader, body: body, now: t + 301) == .timestampOutsideTolerance(timestamp: t, now: t + 301))
        #expect(failure(Self.fixtureHeader, body: body, now: t - 301) == .timestampOutsideTolerance(timestamp: t, now: t - 301))
        #expect(failure(Self.fixtureHeader, body: body, now: t + 86_400 * 365) != nil)
        // Unparseable timestamps.
        #expect(failure("t=abc,v1=\(signature)", body: body) == .unparseableHeader)
        #expect(failure("v1=\(signature)", body: body) == .unparseableHeader)
        #expect(failure("garbage", body: body) == .unparseableHeader)
        #expect(failure(nil, body: body) == .missingHeader)
    }

    @Test("each failure has a distinct stable code")
    func distinctCodes() {
        let all: [WebhookSignature.Failure] = [.missingHeader, .unparseableHeader, .noV1Signature, .noMatchingSignature,
                                               .timestampOutsideTolerance(timestamp: 1, now: 400)]
        #expect(Set(all.map(\.code)).count == all.count)
        #expect(Set(all.map(\.description)).count == all.count)
        #expect(WebhookSignature.secrets(fromList: " whsec_a, whsec_b ,,") == ["whsec_a", "whsec_b"])
    }

    @Test("rotation: any configured secret, any v1")
    func rotation() throws {
        let body = Array(#"{"id":"evt_1"}"#.utf8)
        let header = WebhookSignature.header(body: body, timestamp: 100, secrets: ["whsec_old", "whsec_new"])
        try WebhookSignature.verify(body: body, header: header, secrets: ["whsec_new"], now: 100)
        try WebhookSignature.verify(body: body, header: header, secrets: ["whsec_other", "whsec_old"], now: 100)
        #expect(throws: WebhookSignature.Failure.noMatchingSignature) {
            try WebhookSignature.verify(body: body, header: header, secrets: ["whsec_other"], now: 100)
        }
    }

    @Test("each malformed header fails with its own reason")
    func reasons() throws {
        let body = Array("{}".utf8)
        let good = WebhookSignature.header(body: body, timestamp: 1000, secrets: ["whsec_a"])
        func failure(_ header: String?, now: Int64 = 1000) -> String? {
            do { try WebhookSignature.verify(body: body, header: header, secrets: ["whsec_a"], now: now); return nil }
            catch { return error.code }
        }
        #expect(failure(nil) == "missing_header")
        #expect(failure("") == "missing_header")
        #expect(failure("v1=abcd") == "unparseable_header")
        #expect(failure("t=1000") == "no_v1_signature")
        #expect(failure("t=1000,v0=" + String(repeating: "a", count: 64)) == "no_v1_signature")
        #expect(failure(good, now: 1301) == "timestamp_outside_tolerance")
        #expect(failure(good, now: 699) == "timestamp_outside_tolerance")
        #expect(failure(good, now: 1300) == nil)
        #expect(failure(good, now: 700) == nil)
    }

    // Found by the signature fuzz target (reproducer: 01 00 00 00 03, i.e. an empty body and secret, t =
    // Int64.min, now = 0): `abs(now - t)` trapped on overflow and killed payments. A correctly signed
    // header with an absurd `t` must be refused as outside the tolerance, never crash.
    @Test("a correctly signed header with t near Int64.min or Int64.max is outside the tolerance", arguments: [
        (Int64.min, Int64(0)), (Int64.min, Int64(1_795_276_603)), (Int64.min + 1, Int64(-1)), (Int64.max, Int64(-1)),
        (Int64.max, Int64.min), (Int64.min, Int64.max), (Int64(0), Int64.min), (Int64.min + 301, Int64.min),
    ])
    func extremeTimestamps(t: Int64, now: Int64) throws {
        let body = Array("{}".utf8)
        let header = WebhookSignature.header(body: body, timestamp: t, secrets: ["whsec_x"])
        let failure = try #require(throws: WebhookSignature.Failure.self) {
            try WebhookSignature.verify(body: body, header: header, secrets: ["whsec_x"], now: now)
        }
        #expect(failure == .timestampOutsideTolerance(timestamp: t, now: now))
        #expect(failure.description.contains("s from now"))  // the message's arithmetic must not trap either
    }

    @Test("the tolerance window is exact at its edges, including next to Int64.min and Int64.max", arguments: [
        (Int64.min, Int64.min + 300, true), (Int64.min, Int64.min + 301, false),
        (Int64.max, Int64.max - 300, true), (Int64.max - 301, Int64.max, false),
        (Int64(1_000), Int64(1_300), true), (Int64(1_300), Int64(1_000), true), (Int64(1_000), Int64(1_301), false),
    ])
    func toleranceEdges(t: Int64, now: Int64, accepted: Bool) throws {
        let body = Array("{}".utf8)
        let header = WebhookSignature.header(body: body, timestamp: t, secrets: ["whsec_x"])
        if accepted {
            #expect(try WebhookSignature.verify(body: body, header: header, secrets: ["whsec_x"], now: now) == t)
        } else {
            #expect(throws: WebhookSignature.Failure.timestampOutsideTolerance(timestamp: t, now: now)) {
                try WebhookSignature.verify(body: body, header: header, secrets: ["whsec_x"], now: now)
            }
        }
    }

    @Test("constant-time compare and hex round trip")
    func compare() {
        #expect(Digest.constantTimeEqual([1, 2, 3], [1, 2, 3]))
        #expect(!Digest.constantTimeEqual([1, 2, 3], [1, 2, 4]))
        #expect(!Digest.constantTimeEqual([1, 2], [1, 2, 3]))
        #expect(Hex.decode("00ff10AB") == [0, 255, 16, 171])
        #expect(Hex.decode("0") == nil)
        #expect(Hex.decode("zz") == nil)
    }
}
