import HTTPServer
import Logging
import Messages
import ServiceKit
import Wire

/// gateway: the only process facing the network. Translates HTTP into messages to the other services;
/// holds no Stripe secret and owns no business data (so it has no database).
enum GatewayService {
    static let spec = ServiceSpec(
        name: "gateway",
        summary: "the public HTTP API, webhook endpoint and pages",
        migrations: nil,
        peers: ["payments", "fulfillment"],
        variables: GatewayConfig.variables + AdminConfig.variables,
        commands: [
            ServiceCommand(name: "openapi", usage: "openapi   print the OpenAPI 3 document of the public HTTP API") { _, _ in
                print(OpenAPI.document, terminator: "")
                return 0
            },
            ServiceCommand(name: "routes", usage: "routes    print every route of the public HTTP API, one 'METHOD PATTERN' a line") { _, _ in
                // The same router the server runs, built without connecting to anything.
                let gateway = Gateway(upstream: Unconnected(), metrics: Metrics(), logger: Logger(service: "gateway", level: .error),
                                      stripeJSURL: GatewayConfig.defaultStripeJSURL, baseURL: { "" })
                for route in gateway.router().registered { print("\(route.method) \(route.pattern)") }
                let console = AdminConsole(gateway: gateway, tokens: AdminTokens(entries: []), sessions: AdminSessions(ttl: .seconds(60)),
                                           config: AdminConfig(), baseURL: { "" })
                for route in console.router().registered { print("\(route.method) \(route.pattern)") }
                return 0
            },
            adminTokenCommand,
        ])

    /// An upstream for building the router outside a running service (`gateway routes`): every call fails.
    struct Unconnected: Upstream {
        func call<Out: Decodable & Sendable>(_ peer: Peer, _ type: String, _ payload: some Encodable & Sendable,
                                             traceID: String, deadline: Duration?) async throws(UpstreamError) -> Out {
            throw UpstreamError(peer: peer, error: .unavailable("not connected"))
        }
    }

    static func build(config: GatewayConfig, context: ServiceContext) throws -> ServiceParts {
        let metrics = Metrics()
        let address = ListenerAddress(host: config.host, port: config.port, baseURL: config.publicBaseURL)
        var configured = Gateway(upstream: SocketUpstream(context: context, metrics: metrics), metrics: metrics,
                              logger: context.logger, stripeJSURL: config.stripeJSURL,
                              baseURL: { address.baseURL },
                              maxFrameBytes: context.config.maxFrameBytes)
        configured.policy = config.policy
        for warning in config.retired { context.logger.warn(warning) }
        let gateway = configured
        let router = gateway.router()
        let server = HTTPServer(host: config.host, port: config.port, logger: context.logger) { request in
            await gateway.handle(request, router: router)
        }
        let listener = HTTPListener(server: server, address: address) {
            context.logger.info("gateway ready", ["http.public_base_url": gateway.baseURL(), "stripe.js_url": config.stripeJSURL])
        }
        // The console's listener after the public one: stopped first, while the shop still answers.
        let console = AdminConsole.build(config.admin, gateway: gateway, logger: context.logger)
        return ServiceParts(services: [listener] + (console.map { [$0] } ?? []))
    }

    /// An HTTP server (the public port's, the console's) as a piece of the service: bound before the socket
    /// opens (so a gateway that answers `health` takes HTTP requests), its port then recorded in `address`
    /// and `announce` called; when cancelled it drains its requests and stops.
    struct HTTPListener: Service {
        let server: HTTPServer
        let address: ListenerAddress
        let announce: @Sendable () -> Void

        func prepare() throws {
            try server.start()
            address.bound(to: server.port)
            announce()
        }

        func run() async {
            await untilCancelled()
            await server.stop()
        }
    }
}

extension Gateway {
    /// Every route of the public surface. Each handler is wrapped to count its requests and latency under
    /// its route pattern (never the raw path, so the metric's series stay bounded).
    func router() -> HTTPRouter {
        var r = HTTPRouter(logger: logger)
        func on(_ method: HTTPMethod, _ pattern: String,
                _ handler: @escaping @Sendable (HTTPRequest, PathParameters) async -> HTTPResponse) {
            let metrics = self.metrics
            r.on(method, pattern) { request, parameters in
                let started = ContinuousClock.now
                // Cross-site and non-JSON POSTs, and clients over their rate, never reach the handler.
                let response = if let refused = precheck(method, pattern, request) { refused } else { await handler(request, parameters) }
                metrics.request(method: request.method.rawValue, route: pattern, status: response.status.code,
                                duration: .now - started)
                return response
            }
        }

        // Operations.
        on(.get, "/healthz") { request, _ in liveness(request) }
        on(.get, "/readyz") { request, _ in await readiness(request) }
        on(.get, "/openapi.json") { _, _ in
            HTTPResponse(status: .ok, headers: ["Content-Type": "application/json", "Cache-Control": "public, max-age=300"],
                         body: OpenAPI.bytes)
        }

        // The JSON API.
        on(.get, "/config") { request, _ in await config(request) }
        on(.get, "/api/catalog") { request, _ in await catalog(request) }
        on(.post, "/api/orders") { request, _ in await createOrder(request, flow: .paymentIntent) }
        on(.get, "/api/orders/{order_id}") { request, p in await getOrder(request, orderID: p["order_id"] ?? "") }
        on(.post, "/api/orders/{order_id}/payment") { request, p in await resumePayment(request, orderID: p["order_id"] ?? "") }
        on(.post, "/api/checkout/sessions") { request, _ in await createOrder(request, flow: .checkoutSession) }
        on(.get, "/api/checkout/session-status") { request, _ in await sessionStatus(request) }
        on(.post, "/api/invoices") { request, _ in await createOrder(request, flow: .invoice) }

        // Stripe.
        on(.post, "/webhooks/stripe") { request, _ in await webhook(request) }
        on(.get, "/payment/return") { request, _ in await paymentReturn(request) }
        on(.get, "/stripe_return") { request, _ in await checkoutReturn(request) }

        // Pages.
        for page in Pages.all {
            on(.get, page.path) { _, _ in page.response(self) }
        }
        on(.get, "/assets/app.css") { _, _ in Pages.asset(Pages.css, type: "text/css; charset=utf-8") }
        on(.get, "/assets/app.js") { _, _ in Pages.asset(Pages.script, type: "text/javascript; charset=utf-8") }
        return r
    }

    /// The server's handler: routes `request`; what no route matches (404, 405) is counted as `unmatched`.
    func handle(_ request: HTTPRequest, router: HTTPRouter) async -> HTTPResponse {
        if case .handler(let handler, let parameters) = router.resolve(request.method, path: request.path) {
            do {
                return try await handler(request, parameters)
            } catch {
                // The wrapped handlers answer every error themselves; this is only a safety net.
                logger.error("HTTP handler failed", ["http.request_id": request.requestID, "error": "\(error)"])
                return .error(.internalError())
            }
        }
        let started = ContinuousClock.now
        let response = await router.handle(request)
        metrics.request(method: request.method.rawValue, route: "unmatched", status: response.status.code,
                        duration: .now - started)
        return response
    }
}
