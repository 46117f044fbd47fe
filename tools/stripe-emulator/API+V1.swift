extension API {
    /// Every `/v1/` endpoint the stand-in implements (see docs/STRIPE-EMULATOR.md).
    mutating func registerV1() {
        // PaymentMethods
        v1(.post, "/v1/payment_methods") { l, c in
            let o = try l.createPaymentMethod(c.params)
            return try l.render(o, version: c.version, expand: c.expand)
        }
        v1(.get, "/v1/payment_methods/{id}") { l, c in
            let o = try l.get("payment_method", c.id)
            return try l.render(o, version: c.version, expand: c.expand)
        }

        // PaymentIntents
        v1(.post, "/v1/payment_intents") { l, c in
            let o = try l.createPaymentIntent(c.params, request: c.info)
            return try l.render(o, version: c.version, expand: c.expand)
        }
        v1(.get, "/v1/payment_intents") { l, c in
            try l.listObjects("payment_intent", c.params, url: "/v1/payment_intents", filters: ["customer"], version: c.version,
                              expand: c.expand)
        }
        v1(.get, "/v1/payment_intents/{id}") { l, c in
            try c.params.allowOnly(["expand", "client_secret"])
            let o = try l.get("payment_intent", c.id)
            return try l.render(o, version: c.version, expand: c.expand)
        }
        v1(.post, "/v1/payment_intents/{id}") { l, c in
            let o = try l.updatePaymentIntent(c.id, c.params)
            return try l.render(o, version: c.version, expand: c.expand)
        }
        v1(.post, "/v1/payment_intents/{id}/confirm") { l, c in
            let o = try l.confirmPaymentIntent(c.id, c.params, request: c.info)
            return try l.render(o, version: c.version, expand: c.expand)
        }
        v1(.post, "/v1/payment_intents/{id}/cancel") { l, c in
            let o = try l.cancelPaymentIntent(c.id, c.params, request: c.info)
            return try l.render(o, version: c.version, expand: c.expand)
        }
        v1(.get, "/v1/charges/{id}") { l, c in
            let o = try l.get("charge", c.id)
            return try l.render(o, version: c.version, expand: c.expand)
        }

        // Checkout Sessions
        v1(.post, "/v1/checkout/sessions") { l, c in
            let o = try l.createCheckoutSession(c.params, version: c.version, request: c.info)
            return try l.render(o, version: c.version,
                         expand: c.expand)
        }
        v1(.get, "/v1/checkout/sessions") { l, c in
            try l.listObjects("checkout.session", c.params, url: "/v1/checkout/sessions",
                              filters: ["payment_intent", "customer", "status"], version: c.version, expand: c.expand)
        }
        v1(.get, "/v1/checkout/sessions/{id}") { l, c in
            try c.params.allowOnly(["expand"])
            let o = try l.get("checkout.session", c.id)
            return try l.render(o, version: c.version, expand: c.expand)
        }
        v1(.get, "/v1/checkout/sessions/{id}/line_items") { l, c in
            let session = try l.get("checkout.session", c.id)
            let items = (session["_line_items"]?.array ?? []).compactMap(\.object)
            return try l.page(Array(items), c.params, url: "/v1/checkout/sessions/\(c.id)/line_items") { .object($0) }
        }
        v1(.post, "/v1/checkout/sessions/{id}/expire") { l, c in
            try c.params.allowOnly(["expand"])
            let o = try l.expireCheckoutSession(c.id, request: c.info)
            return try l.render(o, version: c.version, expand: c.expand)
        }

        // Customers
        v1(.post, "/v1/customers") { l, c in
            let o = try l.createCustomer(c.params, request: c.info)
            return try l.render(o, version: c.version, expand: c.expand)
        }
        v1(.get, "/v1/customers") { l, c in
            try l.listObjects("customer", c.params, url: "/v1/customers", filters: ["email"], version: c.version, expand: c.expand)
        }
        v1(.get, "/v1/customers/{id}") { l, c in
            let o = try l.get("customer", c.id)
            return try l.render(o, version: c.version, expand: c.expand)
        }
        v1(.post, "/v1/customers/{id}") { l, c in
            let o = try l.updateCustomer(c.id, c.params)
            return try l.render(o, version: c.version, expand: c.expand)
        }

        // Invoice items and invoices
        v1(.post, "/v1/invoiceitems") { l, c in
            let o = try l.createInvoiceItem(c.params, request: c.info)
            return try l.render(o, version: c.version, expand: c.expand)
        }
        v1(.get, "/v1/invoiceitems/{id}") { l, c in
            let o = try l.get("invoiceitem", c.id)
            return try l.render(o, version: c.version, expand: c.expand)
        }
        v1(.post, "/v1/invoices") { l, c in
            let o = try l.createInvoice(c.params, request: c.info)
            return try l.render(o, version: c.version, expand: c.expand)
        }
        v1(.get, "/v1/invoices") { l, c in
            try l.listObjects("invoice", c.params, url: "/v1/invoices", filters: ["customer", "status"], version: c.version,
                              expand: c.expand)
        }
        v1(.get, "/v1/invoices/{id}") { l, c in
            try c.params.allowOnly(["expand"])
            let o = try l.get("invoice", c.id)
            return try l.render(o, version: c.version, expand: c.expand)
        }
        v1(.post, "/v1/invoices/{id}/finalize") { l, c in
            let o = try l.finalizeInvoice(c.id, c.params, request: c.info)
            return try l.render(o, version: c.version, expand: c.expand)
        }
        v1(.post, "/v1/invoices/{id}/pay") { l, c in
            let o = try l.payInvoice(c.id, c.params, request: c.info)
            return try l.render(o, version: c.version, expand: c.expand)
        }

        // Events
        v1(.get, "/v1/events") { l, c in try l.listEvents(c.params) }
        v1(.get, "/v1/events/{id}") { l, c in
            try c.params.allowOnly(["expand"])
            return l.renderEvent(try l.get("event", c.id))
        }

        // Webhook endpoints
        v1(.post, "/v1/webhook_endpoints") { l, c in
            let o = try l.createWebhookEndpoint(c.params)
            return try l.render(o, version: c.version, includeSecret: true)
        }
        v1(.get, "/v1/webhook_endpoints") { l, c in
            try l.listObjects("webhook_endpoint", c.params, url: "/v1/webhook_endpoints", filters: [], version: c.version,
                              expand: c.expand)
        }
        v1(.get, "/v1/webhook_endpoints/{id}") { l, c in
            let o = try l.get("webhook_endpoint", c.id)
            return try l.render(o, version: c.version)
        }
        v1(.post, "/v1/webhook_endpoints/{id}") { l, c in
            let o = try l.updateWebhookEndpoint(c.id, c.params)
            return try l.render(o, version: c.version)
        }
        v1(.delete, "/v1/webhook_endpoints/{id}") { l, c in try l.deleteWebhookEndpoint(c.id) }
    }
}
