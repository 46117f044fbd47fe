import Crypto
import Foundation
import Logging
import Messages
import Storage
import Stripe
import Wire

/// The three ways to pay an order. Each create is idempotent per (order, flow, attempt): the payment
/// record answers a repeat without calling Stripe, and the Stripe idempotency key is derived from the
/// same triple, so even a crash between Stripe's answer and our record reuses the Stripe object.
struct PaymentFlows: Sendable {
    let stripe: StripeClient?
    let database: Database
    let config: PaymentsConfig
    let logger: Logger

    private func client() throws(WireError) -> StripeClient {
        guard let stripe else { throw .unavailable("payments has no STRIPE_SECRET_KEY configured") }
        return stripe
    }

    /// The Stripe idempotency key of one step of one attempt of one order's flow.
    static func idempotencyKey(_ request: CreatePaymentRequest, _ step: String) -> String {
        "shop:\(request.orderID):\(step):\(request.attempt ?? 1)"
    }

    static func validate(_ r: CreatePaymentRequest) throws(WireError) {
        guard !r.orderID.isEmpty, r.orderID.count <= 128 else { throw .invalidArgument("order_id: 1 to 128 characters") }
        guard r.amount > 0 else { throw .invalidArgument("amount: must be a positive integer in minor units") }
        guard r.currency.count == 3, r.currency.allSatisfy({ $0.isASCII && $0.isLetter }) else {
            throw .invalidArgument("currency: expected a three-letter ISO 4217 code")
        }
        guard (1...1000).contains(r.attempt ?? 1) else { throw .invalidArgument("attempt: 1 to 1000") }
        guard !r.lines.isEmpty else { throw .invalidArgument("lines: at least one line") }
        guard r.lines.reduce(0, { $0 + $1.unitAmount * $1.quantity }) == r.amount else {
            throw .invalidArgument("amount: does not equal the sum of the lines")
        }
    }

    private func existing(_ r: CreatePaymentRequest, flow: PaymentFlow) async throws(WireError) -> CreatePaymentReply? {
        do {
            return try await database.read { c -> CreatePaymentReply? in
                guard let row = try c.queryOne("""
                    SELECT stripe_id, payment_intent_id, client_secret, expires_at, amount, currency FROM payments
                    WHERE order_id = ? AND flow = ? AND attempt = ?
                    """, r.orderID, flow.rawValue, r.attempt ?? 1) else { return nil }
                guard row.int("amount") == Int64(r.amount), row.string("currency") == r.currency.lowercased() else {
                    throw WireError.conflict("order \(r.orderID) already has a payment for another amount; use a new attempt")
                }
                let id = row.string("stripe_id") ?? ""
                return CreatePaymentReply(orderID: r.orderID, clientSecret: row.string("client_secret") ?? "",
                                          paymentIntentID: row.string("payment_intent_id"),
                                          checkoutSessionID: flow == .checkoutSession ? id : nil,
                                          invoiceID: flow == .invoice ? id : nil, expiresAt: row.int("expires_at"))
            }
        } catch let error as WireError {
            throw error
        } catch {
            throw .unavailable("cannot read payment records")
        }
    }

    private func remember(_ r: CreatePaymentRequest, flow: PaymentFlow, stripeID: String, intentID: String?,
                          customerID: String? = nil, secret: String, expiresAt: Int64? = nil) async throws(WireError) {
        // An invoice's PaymentIntent id is not in the object from API version basil on, but its client
        // secret is the PaymentIntent's (`pi_..._secret_...`): keep the id, so a return page can find it.
        let intentID = intentID ?? ReturnVerification.intentID(ofClientSecret: secret)
        do {
            try await database.write { c in
                _ = try c.execute("""
                    INSERT OR IGNORE INTO payments(order_id, flow, attempt, stripe_id, payment_intent_id, customer_id, amount,
                                                   currency, client_secret, expires_at, created_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """, r.orderID, flow.rawValue, r.attempt ?? 1, stripeID, intentID, customerID, r.amount,
                    r.currency.lowercased(), secret, expiresAt, Envelope.now())
            }
        } catch {
            // Stripe holds the object under an idempotency key derived from the order, so a retry finds it.
            logger.error("could not record a payment", ["order.id": r.orderID, "error": "\(error)"])
            throw .unavailable("the payment was created but could not be recorded; retry")
        }
    }

    private func stripeCall<T>(_ body: () async throws(StripeError) -> T) async throws(WireError) -> T {
        do { return try await body() } catch {
            logger.warn("Stripe call failed", ["stripe.error": error.description])
            throw WireError.from(error)
        }
    }

    /// `payments.create_payment_intent`.
    func createPaymentIntent(_ r: CreatePaymentRequest) async throws(WireError) -> CreatePaymentReply {
        try Self.validate(r)
        if let known = try await existing(r, flow: .paymentIntent) { return known }
        let stripe = try client()
        let intent = try await stripeCall { () async throws(StripeError) in
            try await stripe.createPaymentIntent(amount: r.amount, currency: r.currency.lowercased(),
                                                 metadata: [("order_id", r.orderID)], paymentMethodTypes: config.paymentMethodTypes,
                                                 idempotencyKey: Self.idempotencyKey(r, "payment_intent"))
        }
        guard let secret = intent.clientSecret else { throw .upstreamFailed("Stripe returned no client secret", reason: "missing_client_secret") }
        try await remember(r, flow: .paymentIntent, stripeID: intent.id, intentID: intent.id, secret: secret)
        logger.info("PaymentIntent created", ["order.id": r.orderID, "stripe.payment_intent": intent.id])
        return CreatePaymentReply(orderID: r.orderID, clientSecret: secret, paymentIntentID: intent.id, status: intent.status)
    }

    /// `payments.create_checkout_session`.
    func createCheckoutSession(_ r: CreatePaymentRequest) async throws(WireError) -> CreatePaymentReply {
        try Self.validate(r)
        guard let returnURL = r.returnURL, returnURL.contains("{CHECKOUT_SESSION_ID}"),
              returnURL.hasPrefix("http://") || returnURL.hasPrefix("https://") else {
            throw .invalidArgument("return_url: an http(s) URL containing {CHECKOUT_SESSION_ID}")
        }
        if let known = try await existing(r, flow: .checkoutSession) { return known }
        let stripe = try client()
        // Stripe accepts 30 min to 24 h from creation; keep a margin on both ends for clock skew.
        let now = Int64(Date().timeIntervalSince1970)
        let expiresAt = min(max(r.expiresAt ?? now + 3600, now + 31 * 60), now + 23 * 3600 + 59 * 60)
        let session = try await stripeCall { () async throws(StripeError) in
            try await stripe.createCheckoutSession(
                currency: r.currency.lowercased(),
                lines: r.lines.map { .init(name: $0.name, unitAmount: $0.unitAmount, quantity: $0.quantity) },
                returnURL: returnURL, metadata: [("order_id", r.orderID)], paymentMethodTypes: config.paymentMethodTypes,
                customerEmail: r.email.isEmpty ? nil : r.email, expiresAt: expiresAt,
                idempotencyKey: Self.idempotencyKey(r, "checkout_session"))
        }
        guard let secret = session.clientSecret else { throw .upstreamFailed("Stripe returned no client secret", reason: "missing_client_secret") }
        let expires = session.expiresAt ?? expiresAt
        try await remember(r, flow: .checkoutSession, stripeID: session.id, intentID: session.paymentIntentID, secret: secret,
                           expiresAt: expires)
        logger.info("Checkout Session created", ["order.id": r.orderID, "stripe.checkout_session": session.id])
        return CreatePaymentReply(orderID: r.orderID, clientSecret: secret, checkoutSessionID: session.id,
                                  status: session.status, expiresAt: expires)
    }

    /// `payments.create_invoice`: customer by email, a draft invoice that takes no other pending items,
    /// one item per order line, finalized; answers the client secret for the Payment Element.
    func createInvoice(_ r: CreatePaymentRequest) async throws(WireError) -> CreatePaymentReply {
        try Self.validate(r)
        guard r.email.contains("@") else { throw .invalidArgument("email: an invoice needs the customer's email") }
        if let known = try await existing(r, flow: .invoice) { return known }
        let stripe = try client()
        let currency = r.currency.lowercased()
        let metadata = [("order_id", r.orderID)]
        let emailKey = Hex.encode(Digest.sha256(Array(r.email.lowercased().utf8)).prefix(16))
        let customer = try await stripeCall { () async throws(StripeError) in
            try await stripe.findOrCreateCustomer(email: r.email, idempotencyKey: "shop:customer:\(emailKey)")
        }
        let draft = try await stripeCall { () async throws(StripeError) in
            try await stripe.createInvoice(customer: customer.id, currency: currency, metadata: metadata,
                                           idempotencyKey: Self.idempotencyKey(r, "invoice"))
        }
        for (index, line) in r.lines.enumerated() {
            _ = try await stripeCall { () async throws(StripeError) in
                try await stripe.createInvoiceItem(customer: customer.id, invoice: draft.id, amount: line.unitAmount * line.quantity,
                                                   currency: currency, description: "\(line.name) × \(line.quantity)",
                                                   metadata: metadata, idempotencyKey: Self.idempotencyKey(r, "invoice_item_\(index)"))
            }
        }
        let invoice = try await stripeCall { () async throws(StripeError) in
            try await stripe.finalizeInvoice(draft.id, idempotencyKey: Self.idempotencyKey(r, "invoice_finalize"))
        }
        guard let secret = invoice.clientSecret else {
            throw .upstreamFailed("the finalized invoice carries no client secret for API version \(config.apiVersion)",
                                  reason: "missing_client_secret")
        }
        guard invoice.amountDue == nil || invoice.amountDue == r.amount else {
            throw .upstreamFailed("the invoice total \(invoice.amountDue ?? 0) differs from the order's \(r.amount)", reason: "amount_mismatch")
        }
        try await remember(r, flow: .invoice, stripeID: invoice.id, intentID: invoice.paymentIntentID, customerID: customer.id, secret: secret)
        logger.info("invoice finalized", ["order.id": r.orderID, "stripe.invoice": invoice.id])
        return CreatePaymentReply(orderID: r.orderID, clientSecret: secret, paymentIntentID: invoice.paymentIntentID,
                                  invoiceID: invoice.id, status: invoice.status)
    }
}
