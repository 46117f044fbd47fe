/// The Stripe operations this project uses, with the parameters it sends, in the order it sends them.
extension StripeClient {
    // MARK: PaymentIntents

    /// `POST /v1/payment_intents`. Sends only what it needs (localstripe refuses parameters it does not
    /// know): amount, currency, the metadata, and either `automatic_payment_methods[enabled]=true` or,
    /// when `paymentMethodTypes` is non-empty, `payment_method_types[]`.
    public func createPaymentIntent(amount: Int, currency: String, metadata: [(String, String)],
                                    paymentMethodTypes: [String], customer: String? = nil, receiptEmail: String? = nil,
                                    idempotencyKey: String) async throws(StripeError) -> PaymentIntent {
        try await post("/v1/payment_intents",
                       Self.paymentIntentParams(amount: amount, currency: currency, metadata: metadata,
                                                paymentMethodTypes: paymentMethodTypes, customer: customer, receiptEmail: receiptEmail),
                       idempotencyKey: idempotencyKey)
    }

    /// The create parameters, exposed for wire-format tests.
    public static func paymentIntentParams(amount: Int, currency: String, metadata: [(String, String)],
                                           paymentMethodTypes: [String], customer: String? = nil, receiptEmail: String? = nil) -> FormParams {
        var p = FormParams()
        p.set("amount", .int(amount))
        p.set("currency", .string(currency))
        p.set("metadata", .object(FormParams(metadata)))
        if paymentMethodTypes.isEmpty {
            p.set("automatic_payment_methods", ["enabled": true])
        } else {
            p.set("payment_method_types", .array(paymentMethodTypes.map { .string($0) }))
        }
        p.set("customer", customer.map { .string($0) })
        p.set("receipt_email", receiptEmail.map { .string($0) })
        return p
    }

    /// `GET /v1/payment_intents/{id}`.
    public func retrievePaymentIntent(_ id: String) async throws(StripeError) -> PaymentIntent {
        try await get("/v1/payment_intents/\(Self.segment(id))")
    }

    /// `POST /v1/payment_intents/{id}/cancel`.
    public func cancelPaymentIntent(_ id: String, idempotencyKey: String) async throws(StripeError) -> PaymentIntent {
        try await post("/v1/payment_intents/\(Self.segment(id))/cancel", FormParams(), idempotencyKey: idempotencyKey)
    }

    // MARK: Checkout Sessions

    /// One line of a Checkout Session, priced by the server.
    public struct CheckoutLine: Sendable {
        public var name: String
        public var unitAmount: Int
        public var quantity: Int
        public init(name: String, unitAmount: Int, quantity: Int) { self.name = name; self.unitAmount = unitAmount; self.quantity = quantity }
    }

    /// The parameters of an embedded Checkout Session, exposed for wire-format tests.
    public static func checkoutSessionParams(version: StripeAPIVersion, currency: String, lines: [CheckoutLine],
                                             returnURL: String, metadata: [(String, String)], paymentMethodTypes: [String],
                                             customerEmail: String?, expiresAt: Int64?) -> FormParams {
        var p = FormParams()
        p.set("mode", "payment")
        p.set("ui_mode", .string(version.embeddedCheckoutUIMode))
        p.set("line_items", .array(lines.map { line in
            [
                "price_data": ["currency": .string(currency), "unit_amount": .int(line.unitAmount),
                               "product_data": ["name": .string(line.name)]],
                "quantity": .int(line.quantity),
            ]
        }))
        // Stripe substitutes the literal {CHECKOUT_SESSION_ID}; it must reach Stripe unescaped by us
        // (form escaping turns the braces into %7B/%7D, which Stripe decodes back).
        p.set("return_url", .string(returnURL))
        p.set("metadata", .object(FormParams(metadata)))
        p.set("payment_intent_data", ["metadata": .object(FormParams(metadata))])
        if !paymentMethodTypes.isEmpty { p.set("payment_method_types", .array(paymentMethodTypes.map { .string($0) })) }
        p.set("customer_email", customerEmail.map { .string($0) })
        p.set("expires_at", expiresAt.map { .int(Int($0)) })
        return p
    }

    /// `POST /v1/checkout/sessions` in the embedded ui_mode of the pinned version.
    public func createCheckoutSession(currency: String, lines: [CheckoutLine], returnURL: String, metadata: [(String, String)],
                                      paymentMethodTypes: [String], customerEmail: String?, expiresAt: Int64?,
                                      idempotencyKey: String) async throws(StripeError) -> CheckoutSession {
        try await post("/v1/checkout/sessions",
                       Self.checkoutSessionParams(version: configuration.apiVersion, currency: currency, lines: lines,
                                                  returnURL: returnURL, metadata: metadata, paymentMethodTypes: paymentMethodTypes,
                                                  customerEmail: customerEmail, expiresAt: expiresAt),
                       idempotencyKey: idempotencyKey)
    }

    /// `GET /v1/checkout/sessions/{id}` with its PaymentIntent expanded.
    public func retrieveCheckoutSession(_ id: String) async throws(StripeError) -> CheckoutSession {
        try await get("/v1/checkout/sessions/\(Self.segment(id))", ["expand": ["payment_intent"]])
    }

    /// `POST /v1/checkout/sessions/{id}/expire`.
    public func expireCheckoutSession(_ id: String, idempotencyKey: String) async throws(StripeError) -> CheckoutSession {
        try await post("/v1/checkout/sessions/\(Self.segment(id))/expire", FormParams(), idempotencyKey: idempotencyKey)
    }

    // MARK: Customers and invoices

    /// The first customer with `email` (`GET /v1/customers?email=`), or a new one.
    public func findOrCreateCustomer(email: String, idempotencyKey: String) async throws(StripeError) -> Customer {
        let found: StripeList<Customer> = try await get("/v1/customers", ["email": .string(email), "limit": 1])
        if let customer = found.data.first { return customer }
        return try await post("/v1/customers", ["email": .string(email)], idempotencyKey: idempotencyKey)
    }

    /// `POST /v1/invoices`: a draft that collects no pending items of the customer (so two orders of one
    /// customer never mix), with the order in its metadata.
    public func createInvoice(customer: String, currency: String, metadata: [(String, String)],
                              idempotencyKey: String) async throws(StripeError) -> Invoice {
        var p = FormParams()
        p.set("customer", .string(customer))
        p.set("currency", .string(currency))
        p.set("collection_method", "charge_automatically")
        p.set("auto_advance", false)
        p.set("pending_invoice_items_behavior", "exclude")
        p.set("metadata", .object(FormParams(metadata)))
        return try await post("/v1/invoices", p, idempotencyKey: idempotencyKey)
    }

    /// `POST /v1/invoiceitems` attached to `invoice`.
    public func createInvoiceItem(customer: String, invoice: String, amount: Int, currency: String, description: String,
                                  metadata: [(String, String)], idempotencyKey: String) async throws(StripeError) -> InvoiceItem {
        var p = FormParams()
        p.set("customer", .string(customer))
        p.set("invoice", .string(invoice))
        p.set("amount", .int(amount))
        p.set("currency", .string(currency))
        p.set("description", .string(description))
        p.set("metadata", .object(FormParams(metadata)))
        return try await post("/v1/invoiceitems", p, idempotencyKey: idempotencyKey)
    }

    /// `POST /v1/invoices/{id}/finalize`, expanding whatever carries the client secret in the pinned version.
    public func finalizeInvoice(_ id: String, idempotencyKey: String) async throws(StripeError) -> Invoice {
        try await post("/v1/invoices/\(Self.segment(id))/finalize",
                       ["expand": [.string(configuration.apiVersion.invoiceSecretExpansion)]], idempotencyKey: idempotencyKey)
    }

    /// `GET /v1/invoices/{id}` with the client-secret carrier expanded.
    public func retrieveInvoice(_ id: String) async throws(StripeError) -> Invoice {
        try await get("/v1/invoices/\(Self.segment(id))", ["expand": [.string(configuration.apiVersion.invoiceSecretExpansion)]])
    }

    // MARK: Events

    /// `GET /v1/events`: newest first, optionally from `createdSince` (Unix seconds) and after an id.
    public func listEvents(limit: Int = 100, startingAfter: String? = nil, createdSince: Int64? = nil,
                           deliverySuccess: Bool? = nil) async throws(StripeError) -> EventPage {
        var p = FormParams()
        p.set("limit", .int(limit))
        p.set("starting_after", startingAfter.map { .string($0) })
        if let createdSince { p.set("created", ["gte": .int(Int(createdSince))]) }
        p.set("delivery_success", deliverySuccess.map { .bool($0) })
        return try EventPage.decode(try await send("GET", "/v1/events", params: p).body)
    }
}

extension FormParams {
    /// Params from ordered string pairs (metadata).
    public init(_ pairs: [(String, String)]) {
        self.init()
        for (k, v) in pairs { set(k, .string(v)) }
    }
}
