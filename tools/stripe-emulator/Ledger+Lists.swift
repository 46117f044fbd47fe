extension Ledger {
    /// One page of a list endpoint: `items` newest first, `limit` (1...100, default 10), `starting_after`
    /// / `ending_before` cursors; `{"object":"list","data":[...],"has_more":...,"url":...}`.
    func page(_ items: [JSONObject], _ p: Params, url: String, render: (JSONObject) throws(StripeError) -> JSON)
        throws(StripeError) -> JSON {
        let limit = try p.int("limit") ?? 10
        guard (1...100).contains(limit) else {
            throw .invalid("limit", "Invalid limit: must be between 1 and 100.", code: "parameter_invalid_integer")
        }
        var slice = items[...]
        if let after = try p.string("starting_after") {
            guard let i = items.firstIndex(where: { $0.id == after }) else { throw .noSuch("object", after, param: "starting_after") }
            slice = items[(i + 1)...]
        } else if let before = try p.string("ending_before") {
            guard let i = items.firstIndex(where: { $0.id == before }) else { throw .noSuch("object", before, param: "ending_before") }
            slice = items[max(0, i - Int(limit))..<i]
            return list(try slice.map { (o) throws(StripeError) -> JSON in try render(o) }, url: url,
                        hasMore: slice.startIndex > 0)
        }
        let pageItems = slice.prefix(Int(limit))
        var data: [JSON] = []
        for o in pageItems { data.append(try render(o)) }
        return list(data, url: url, hasMore: slice.count > pageItems.count)
    }

    /// `created` filters: `created=<ts>` or `created[gt|gte|lt|lte]=<ts>`.
    static func createdFilter(_ p: Params) throws(StripeError) -> (Int64) -> Bool {
        guard p.has("created") else { return { _ in true } }
        if let exact = p.values["created"]?.int { return { $0 == exact } }
        guard let c = try p.object("created") else { return { _ in true } }
        try c.allowOnly(["gt", "gte", "lt", "lte"])
        let gt = try c.int("gt"), gte = try c.int("gte"), lt = try c.int("lt"), lte = try c.int("lte")
        return { t in
            (gt.map { t > $0 } ?? true) && (gte.map { t >= $0 } ?? true) && (lt.map { t < $0 } ?? true) && (lte.map { t <= $0 } ?? true)
        }
    }

    /// `GET /v1/events`: `type` (exact or `prefix.*`), `types[]`, `delivery_success`, `created[...]`, paging.
    func listEvents(_ p: Params) throws(StripeError) -> JSON {
        try p.allowOnly(["type", "types", "delivery_success", "created", "limit", "starting_after", "ending_before", "expand"])
        let type = try p.string("type")
        let types = try p.stringArray("types")
        if type != nil && types != nil {
            throw .invalid("types", "You may only specify one of these parameters: type, types.", code: "parameters_exclusive")
        }
        let success = try p.bool("delivery_success")
        let created = try Self.createdFilter(p)
        let matchesType: (String) -> Bool = { t in
            if let type { return type == t || (type.hasSuffix(".*") && t.hasPrefix(type.dropLast())) }
            if let types { return types.contains(t) }
            return true
        }
        let events = all("event").filter { e in
            matchesType(e.string("type") ?? "") && created(e.int("created") ?? 0)
                && (success.map { deliverySucceeded(e.id) == $0 } ?? true)
        }
        return try page(events, p, url: "/v1/events") { e in renderEvent(e) }
    }

    /// A simple list of one object type with optional equality filters on top-level fields.
    func listObjects(_ type: String, _ p: Params, url: String, filters: [String], version: APIVersion,
                     expand: [String]) throws(StripeError) -> JSON {
        try p.allowOnly(Set(filters + ["limit", "starting_after", "ending_before", "expand", "created"]))
        var wanted: [(String, String)] = []
        for f in filters { if let v = try p.string(f) { wanted.append((f, v)) } }
        let created = try Self.createdFilter(p)
        let items = all(type).filter { o in
            created(o.int("created") ?? 0) && wanted.allSatisfy { o[$0.0]?.text == $0.1 }
        }
        // `expand[]=data.x` expands `x` in each item.
        let inner = expand.compactMap { $0.hasPrefix("data.") ? String($0.dropFirst(5)) : nil }
        return try page(items, p, url: url) { o throws(StripeError) in try render(o, version: version, expand: inner) }
    }

    /// Runs what is due by the clock: sessions past `expires_at` expire; asynchronous payments settle.
    mutating func runTimers(nowMs: Int64) {
        let now = nowMs / 1000
        for session in all("checkout.session") where session.string("status") == "open" {
            if let expiresAt = session.int("expires_at"), expiresAt <= now {
                _ = try? expireCheckoutSession(session.id, request: nil)
            }
        }
        for pi in all("payment_intent") where pi.string("status") == "processing" {
            if let due = pi.int("_settle_at_ms"), due <= nowMs {
                _ = try? settle(pi.id, success: true, request: nil)
            }
        }
        runRefundTimers(nowMs: nowMs)
    }
}
