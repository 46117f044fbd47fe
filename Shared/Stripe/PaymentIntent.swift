import Wire

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
    /// Why a canceled PaymentIntent was canceled: `abandoned` (the shop's expiry), `requested_by_customer`
    /// (the shop's cancel), `duplicate`, `fraudulent`, `automatic`, `failed_invoice`, `void_invoice`, ...
    public var cancellationReason: String?

    /// `last_payment_error`: why the last attempt failed.
    public struct PaymentError: Decodable, Sendable, Equatable {
        public var type: String?
        public var code: String?
        public var declineCode: String?
        public var message: String?

        public init(from decoder: any Decoder) throws {
            let json = try ParsedJSON(from: decoder)
            guard json.members != nil else {
                throw DecodingError.typeMismatch(PaymentError.self, .init(codingPath: decoder.codingPath, debugDescription: "not an object"))
            }
            type = json.lenientString("type")
            code = json.lenientString("code")
            declineCode = json.lenientString("decline_code")
            message = json.lenientString("message")
        }
    }

    public init(from decoder: any Decoder) throws {
        let json = try ParsedJSON(from: decoder)
        id = try json.required("id")
        amount = json.lenientInt("amount") ?? 0
        amountReceived = json.lenientInt("amount_received")
        currency = json.lenientString("currency") ?? ""
        status = json.lenientString("status") ?? ""
        clientSecret = json.lenientString("client_secret")
        metadata = json.metadata("metadata")
        lastPaymentError = json.lenient(PaymentError.self, "last_payment_error")
        created = json.lenientInt("created", as: Int64.self)
        livemode = json.lenientBool("livemode")
        paymentMethodTypes = json.lenientStrings("payment_method_types")
        customer = json.expandableID("customer")
        latestCharge = json.expandableID("latest_charge")
        invoice = json.expandableID("invoice")
        cancellationReason = json.lenientString("cancellation_reason")
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
        let json = try ParsedJSON(from: decoder)
        id = try json.required("id")
        email = json.lenientString("email")
        metadata = json.metadata("metadata")
    }
}

/// A list page: `{"object":"list","data":[...],"has_more":...}`.
public struct StripeList<Element: Decodable & Sendable>: Decodable, Sendable {
    public var data: [Element]
    public var hasMore: Bool

    public init(from decoder: any Decoder) throws {
        let json = try ParsedJSON(from: decoder)
        guard let items = json["data"] else {
            throw DecodingError.keyNotFound(AnyKey("data"), .init(codingPath: decoder.codingPath, debugDescription: "no 'data'"))
        }
        data = try items.decode([Element].self)
        hasMore = json.lenientBool("has_more") ?? false
    }
}
