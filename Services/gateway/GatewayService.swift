import ServiceKit

/// gateway: the only process facing the network. Translates HTTP into messages to the other services;
/// holds no Stripe secret and owns no business data (so it has no database).
enum GatewayService {
    static let spec = ServiceSpec(
        name: "gateway",
        summary: "the public HTTP API, webhook endpoint and pages",
        migrations: nil,
        peers: ["payments", "fulfillment"],
        variables: [
            ("GATEWAY_HOST", "address the HTTP server binds (default 127.0.0.1)"),
            ("GATEWAY_PORT", "TCP port of the HTTP server, 0 to 65535 (default 8080)"),
        ])

    static func build(_ context: ServiceContext) throws -> ServiceParts {
        ServiceParts()
    }
}
