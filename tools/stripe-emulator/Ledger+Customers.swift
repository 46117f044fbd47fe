extension Ledger {
    /// `POST /v1/customers`.
    mutating func createCustomer(_ p: Params, request: RequestInfo? = nil) throws(StripeError) -> JSONObject {
        try p.allowOnly(["email", "name", "description", "phone", "metadata", "expand", "address", "preferred_locales",
                         "payment_method", "invoice_settings"])
        let customer: JSONObject = [
            "id": .string(IDs.make("cus_")), "object": "customer", "address": nil, "balance": 0,
            "created": .int(IDs.now()), "currency": nil, "default_source": nil, "delinquent": false,
            "description": JSON(try p.string("description")), "email": JSON(try p.string("email")),
            "invoice_prefix": .string(IDs.random(8).uppercased()),
            "invoice_settings": ["custom_fields": nil, "default_payment_method": nil, "footer": nil, "rendering_options": nil],
            "livemode": false, "metadata": .object(try p.metadata() ?? JSONObject()), "name": JSON(try p.string("name")),
            "phone": JSON(try p.string("phone")), "preferred_locales": [], "shipping": nil, "tax_exempt": "none",
        ]
        insert(customer)
        emit("customer.created", customer, request: request)
        return customer
    }

    /// `POST /v1/customers/{id}`: email, name, description, phone, metadata (merged).
    mutating func updateCustomer(_ id: String, _ p: Params) throws(StripeError) -> JSONObject {
        try p.allowOnly(["email", "name", "description", "phone", "metadata", "expand"])
        var c = try get("customer", id)
        for key in ["email", "name", "description", "phone"] {
            if let v = try p.string(key) { c[key] = v.isEmpty ? nil : .string(v) }
        }
        if let m = try p.object("metadata") {
            var metadata = c.object("metadata") ?? JSONObject()
            for (k, v) in m.values.pairs { if let t = v.text, !t.isEmpty { metadata[k] = .string(t) } else { metadata.remove(k) } }
            c["metadata"] = .object(metadata)
        }
        update(c)
        return c
    }
}
