import CCrypto

/// HMAC-SHA256 and SHA-256 from OpenSSL's libcrypto. Nothing here is hand-rolled: this file only moves
/// bytes in and out of libcrypto.
public enum Digest {
    /// The HMAC-SHA256 of `message` under `key` (32 bytes).
    public static func hmacSHA256(key: some Collection<UInt8>, message: some Collection<UInt8>) -> [UInt8] {
        let key = Array(key), message = Array(message)
        var out = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 32
        key.withUnsafeBufferPointer { k in
            message.withUnsafeBufferPointer { m in
                out.withUnsafeMutableBufferPointer { o in
                    // A non-null dummy keeps HMAC from treating an empty key as "reuse the last key".
                    var empty: UInt8 = 0
                    let keyPointer = k.baseAddress.map(UnsafeRawPointer.init) ?? withUnsafePointer(to: &empty) { UnsafeRawPointer($0) }
                    _ = HMAC(ccrypto_sha256(), keyPointer, Int32(k.count), m.baseAddress, m.count, o.baseAddress, &length)
                }
            }
        }
        return out
    }

    /// The HMAC-SHA256 of `message` under `key`, both taken as UTF-8, as lowercase hex.
    public static func hmacSHA256Hex(key: String, message: some Collection<UInt8>) -> String {
        Hex.encode(hmacSHA256(key: Array(key.utf8), message: message))
    }

    /// The SHA-256 of `data` (32 bytes).
    public static func sha256(_ data: some Collection<UInt8>) -> [UInt8] {
        let data = Array(data)
        var out = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 0
        data.withUnsafeBufferPointer { d in
            out.withUnsafeMutableBufferPointer { o in
                _ = EVP_Digest(d.baseAddress, d.count, o.baseAddress, &length, ccrypto_sha256(), nil)
            }
        }
        return out
    }

    /// Compares two byte strings in time that depends only on their lengths (OpenSSL's `CRYPTO_memcmp`).
    public static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        if a.isEmpty { return true }
        return a.withUnsafeBufferPointer { x in
            b.withUnsafeBufferPointer { y in CRYPTO_memcmp(x.baseAddress, y.baseAddress, x.count) == 0 }
        }
    }

    /// `count` bytes from OpenSSL's CSPRNG.
    public static func randomBytes(_ count: Int) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        let ok = out.withUnsafeMutableBufferPointer { RAND_bytes($0.baseAddress, Int32(count)) }
        precondition(ok == 1, "RAND_bytes failed")
        return out
    }
}

/// Lowercase hexadecimal.
public enum Hex {
    private static let digits = Array("0123456789abcdef".utf8)

    /// `bytes` as lowercase hex.
    public static func encode(_ bytes: some Collection<UInt8>) -> String {
        var out = [UInt8]()
        out.reserveCapacity(bytes.count * 2)
        for b in bytes {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The bytes of a hex string (either case), or nil when it is not an even run of hex digits.
    public static func decode(_ text: some StringProtocol) -> [UInt8]? {
        let utf8 = Array(text.utf8)
        guard utf8.count % 2 == 0 else { return nil }
        var out = [UInt8]()
        out.reserveCapacity(utf8.count / 2)
        var i = 0
        while i < utf8.count {
            guard let hi = value(utf8[i]), let lo = value(utf8[i + 1]) else { return nil }
            out.append(hi << 4 | lo)
            i += 2
        }
        return out
    }

    private static func value(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
