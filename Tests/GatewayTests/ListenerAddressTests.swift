import Testing

@testable import gateway

/// The base URL of a listener (the public port's, the console's), the same rule for both.
@Suite("Listener address")
struct ListenerAddressTests {
    @Test("without a configured base URL: the bound port, a wildcard or localhost shown as loopback, IPv6 in brackets")
    func local() {
        let cases: [(String, String)] = [("0.0.0.0", "http://127.0.0.1"), ("localhost", "http://127.0.0.1"),
                                         ("127.0.0.1", "http://127.0.0.1"), ("::", "http://[::1]"), ("[::]", "http://[::1]"),
                                         ("::1", "http://[::1]"), ("[fe80::1]", "http://[fe80::1]"), ("10.0.0.7", "http://10.0.0.7")]
        for (host, expected) in cases {
            let address = ListenerAddress(host: host, port: 0, baseURL: nil)
            #expect(address.baseURL == expected + ":0", "\(host) before binding")
            address.bound(to: 4242)
            #expect(address.baseURL == expected + ":4242", "\(host)")
        }
    }

    @Test("a configured base URL wins over the bound port")
    func configured() {
        let address = ListenerAddress(host: "0.0.0.0", port: 0, baseURL: "https://shop.example.com/store")
        address.bound(to: 4242)
        #expect(address.baseURL == "https://shop.example.com/store")
    }
}
