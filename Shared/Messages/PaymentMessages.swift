/// Requests payments answers. Errors from Stripe come back as `payment_declined` (card errors; `reason`
/// is Stripe's decline code) or `upstream_failed` (every other Stripe failure), never with secrets.
public enum PaymentMessages {
    /// `payments.config`: what the browser may know.
    public static let config = "payments.config"
    /// `payments.create_payment_intent`.
    public static let createPaymentIntent = "payments.create_payment_intent"
    /// `payments.create_checkout_session`.
    public static let createCheckoutSession = "payments.create_checkout_session"
    /// `payments.create_invoice`.
    public static let createInvoice = "payments.create_invoice"
    /// `payments.verify_payment_intent`: the return page's server-side check.
    public static let verifyPaymentIntent = "payments.verify_payment_intent"
    /// `payments.verify_checkout_session`: the embedded Checkout return page's check (also session status).
    public static let verifyCheckoutSession = "payments.verify_checkout_session"
    /// `payments.webhook`: one Stripe webhook delivery, raw.
    public static let webhook = "payments.webhook"
}

/// The reply to `payments.config`.
public struct PaymentsConfigReply: Codable, Sendable, Equatable {
    /// `pk_...`, safe for the browser.
    public var publishableKey: String
    /// `live`, `test` (Stripe test keys) or `emulator` (the local stand-in).
    public var mode: String
    public var apiVersion: String
    /// The embedded Checkout `ui_mode` for the pinned version (`embedded` or `embedded_page`).
    public var checkoutUIMode: String

    public init(publishableKey: String, mode: String, apiVersion: String, checkoutUIMode: String) {
        self.publishableKey = publishableKey; self.mode = mode; self.apiVersion = apiVersion; self.checkoutUIMode = checkoutUIMode
    }

    enum CodingKeys: String, CodingKey {
        case mode
        case publishableKey = "publishable_key"
        case apiVersion = "api_version"
        case checkoutUIMode = "checkout_ui_mode"
    }
}

/// A line as Stripe should show it (from the server-side order).
public struct PaymentLine: Codable, Sendable, Equatable {
    public var name: String
    public var quantity: Int
    public var unitAmount: Int

    public init(name: String, quantity: Int, unitAmount: Int) { self.name = name; self.quantity = quantity; self.unitAmount = unitAmount }

    enum CodingKeys: String, CodingKey {
        case name, quantity
        case unitAmount = "unit_amount"
    }
}

/// `payments.create_payment_intent`, `payments.create_checkout_session` and `payments.create_invoice`
/// all take the order as fulfillment priced it. `attempt` (default 1) is part of the Stripe idempotency
/// key, so repeating a request reuses the same Stripe object and a new attempt makes a new one.
public struct CreatePaymentRequest: Codable, Sendable, Equatable {
    public var orderID: String
    public var amount: Int
    public var currency: String
    public var email: String
    public var lines: [PaymentLine]
    public var attempt: Int?
    /// Checkout Sessions only: where Stripe sends the customer back; must contain `{CHECKOUT_SESSION_ID}`.
    public var returnURL: String?
    /// Checkout Sessions only: Unix seconds, 30 min to 24 h from now.
    public var expiresAt: Int64?

    public init(orderID: String, amount: Int, currency: String, email: String, lines: [PaymentLine],
                attempt: Int? = nil, returnURL: String? = nil, expiresAt: Int64? = nil) {
        self.orderID = orderID; self.amount = amount; self.currency = currency; self.email = email
        self.lines = lines; self.attempt = attempt; self.returnURL = returnURL; self.expiresAt = expiresAt
    }

    enum CodingKeys: String, CodingKey {
        case amount, currency, email, lines, attempt
        case orderID = "order_id"
        case returnURL = "return_url"
        case expiresAt = "expires_at"
    }
}

/// The reply to the three create requests. Only ids and the client secret (which the browser needs) travel.
public struct CreatePaymentReply: Codable, Sendable, Equatable {
    public var orderID: String
    public var clientSecret: String
    public var paymentIntentID: String?
    public var checkoutSessionID: String?
    public var invoiceID: String?
    /// Stripe status of the created object (`requires_payment_method`, `open`, ...).
    public var status: String?
    /// Checkout Sessions: Unix seconds.
    public var expiresAt: Int64?

    public init(orderID: String, clientSecret: String, paymentIntentID: String? = nil, checkoutSessionID: String? = nil,
                invoiceID: String? = nil, status: String? = nil, expiresAt: Int64? = nil) {
        self.orderID = orderID; self.clientSecret = clientSecret; self.paymentIntentID = paymentIntentID
        self.checkoutSessionID = checkoutSessionID; self.invoiceID = invoiceID; self.status = status; self.expiresAt = expiresAt
    }

    enum CodingKeys: String, CodingKey {
        case status
        case orderID = "order_id"
        case clientSecret = "client_secret"
        case paymentIntentID = "payment_intent_id"
        case checkoutSessionID = "checkout_session_id"
        case invoiceID = "invoice_id"
        case expiresAt = "expires_at"
    }
}

/// `payments.verify_payment_intent`: the return page's query. The client secret must belong to the
/// PaymentIntent (else `invalid_argument`, reason `client_secret_mismatch`).
public struct VerifyPaymentIntentRequest: Codable, Sendable, Equatable {
    public var paymentIntentID: String
    public var clientSecret: String

    public init(paymentIntentID: String, clientSecret: String) { self.paymentIntentID = paymentIntentID; self.clientSecret = clientSecret }

    enum CodingKeys: String, CodingKey {
        case paymentIntentID = "payment_intent"
        case clientSecret = "client_secret"
    }
}

/// `payments.verify_checkout_session`.
public struct VerifyCheckoutSessionRequest: Codable, Sendable, Equatable {
    public var sessionID: String
    public init(sessionID: String) { self.sessionID = sessionID }
    enum CodingKeys: String, CodingKey { case sessionID = "session_id" }
}

/// What Stripe says about a payment, decided on the server.
public enum PaymentVerdict: String, Codable, Sendable {
    case succeeded
    case processing
    /// The payment failed or was abandoned; the customer may try another method (sessions: `open`).
    case requiresPaymentMethod = "requires_payment_method"
    case requiresAction = "requires_action"
    case canceled
    case expired
}

/// The reply to both verify requests.
public struct VerifyReply: Codable, Sendable, Equatable {
    public var verdict: PaymentVerdict
    public var orderID: String
    /// Stripe's own status (`succeeded`, `complete`, `open`, ...).
    public var status: String
    /// Checkout Sessions: `paid`, `unpaid`, `no_payment_required`.
    public var paymentStatus: String?
    public var paymentIntentID: String?
    /// Set when the payment failed: Stripe's `last_payment_error` message (no secrets).
    public var failureMessage: String?

    public init(verdict: PaymentVerdict, orderID: String, status: String, paymentStatus: String? = nil,
                paymentIntentID: String? = nil, failureMessage: String? = nil) {
        self.verdict = verdict; self.orderID = orderID; self.status = status; self.paymentStatus = paymentStatus
        self.paymentIntentID = paymentIntentID; self.failureMessage = failureMessage
    }

    enum CodingKeys: String, CodingKey {
        case verdict, status
        case orderID = "order_id"
        case paymentStatus = "payment_status"
        case paymentIntentID = "payment_intent_id"
        case failureMessage = "failure_message"
    }
}

/// `payments.webhook`: the body bytes exactly as received (base64, so any bytes survive) and the
/// `Stripe-Signature` header untouched (absent when the request had none).
/// Errors: `invalid_signature` (`reason` names which check failed), `invalid_payload`,
/// `unavailable` (could not persist: answer 503 so Stripe retries).
public struct WebhookRequest: Codable, Sendable, Equatable {
    public var bodyBase64: String
    public var signature: String?

    public init(bodyBase64: String, signature: String?) { self.bodyBase64 = bodyBase64; self.signature = signature }

    enum CodingKeys: String, CodingKey {
        case signature
        case bodyBase64 = "body_base64"
    }
}

/// The reply to `payments.webhook` once the event is durably recorded.
public struct WebhookReply: Codable, Sendable, Equatable {
    /// What intake did with the event; a string on the wire.
    public enum Outcome: String, Codable, Sendable, CaseIterable {
        /// The first delivery: recorded (and published, when it maps to an order).
        case accepted
        /// Seen before: nothing recorded, nothing published.
        case duplicate
    }

    public var outcome: Outcome
    public var eventID: String
    public var type: String

    public init(outcome: Outcome, eventID: String, type: String) { self.outcome = outcome; self.eventID = eventID; self.type = type }

    enum CodingKeys: String, CodingKey {
        case outcome, type
        case eventID = "event_id"
    }
}

/// The data of every payment event payments publishes (`payment_intent.*`, `checkout.session.*`,
/// `invoice.*`, same names as Stripe's). Event key: the order id.
public struct PaymentEvent: Codable, Sendable, Equatable {
    public var orderID: String
    /// The Stripe event id (`evt_...`) it came from, or `return:<object id>` when a return-page
    /// verification saw the success before the webhook.
    public var stripeEventID: String
    /// Stripe's `created` of the event (Unix seconds).
    public var stripeCreated: Int64
    /// `webhook`, `return` or `catch_up`.
    public var source: String
    public var paymentIntentID: String?
    public var checkoutSessionID: String?
    public var invoiceID: String?
    /// What was paid (or attempted): PaymentIntent `amount_received` (or `amount`), session `amount_total`,
    /// invoice `amount_paid` (or `amount_due`).
    public var amount: Int
    public var currency: String
    /// The Stripe object's status.
    public var status: String
    public var paymentStatus: String?
    /// For failures: Stripe's decline code or error code, and message.
    public var failureCode: String?
    public var failureMessage: String?
    /// For a canceled PaymentIntent: Stripe's `cancellation_reason` (`abandoned` when the shop expired
    /// the order, `requested_by_customer` when it canceled it).
    public var cancellationReason: String?

    public init(orderID: String, stripeEventID: String, stripeCreated: Int64, source: String,
                paymentIntentID: String? = nil, checkoutSessionID: String? = nil, invoiceID: String? = nil,
                amount: Int, currency: String, status: String, paymentStatus: String? = nil,
                failureCode: String? = nil, failureMessage: String? = nil, cancellationReason: String? = nil) {
        self.orderID = orderID; self.stripeEventID = stripeEventID; self.stripeCreated = stripeCreated; self.source = source
        self.paymentIntentID = paymentIntentID; self.checkoutSessionID = checkoutSessionID; self.invoiceID = invoiceID
        self.amount = amount; self.currency = currency; self.status = status; self.paymentStatus = paymentStatus
        self.failureCode = failureCode; self.failureMessage = failureMessage; self.cancellationReason = cancellationReason
    }

    enum CodingKeys: String, CodingKey {
        case source, amount, currency, status
        case orderID = "order_id"
        case stripeEventID = "stripe_event_id"
        case stripeCreated = "stripe_created"
        case paymentIntentID = "payment_intent_id"
        case checkoutSessionID = "checkout_session_id"
        case invoiceID = "invoice_id"
        case paymentStatus = "payment_status"
        case failureCode = "failure_code"
        case failureMessage = "failure_message"
        case cancellationReason = "cancellation_reason"
    }
}
