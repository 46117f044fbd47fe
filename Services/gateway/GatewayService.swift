import HTTP
import Logging
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
        variables: GatewayConfig.variables)

    static func build(_ context: ServiceContext) throws -> ServiceParts {
        let config = try GatewayConfig.read()
        let server = HTTPServer(host: config.host, port: config.port, logger: context.logger,
                                router: routes(context))
        return ServiceParts(
            start: { try server.start() },
            stop: { server.stop() })
    }

    /// The HTTP routes. Today only the gateway's own liveness; the API arrives with its issue.
    static func routes(_ context: ServiceContext) -> HTTPRouter {
        var router = HTTPRouter(logger: context.logger)
        router.get("/healthz") { _, _ in
            var w = JSONWriter()
            w.beginObject()
            w.field("status", "ok")
            w.field("service", "gateway")
            w.field("version", ShopVersion.current)
            w.endObject()
            return .json(.ok, w)
        }
        return router
    }
}

/// The gateway's own settings.
struct GatewayConfig {
    var host: String
    var port: Int

    static let variables = [
        ("GATEWAY_HOST", "address the HTTP server binds: an IPv4/IPv6 literal or localhost (default 127.0.0.1)"),
        ("GATEWAY_PORT", "TCP port of the HTTP server, 0 to 65535; 0 picks a free port (default 8080)"),
    ]

    static func read() throws(ConfigError) -> GatewayConfig {
        var r = ConfigReader()
        let host = r.string("GATEWAY_HOST", default: "127.0.0.1")
        let port = r.int("GATEWAY_PORT", default: 8080, range: 0...65_535)
        try r.finish()
        return GatewayConfig(host: host, port: port)
    }
}
