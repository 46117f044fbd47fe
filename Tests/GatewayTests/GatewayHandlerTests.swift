import HTTPServer
@testable import gateway
import Logging
import Messages
import Synchronization
import Testing
import Wire

/// Canned answers per message type in place of payments and fulfillment, recording every call: the
/// gateway's handlers run without a socket.
final class FakeUpstream: Upstream {
    private let answers: [String: Result<RawJSON, WireError>]
    private let calls = Mutex<[String]>([])

    init(_ answers: [String: Result<RawJSON, WireError>] = [:]) {
        self.answers = answers
    }

    /// The message types called so far, in order.
    var called: [String] { calls.withLock { $0 } }

    func call<Out: Decodable & Sendable>(_ peer: Peer, _ type: String, _ payload: some Encodable & Sendable,
                                         traceID: String, deadline: Duration?) async throws(UpstreamError) -> Out {
        calls.withLock { $0.append(type) }
        switch answers[type] ?? .failure(.unavailable("no canned answer for \(type)")) {
        case .success(let json):
            do throws(WireError) { return try json.decode(Out.self) } catch { throw UpstreamError(peer: peer, error: error) }
        case .failure(let error):
            throw UpstreamError(peer: peer, error: error)
        }
    }
}

@Suite("gateway handlers over a fake upstream")
struct GatewayHandlerTests {
    static func gateway(_ upstream: FakeUpstream) -> Gateway {
        Gateway(upstream: upstream, metrics: Metrics(), logger: Logger(service: "gateway", level: .error),
                stripeJSURL: GatewayConfig.defaultStripeJSURL, baseURL: { "http://127.0.0.1:8080" })
    }

    static func send(_ upstream: FakeUpstream, _ method: HTTPMethod, _ target: String, headers: HTTPHeaders = HTTPHeaders(),
                     body: String = "") async -> (status: Int, body: String) {
        let gateway = gateway(upstream)
        let response = await gateway.handle(HTTPRequest(method: method, target: target, headers: headers, body: Array(body.utf8),
                                                        requestID: "req_test", remoteAddress: "127.0.0.1:5000"),
                                            router: gateway.router())
        return (response.status.code, String(decoding: response.body, as: UTF8.self))
    }

    static let json: HTTPHeaders = ["Content-Type": "application/json"]

    @Test("/api/catalog answers fulfillment's catalog as JSON")
    func catalog() async throws {
        let reply = CatalogReply(products: [Product(sku: "mug", name: "Coffee mug", description: nil, unitAmount: 1200,
                                                    currency: "usd", available: 5)])
        let upstream = FakeUpstream([OrderMessages.catalogList: .success(try RawJSON(encoding: reply))])
        let (status, body) = await Self.send(upstream, .get, "/api/catalog")
        #expect(status == 200)
        #expect(body.contains("\"sku\":\"mug\"") && body.contains("1200"))
        #expect(upstream.called == [OrderMessages.catalogList])
    }

    @Test("an upstream that is down is a 503, one that finds nothing a 404", arguments: [
        (WireError.unavailable("fulfillment is down"), 503),
        (WireError.notFound("no order 'ord_x'"), 404),
    ])
    func upstreamErrors(error: WireError, status: Int) async {
        let upstream = FakeUpstream([OrderMessages.get: .failure(error)])
        #expect(await Self.send(upstream, .get, "/api/orders/ord_x").status == status)
        #expect(upstream.called == [OrderMessages.get])
    }

    @Test("a POST that is not JSON, or comes from another site, never reaches a service", arguments: [
        ([("Content-Type", "text/plain")], 415),
        ([("Content-Type", "application/json"), ("Sec-Fetch-Site", "cross-site")], 403),
        ([("Content-Type", "application/json"), ("Origin", "https://evil.example")], 403),
    ] as [([(String, String)], Int)])
    func refusedPosts(fields: [(String, String)], status: Int) async {
        var headers = HTTPHeaders()
        for (name, value) in fields { headers.add(name, value) }
        let upstream = FakeUpstream()
        let body = #"{"items":[{"sku":"mug","quantity":1}],"email":"a@example.com"}"#
        #expect(await Self.send(upstream, .post, "/api/orders", headers: headers, body: body).status == status)
        #expect(upstream.called.isEmpty)
    }

    @Test("an order body the gateway refuses is a 422 naming the field (400 when not JSON), and no service is called",
          arguments: [
              (#"{"items":[],"email":"a@example.com"}"#, 422, "items"),
              (#"{"items":[{"sku":"mug","quantity":0}],"email":"a@example.com"}"#, 422, "quantity"),
              (#"{"items":[{"sku":"mug","quantity":1}],"email":"not an email"}"#, 422, "email"),
              (#"{"items":[{"sku":"mug","quantity":1}]"#, 400, "body"),
          ])
    func badOrderBodies(body: String, expected: Int, field: String) async {
        let upstream = FakeUpstream()
        let (status, text) = await Self.send(upstream, .post, "/api/orders", headers: Self.json, body: body)
        #expect(status == expected)
        #expect(text.contains(field))
        #expect(upstream.called.isEmpty)
    }

    @Test("an order whose payment cannot be created yet still answers its id and token, to pay later")
    func orderWithoutPayment() async throws {
        let order = Order(orderID: "ord_1", status: .awaitingPayment, email: "a@example.com", currency: "usd", amount: 1200,
                          items: [OrderLine(sku: "mug", name: "Coffee mug", quantity: 1, unitAmount: 1200, amount: 1200)], flow: .paymentIntent,
                          createdAt: 1, expiresAt: 2, history: [])
        let upstream = FakeUpstream([OrderMessages.create: .success(try RawJSON(encoding: order))])
        let body = #"{"items":[{"sku":"mug","quantity":1}],"email":"a@example.com"}"#
        let (status, text) = await Self.send(upstream, .post, "/api/orders", headers: Self.json, body: body)
        #expect(status == 503)
        #expect(text.contains("ord_1") && text.contains("otk_"))
        #expect(upstream.called == [OrderMessages.create, PaymentMessages.createPaymentIntent])
    }

    @Test("/healthz answers without calling anything; an unknown path is a 404")
    func liveness() async {
        let upstream = FakeUpstream()
        #expect(await Self.send(upstream, .get, "/healthz").status == 200)
        #expect(await Self.send(upstream, .get, "/no/such/page").status == 404)
        #expect(upstream.called.isEmpty)
    }
}
