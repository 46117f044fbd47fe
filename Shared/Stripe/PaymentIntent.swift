/// A PaymentIntent, with the fields this project reads.
public struct PaymentIntent: StripeObject, Equatable {
    public var id: String
    public var amount: Int
    public var amountReceived: Int?
    public var currency: String
    /// `requires_payment_method`, `requires_confirmation`, `requires_action`, `processing`,
    /// `requires_capture`, `canceled`, `succeeded`, or a value added later.
    public var status: String
    /// For the browser only; never logged.
    public var clientSecret: String?
    public var metadata: [String: String]
    public var lastPaymentError: PaymentError?
    public var created: Int64?
    public var livemode: Bool?
    public var paymentMethodTypes: [String]?
    public var customer: String?
    /// The id of `latest_charge`, expanded or not.
    public var latestCharge: String?
    public var invoice: String?

    /// `last_payment_error`: why the last attempt failed.
    public struct PaymentError: Decodable, Sendable, Equatable {
        public var type: String?
        public var code: String?
        public var declineCode: String?
        public var message: String?

        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: AnyKey.self)
            type = c.lenientString(AnyKey("type"))
            code = c.lenientString(AnyKey("code"))
            declineCode = c.lenientString(AnyKey("decline_code"))
            message = c.lenientString(AnyKey("message"))
        }
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: AnyKey.self)
        id = try c.decode(String.self, forKey: AnyKey("id"))
        amount = c.lenient(Int.self, AnyKey("amount")) ?? 0
        amountReceived = c.lenient(Int.self, AnyKey("amount_received"))
        currency = c.lenientString(AnyKey("currency")) ?? ""
        status = c.lenientString(AnyKey("status")) ?? ""
        clientSecret = c.lenientString(AnyKey("client_secret"))
        metadata = c.metadata(AnyKey("metadata"))
        lastPaymentError = c.lenient(PaymentError.self, AnyKey("last_payment_error"))
        created = c.lenient(Int64.self, AnyKey("created"))
        livemode = c.lenient(Bool.self, AnyKey("livemode"))
        paymentMethodTypes = c.lenient([String].self, AnyKey("payment_method_types"))
        customer = c.lenient(Expandable<Customer>.self, AnyKey("customer"))?.id
        latestCharge = c.lenient(Expandable<IDOnly>.self, AnyKey("latest_charge"))?.id
        invoice = c.lenient(Expandable<IDOnly>.self, AnyKey("invoice"))?.id
    }
}

/// Any Stripe object read only for its id.
public struct IDOnly: StripeObject, Equatable {
    public var id: String
}

/// A Customer.
public struct Customer: StripeObject, Equatable {
    public var id: String
    public var email: String?
    public var metadata: [String: String]

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: AnyKey.self)
        id = try c.decode(String.self, forKey: AnyKey("id"))
        email = c.lenientString(AnyKey("email"))
        metadata = c.metadata(AnyKey("metadata"))
    }
}

/// A list page: `{"object":"list","data":[...],"has_more":...}`.
public struct StripeList<Element: Decodable & Sendable>: Decodable, Sendable {
    public var data: [Element]
    public var hasMore: Bool

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: AnyKey.self)
        data = try c.decode([Element].self, forKey: AnyKey("data"))
        hasMore = c.lenient(Bool.self, AnyKey("has_more")) ?? false
    }
}
