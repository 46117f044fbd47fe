extension Ledger {
    /// `POST /v1/webhook_endpoints` (and the test helper, which may choose the secret): `url` and
    /// `enabled_events[]` (`*` for all). The answer is the only place the `secret` is shown, as on Stripe.
    mutating func createWebhookEndpoint(_ p: Params, secret: String? = nil) throws(StripeError) -> JSONObject {
        try p.allowOnly(["url", "enabled_events", "description", "metadata", "api_version", "connect", "expand", "disabled"])
        let url = try p.requiredString("url")
        guard url.hasPrefix("http://") || url.hasPrefix("https://") else {
            throw .invalid("url", "Invalid URL: \(url). URLs must begin with http:// or https://.", code: "url_invalid")
        }
        guard let events = try p.stringArray("enabled_events"), !events.isEmpty else { throw .missing("enabled_events") }
        if let secret, !secret.hasPrefix("whsec_") {
            throw .invalid("secret", "A webhook secret must start with whsec_.")
        }
        let endpoint: JSONObject = [
            "id": .string(IDs.make("we_")), "object": "webhook_endpoint", "api_version": JSON(try p.string("api_version")),
            "application": nil, "created": .int(IDs.now()), "description": JSON(try p.string("description")),
            "enabled_events": .array(events.map(JSON.string)), "livemode": false,
            "metadata": .object(try p.metadata() ?? JSONObject()), "secret": .string(secret ?? IDs.webhookSecret()),
            "status": .string(try p.bool("disabled") == true ? "disabled" : "enabled"), "url": .string(url),
        ]
        insert(endpoint)
        return endpoint
    }

    /// `POST /v1/webhook_endpoints/{id}`: url, enabled_events, disabled, description, metadata.
    mutating func updateWebhookEndpoint(_ id: String, _ p: Params) throws(StripeError) -> JSONObject {
        try p.allowOnly(["url", "enabled_events", "description", "metadata", "disabled", "expand"])
        var endpoint = try get("webhook_endpoint", id)
        if let url = try p.string("url") { endpoint["url"] = .string(url) }
        if let events = try p.stringArray("enabled_events") { endpoint["enabled_events"] = .array(events.map(JSON.string)) }
        if let disabled = try p.bool("disabled") { endpoint["status"] = disabled ? "disabled" : "enabled" }
        if let d = try p.string("description") { endpoint["description"] = .string(d) }
        if let m = try p.metadata() { endpoint["metadata"] = .object(m) }
        update(endpoint)
        return endpoint
    }

    /// `DELETE /v1/webhook_endpoints/{id}`; its pending deliveries are dropped.
    mutating func deleteWebhookEndpoint(_ id: String) throws(StripeError) -> JSON {
        _ = try get("webhook_endpoint", id)
        remove(id)
        for (key, d) in deliveries where d.endpointID == id && d.status == "pending" {
            deliveries[key]?.status = "failed"
            dirtyDeliveries.insert(key)
        }
        return ["id": .string(id), "object": "webhook_endpoint", "deleted": true]
    }

    /// Registers the endpoint configured at start (`EMULATOR_WEBHOOK_URL`): reuses an endpoint with the same
    /// URL (after a restart with a database file), updating its secret and events.
    mutating func ensureWebhookEndpoint(url: String, secret: String, events: [String]) throws(StripeError) -> JSONObject {
        if var existing = all("webhook_endpoint").first(where: { $0.string("url") == url }) {
            existing["secret"] = .string(secret)
            existing["enabled_events"] = .array(events.map(JSON.string))
            existing["status"] = "enabled"
            update(existing)
            return existing
        }
        return try createWebhookEndpoint(Params(["url": .string(url), "enabled_events": .array(events.map(JSON.string))]),
                                         secret: secret)
    }
}
