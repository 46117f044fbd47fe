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
