import HTTPServer
import Testing

@Suite("Router")
struct RouterTests {
    struct Failure: Error {}

    private func request(_ method: HTTPMethod, _ target: String) -> HTTPRequest {
        HTTPRequest(method: method, target: target, headers: ["Host": "a"])
    }

    private func body(_ response: HTTPResponse) -> String { String(decoding: response.body, as: UTF8.self) }

    private var router: HTTPRouter {
        var router = HTTPRouter()
        router.get("/") { _, _ in .text(.ok, "root") }
        router.get("/v1/orders") { _, _ in .text(.ok, "list") }
        router.post("/v1/orders") { _, _ in .text(.created, "create") }
        router.get("/v1/orders/{id}") { _, p in .text(.ok, "order \(p["id"] ?? "?")") }
        router.get("/v1/orders/new") { _, _ in .text(.ok, "new form") }
        router.delete("/v1/orders/{id}/items/{item}") { _, p in .text(.ok, "\(p["id"]!)/\(p["item"]!)") }
        router.post("/v1/fail") { _, _ in throw HTTPError(status: .paymentRequired, code: "card_declined", message: "declined") }
        router.put("/v1/crash") { _, _ in throw Failure() }
        return router
    }

    @Test("literal and parameter routes match, parameters decoded")
    func matching() async {
        #expect(body(await router.handle(request(.get, "/"))) == "root")
        #expect(body(await router.handle(request(.get, "/v1/orders?limit=5"))) == "list")
        #expect(await router.handle(request(.post, "/v1/orders")).status == .created)
        #expect(body(await router.handle(request(.get, "/v1/orders/ord_1"))) == "order ord_1")
        #expect(body(await router.handle(request(.get, "/v1/orders/a%20b"))) == "order a b")
        #expect(body(await router.handle(request(.delete, "/v1/orders/o1/items/i2"))) == "o1/i2")
    }

    @Test("a literal segment wins over a parameter")
    func specificity() async {
        #expect(body(await router.handle(request(.get, "/v1/orders/new"))) == "new form")
    }

    @Test("unknown paths get 404 JSON; trailing slashes and empty segments do not match")
    func notFound() async {
        for target in ["/nope", "/v1/orders/", "/v1/orders//items/x", "/v1/orders/a/b", "*"] {
            let response = await router.handle(request(.get, target))
            #expect(response.status == .notFound, "\(target)")
            #expect(body(response).contains(#""code":"not_found""#))
        }
    }

    @Test("a known path with another method gets 405 and Allow")
    func methodNotAllowed() async {
        let response = await router.handle(request(.delete, "/v1/orders"))
        #expect(response.status == .methodNotAllowed)
        #expect(response.headers["allow"] == "GET, HEAD, POST")
        #expect(body(response).contains(#""code":"method_not_allowed""#))
        let items = await router.handle(request(.get, "/v1/orders/o1/items/i2"))
        #expect(items.headers["allow"] == "DELETE")
    }

    @Test("HEAD is served by the GET handler")
    func head() async {
        let response = await router.handle(request(.head, "/v1/orders/ord_9"))
        #expect(response.status == .ok)
        #expect(body(response) == "order ord_9")
    }

    @Test("thrown HTTPErrors become their response; other errors become a bare 500")
    func errors() async {
        let declined = await router.handle(request(.post, "/v1/fail"))
        #expect(declined.status == .paymentRequired)
        #expect(body(declined) == #"{"error":{"code":"card_declined","message":"declined"}}"#)
        let crash = await router.handle(request(.put, "/v1/crash"))
        #expect(crash.status == .internalServerError)
        #expect(body(crash) == #"{"error":{"code":"internal","message":"internal error"}}"#)
    }

    @Test("a malformed escape in a parameter gets 400")
    func badEscape() async {
        #expect(await router.handle(request(.get, "/v1/orders/%ZZ")).status == .badRequest)
    }

    @Test("the router lists what was registered")
    func registered() {
        let list = router.registered.map { "\($0.method) \($0.pattern)" }
        #expect(list.contains("GET /v1/orders/{id}"))
        #expect(list.contains("POST /v1/orders"))
        #expect(list.count == 8)
    }
}
