import Wire

/// A Checkout Session, with the fields this project reads.
public struct CheckoutSession: StripeObject {
    public var id: String
    /// `open`, `complete`, `expired`.
    public var status: String?
    /// `paid`, `unpaid`, `no_payment_required`.
    public var paymentStatus: String?
    /// For the browser only; never logged.
    public var clientSecret: String?
    public var amountTotal: Int?
    public var currency: String?
    public var metadata: [String: String]
    /// The PaymentIntent, an id or (with `expand[]=payment_intent`) the object; nil until the customer confirms.
    public var paymentIntent: Expandable<PaymentIntent>?
    public var expiresAt: Int64?
    public var uiMode: String?
    public var returnURL: String?
    public var created: Int64?
    public var paymentMethodTypes: [String]?

    public init(from decoder: any Decoder) throws {
        let json = try ParsedJSON(from: decoder)
        id = try json.required("id")
        status = json.lenientString("status")
        paymentStatus = json.lenientString("payment_status")
        clientSecret = json.lenientString("client_secret")
        amountTotal = json.lenientInt("amount_total")
        currency = json.lenientString("currency")
        metadata = json.metadata("metadata")
        paymentIntent = Expandable("payment_intent", of: json)
        expiresAt = json.lenientInt("expires_at", as: Int64.self)
        uiMode = json.lenientString("ui_mode")
        returnURL = json.lenientString("return_url")
        created = json.lenientInt("created", as: Int64.self)
        paymentMethodTypes = json.lenientStrings("payment_method_types")
    }

    /// The PaymentIntent's id, expanded or not.
    public var paymentIntentID: String? { paymentIntent?.id }
}
