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
        let c = try decoder.container(keyedBy: AnyKey.self)
        id = try c.decode(String.self, forKey: AnyKey("id"))
        status = c.lenientString(AnyKey("status"))
        paymentStatus = c.lenientString(AnyKey("payment_status"))
        clientSecret = c.lenientString(AnyKey("client_secret"))
        amountTotal = c.lenient(Int.self, AnyKey("amount_total"))
        currency = c.lenientString(AnyKey("currency"))
        metadata = c.metadata(AnyKey("metadata"))
        paymentIntent = c.lenient(Expandable<PaymentIntent>.self, AnyKey("payment_intent"))
        if paymentIntent?.id == nil { paymentIntent = nil }
        expiresAt = c.lenient(Int64.self, AnyKey("expires_at"))
        uiMode = c.lenientString(AnyKey("ui_mode"))
        returnURL = c.lenientString(AnyKey("return_url"))
        created = c.lenient(Int64.self, AnyKey("created"))
        paymentMethodTypes = c.lenient([String].self, AnyKey("payment_method_types"))
    }

    /// The PaymentIntent's id, expanded or not.
    public var paymentIntentID: String? { paymentIntent?.id }
}
