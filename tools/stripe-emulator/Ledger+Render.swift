extension Ledger {
    /// The wire form of a stored object for an API version, with `expand[]` paths applied.
    ///
    /// Internal `_` fields are dropped. Version differences: invoices carry `payment_intent` up to
    /// acacia, and from basil drop it (and `paid`) and offer `confirmation_secret` as an includable field
    /// (present only when expanded, as on Stripe). A path names an id field (`payment_intent`,
    /// `latest_charge`, `customer`, ...) or an includable one, optionally nested (`payment_intent.latest_charge`);
    /// anything else is Stripe's 400 "This property cannot be expanded".
    func render(_ stored: JSONObject, version: APIVersion, expand: [String] = [], includeSecret: Bool = false)
        throws(StripeError) -> JSON {
        var o = JSONObject()
        for (k, v) in stored.pairs where !k.hasPrefix("_") { o[k] = v }
        let type = stored.string("object") ?? ""
        switch type {
        case "invoice":
            if version.usesConfirmationSecret {
                o.remove("payment_intent")
                o.remove("paid")
            }
            // Lines name their invoice item with `parent` from basil, with `invoice_item` + `type` before.
            if var lines = o.object("lines"), let data = lines["data"]?.array {
                lines["data"] = .array(data.map { line in
                    guard var l = line.object else { return line }
                    if version.usesConfirmationSecret { l.remove("invoice_item"); l.remove("type") } else { l.remove("parent") }
                    return .object(l)
                })
                o["lines"] = .object(lines)
            }
        case "webhook_endpoint":
            if !includeSecret { o.remove("secret") }
        default: break
        }

        // Group paths by their first component.
        var groups: [(String, [String])] = []
        for path in expand {
            let parts = path.split(separator: ".", maxSplits: 1)
            guard let head = parts.first.map(String.init) else { continue }
            let rest = parts.count > 1 ? [String(parts[1])] : []
            if let i = groups.firstIndex(where: { $0.0 == head }) { groups[i].1 += rest } else { groups.append((head, rest)) }
        }
        for (field, rest) in groups {
            if let included = try includable(field, of: stored, type: type, version: version, expand: rest) {
                o[field] = included
                continue
            }
            guard let value = o[field] else {
                throw .invalid("expand", "This property cannot be expanded (\(field)).")
            }
            switch value {
            case .null: continue
            case .string(let id):
                guard let target = objects[id] else { continue }
                o[field] = try render(target, version: version, expand: rest)
            case .object(let nested):
                // Already an object (e.g. `last_payment_error`): expand inside it.
                if !rest.isEmpty { o[field] = try render(nested, version: version, expand: rest) }
            default:
                throw .invalid("expand", "This property cannot be expanded (\(field)).")
            }
        }
        return .object(o)
    }

    /// Fields that exist only when asked for with `expand[]`.
    private func includable(_ field: String, of stored: JSONObject, type: String, version: APIVersion,
                            expand: [String]) throws(StripeError) -> JSON? {
        switch (type, field) {
        case ("invoice", "confirmation_secret") where version.usesConfirmationSecret:
            guard let pi = stored.string("payment_intent").flatMap({ objects[$0] }),
                  let secret = pi.string("client_secret") else { return .null }
            return ["client_secret": .string(secret), "type": "payment_intent"]
        case ("checkout.session", "line_items"):
            let items = stored["_line_items"]?.array ?? []
            return list(items, url: "/v1/checkout/sessions/\(stored.id)/line_items")
        default:
            return nil
        }
    }

    /// A list object around already-rendered items.
    func list(_ items: [JSON], url: String, hasMore: Bool = false) -> JSON {
        ["object": "list", "data": .array(items), "has_more": .bool(hasMore), "url": .string(url)]
    }
}
