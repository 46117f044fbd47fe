import Foundation
import HTTPTesting
import Testing

/// The gateway's operational surface, in front of the real services: readiness, metrics, the OpenAPI
/// document, the pages, its settings.
@Suite("Gateway operations", .serialized)
struct GatewayOperationsTests {
    static func states(_ r: HTTPTestResponse) -> [String: [String: Any]] {
        r.json["services"] as? [String: [String: Any]] ?? [:]
    }

    @Test("readiness (the console's detailed /admin/api/readiness): 200 ok with every real service up; degraded (payments without STRIPE_SECRET_KEY) is ready; a stalled service is a timeout, a stopped one unreachable, both 503")
    func readiness() throws {
        let stack = try FullStack(webhooks: false)
        var r = try stack.readiness()
        #expect(r.status == 200, "\(r)\n\(stack.logs)")
        #expect(r.json["status"] as? String == "ok", "\(r)")
        #expect(r.header("Cache-Control") == "no-store")
        for name in ["gateway", "payments", "fulfillment", "notifier"] {
            #expect(Self.states(r)[name]?["status"] as? String == "ok", "\(name): \(r)")
        }
        #expect((Self.states(r)["payments"]?["checks"] as? [String: String])?["database"] == "ok", "\(r)")
        #expect((Self.states(r)["payments"]?["checks"] as? [String: String])?["stripe"] == "ok", "\(r)")

        // payments without a secret key runs degraded: still ready, the state and the check say so.
        let unconfigured = try stack.replace(stack.payments, overrides: ["STRIPE_SECRET_KEY": ""])
        r = try stack.eventuallyAnswers("payments degraded", { try stack.readiness() }) {
            Self.states($0)["payments"]?["status"] as? String == "degraded"
        }
        #expect(r.status == 200, "\(r)")
        #expect(r.json["status"] as? String == "degraded")
        #expect((Self.states(r)["payments"]?["checks"] as? [String: String])?["stripe"] == "degraded", "\(r)")
        #expect(!r.text.contains("STRIPE_SECRET_KEY"), "check details stay in `payments health`, out of the HTTP body: \(r)")
        try stack.restore(stack.payments, from: unconfigured)
        r = try stack.eventuallyAnswers("payments ok again", { try stack.readiness() }) { $0.status == 200 && $0.json["status"] as? String == "ok" }

        // notifier stalled (SIGSTOP): no answer within the 1.5 s deadline.
        stack.notifier.signal(SIGSTOP)
        r = try stack.readiness()
        stack.notifier.signal(SIGCONT)
        #expect(r.status == 503, "\(r)")
        #expect(r.json["status"] as? String == "unavailable")
        #expect(Self.states(r)["notifier"]?["status"] as? String == "timeout", "\(r)")
        #expect(Self.states(r)["payments"]?["status"] as? String == "ok", "\(r)")
        _ = try stack.eventuallyAnswers("ready after SIGCONT", { try stack.readiness() }) { $0.status == 200 }

        // fulfillment stopped: unreachable.
        stack.fulfillment.crash()
        r = try stack.readiness()
        #expect(r.status == 503, "\(r)")
        #expect(Self.states(r)["fulfillment"]?["status"] as? String == "unreachable", "\(r)")
        #expect(Self.states(r)["notifier"]?["status"] as? String == "ok", "\(r)")

        // Nothing but the gateway: each service named unreachable; liveness does not depend on them.
        stack.stop(stack.payments)
        stack.stop(stack.notifier)
        r = try stack.readiness()
        #expect(r.status == 503, "\(r)")
        #expect(Self.states(r)["gateway"]?["status"] as? String == "ok")
        for name in ["payments", "fulfillment", "notifier"] {
            #expect(Self.states(r)[name]?["status"] as? String == "unreachable", "\(name): \(r)")
        }
        let live = try stack.http.get("/healthz")
        #expect(live.status == 200 && live.json["status"] as? String == "ok", "\(live)")

        // Back up: ready again.
        try stack.fulfillment.restart()
        try stack.payments.restart()
        try stack.notifier.restart()
        _ = try stack.eventuallyAnswers("ready after the restarts", { try stack.readiness() }) { $0.status == 200 }
    }

    @Test("metrics (the console's /admin/api/metrics): Prometheus text with requests by route pattern and status, latency histogram, unmatched paths")
    func metrics() throws {
        let stack = try FullStack(webhooks: false)
        let orderID = try #require(try stack.create()["order_id"] as? String)
        for _ in 0..<3 { #expect(try stack.http.get("/api/orders/\(orderID)").status == 200) }
        for id in ["ord_a", "ord_b"] { #expect(try stack.http.get("/api/orders/\(id)").status == 404) }
        _ = try stack.http.get("/no/such/path")
        _ = try stack.http.send("DELETE", "/api/catalog")
        let r = try TestConsole.metrics(stack.gateway)
        #expect(r.status == 200)
        #expect(r.header("Content-Type")?.hasPrefix("text/plain; version=0.0.4") == true)
        let text = r.text
        #expect(text.contains(#"gateway_http_requests_total{method="POST",route="/api/orders",status="201"} 1"#), "\(text)")
        #expect(text.contains(#"gateway_http_requests_total{method="GET",route="/api/orders/{order_id}",status="200"} 3"#), "\(text)")
        #expect(text.contains(#"gateway_http_requests_total{method="GET",route="/api/orders/{order_id}",status="404"} 2"#), "\(text)")
        #expect(!text.contains("ord_a") && !text.contains(orderID), "raw paths must not become labels")
        #expect(text.contains(#"gateway_http_requests_total{method="GET",route="unmatched",status="404"} 1"#))
        #expect(text.contains(#"gateway_http_requests_total{method="DELETE",route="unmatched",status="405"} 1"#))
        #expect(text.contains(#"gateway_http_request_duration_seconds_bucket{route="/api/orders/{order_id}",le="+Inf"} 5"#))
        #expect(text.contains(#"gateway_http_request_duration_seconds_count{route="/api/orders/{order_id}"} 5"#))
        #expect(text.contains("# TYPE gateway_http_request_duration_seconds histogram"))
        #expect(text.contains(#"gateway_webhook_deliveries_total{outcome="accepted"} 0"#))
        #expect(text.contains("# TYPE gateway_upstream_errors_total counter"))
        #expect(text.contains(#"gateway_upstream_errors_total{service="fulfillment",code="not_found"} 2"#), "\(text)")
    }

    @Test("/openapi.json is the document `gateway openapi` prints and Services/gateway/Assets/openapi.json holds; its paths are exactly the router's routes")
    func openAPI() throws {
        let h = try FullStack(webhooks: false)
        let served = try h.http.get("/openapi.json")
        #expect(served.status == 200)
        #expect(served.header("Content-Type") == "application/json")
        let printed = try runCommand(Binaries.path("gateway"), ["openapi"], environment: h.env)
        #expect(printed.status == 0)
        #expect(printed.stdout == served.text)
        let docs = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Services/gateway/Assets/openapi.json")
        let source = try String(contentsOf: docs, encoding: .utf8)
        #expect(source == printed.stdout, "the gateway serves another document than its source file")

        // The document and the router agree: every route is documented, every documented operation exists.
        let routes = try runCommand(Binaries.path("gateway"), ["routes"], environment: h.env)
        #expect(routes.status == 0)
        let routed = Set(routes.stdout.split(separator: "\n").map { $0.lowercased() })
        let documentPaths = try #require((try JSONSerialization.jsonObject(with: Data(source.utf8)) as? [String: Any])?["paths"]
                                         as? [String: [String: Any]])
        let documented = Set(documentPaths.flatMap { path, operations in
            operations.keys.filter { ["get", "post", "put", "delete", "patch"].contains($0) }.map { "\($0) \(path)" }
        })
        #expect(routed.count > 15)
        #expect(routed.subtracting(documented).isEmpty, "routes missing from the document: \(routed.subtracting(documented).sorted())")
        #expect(documented.subtracting(routed).isEmpty, "documented but not routed: \(documented.subtracting(routed).sorted())")

        let validation = try runCommand(VenvPython.path, [VenvPython.script("gateway_openapi_validate.py"), docs.path],
                                        environment: VenvPython.environment)
        #expect(validation.status == 0, "openapi-spec-validator (in \(VenvPython.path)): \(validation.stdout) \(validation.stderr)")

        let json = served.json
        #expect((json["openapi"] as? String)?.hasPrefix("3.") == true)
        let paths = try #require(json["paths"] as? [String: Any])
        for path in ["/healthz", "/readyz", "/config", "/api/catalog", "/api/orders", "/api/orders/{order_id}",
                     "/api/orders/{order_id}/payment", "/api/checkout/sessions", "/api/checkout/session-status", "/api/invoices",
                     "/webhooks/stripe", "/payment/return", "/stripe_return", "/", "/checkout", "/checkout/embedded", "/invoice",
                     "/order/success", "/payment/error", "/order/pay"] {
            #expect(paths[path] != nil, "\(path) is not documented")
        }
    }

    @Test("the pages are served as HTML, load Stripe.js from STRIPE_JS_URL, hold no secret, and send a CSP of the shop and that origin")
    func pages() throws {
        let h = try FullStack(webhooks: false,
                              environment: ["STRIPE_JS_URL": "http://127.0.0.1:9/stripe.js", "PUBLIC_BASE_URL": "https://shop.example.com"])
        for (path, stripe) in [("/", false), ("/checkout?order_id=ord_1", true), ("/checkout/embedded?order_id=ord_1", true),
                               ("/invoice?order_id=ord_1", true), ("/order/success?order_id=ord_1", false),
                               ("/payment/error?order_id=ord_1&reason=payment_failed", false), ("/order/pay?order_id=ord_1", false)] {
            let r = try h.http.get(path)
            #expect(r.status == 200, "\(path): \(r)")
            #expect(r.header("Content-Type") == "text/html; charset=utf-8")
            let html = r.text
            #expect(html.contains("name=\"viewport\""))
            #expect(html.contains("<script src=\"http://127.0.0.1:9/stripe.js\"></script>") == stripe, "\(path)")
            #expect(html.contains("data-return-url=\"https://shop.example.com/payment/return\""))
            #expect(!html.contains("sk_") && !html.contains("_secret_") && !html.contains("whsec_"), "\(path) leaks a secret")
            // Scripts, frames and connections only from the shop and Stripe.js's origin; never framed.
            let policy = try #require(r.header("Content-Security-Policy"), "\(path) has no CSP")
            let directives = Dictionary(policy.split(separator: ";").map { d -> (String, String) in
                let parts = d.trimmingCharacters(in: .whitespaces).split(separator: " ", maxSplits: 1).map(String.init)
                return (parts[0], parts.count > 1 ? parts[1] : "")
            }, uniquingKeysWith: { a, _ in a })
            #expect(directives["script-src"] == "'self' http://127.0.0.1:9", "\(path): \(policy)")
            #expect(directives["frame-src"] == "http://127.0.0.1:9", "\(path): \(policy)")
            #expect(directives["connect-src"] == "'self' http://127.0.0.1:9", "\(path): \(policy)")
            #expect(directives["frame-ancestors"] == "'none'" && directives["object-src"] == "'none'", "\(path): \(policy)")
            #expect(directives["style-src"] == "'self'" && directives["default-src"] == "'self'", "\(path): \(policy)")
        }
        // With the real Stripe.js, the hosts Stripe documents for it, and no other.
        let real = try FullStack(webhooks: false)
        let policy = try #require(try real.http.get("/checkout?order_id=ord_1").header("Content-Security-Policy"))
        #expect(policy.contains("script-src 'self' https://js.stripe.com https://*.js.stripe.com;"), "\(policy)")
        #expect(policy.contains("frame-src https://js.stripe.com https://*.js.stripe.com https://hooks.stripe.com;"), "\(policy)")
        #expect(policy.contains("connect-src 'self' https://api.stripe.com;"), "\(policy)")
        let script = try h.http.get("/assets/app.js")
        #expect(script.status == 200 && script.text.contains("confirmPayment") && script.text.contains("initEmbeddedCheckout"))
        #expect(script.text.contains("createEmbeddedCheckoutPage"))
        #expect(try h.http.get("/assets/app.css").status == 200)
        // Nothing from the query is echoed into the HTML.
        let probe = try h.http.get("/payment/error?order_id=%3Cscript%3Ex&reason=%3Cb%3E")
        #expect(!probe.text.contains("<script>x") && !probe.text.contains("<b>"))
    }

    @Test("bad PUBLIC_BASE_URL or STRIPE_JS_URL stops start-up naming the variable")
    func configuration() throws {
        let dir = try TemporaryDirectory()
        for (name, value) in [("PUBLIC_BASE_URL", "ftp://shop.example.com"), ("PUBLIC_BASE_URL", "shop.example.com"),
                              ("PUBLIC_BASE_URL", "https://shop.example.com/?a=1"), ("PUBLIC_BASE_URL", "https://:80"),
                              ("STRIPE_JS_URL", "javascript:alert(1)"), ("STRIPE_JS_URL", "https://x.test/\"onload=\"")] {
            let r = try runCommand(Binaries.path("gateway"), ["serve"],
                                   environment: ServiceProcess.environment(in: dir, extra: ["GATEWAY_PORT": "0", name: value]))
            #expect(r.status == 78, "\(name)=\(value): \(r.stderr)")
            #expect(r.stderr.contains(name), "\(name)=\(value): \(r.stderr)")
        }
    }
}
