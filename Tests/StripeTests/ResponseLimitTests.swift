import Curl
import Foundation
import Stripe
import Testing

/// Response bodies are capped: a server cannot make the process buffer without bound.
@Suite("Response size limit")
struct ResponseLimitTests {
    // The stub keeps writing after the client aborts: its write must fail with EPIPE, not kill the runner.
    init() { signal(SIGPIPE, SIG_IGN) }

    @Test("HTTPClient: a body over the limit ends the transfer with a tooLarge error; one at the limit is read")
    func httpClientLimit() async throws {
        let server = try StubServer { _, request in
            .respond(status: 200, body: String(repeating: "x", count: request.target == "/big" ? 1025 : 1024))
        }
        defer { server.stop() }
        let client = HTTPClient(timeouts: ClientTimeouts(connect: .seconds(2), total: .seconds(5)), maxResponseBytes: 1024)
        let ok = try await client.send(ClientRequest(method: "GET", url: server.baseURL + "/fits"))
        #expect(ok.body.count == 1024)
        let error = await #expect(throws: CurlError.self) {
            try await client.send(ClientRequest(method: "GET", url: server.baseURL + "/big"))
        }
        #expect(error?.kind == .tooLarge)
        #expect(error?.message.contains("1024") == true)
    }

    @Test("Stripe: a response of more than a few MiB is refused at once, not retried")
    func stripeLimit() async throws {
        let huge = String(repeating: " ", count: HTTPClient.defaultMaxResponseBytes + 1)
        let server = try StubServer { _, _ in .respond(status: 200, body: huge) }
        defer { server.stop() }
        let client = RetryTests.client(server.baseURL)
        let error = await #expect(throws: StripeError.self) {
            try await client.send("GET", "/v1/events")
        }
        #expect(error?.curlError?.kind == .tooLarge, "\(String(describing: error))")
        #expect(error?.attempts == 1)
        #expect(server.requests.count == 1)
    }
}
