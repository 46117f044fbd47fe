/// An Invoice, with the fields this project reads, on both sides of the `basil` split.
public struct Invoice: StripeObject {
    public var id: String
    /// `draft`, `open`, `paid`, `uncollectible`, `void`.
    public var status: String?
    public var amountDue: Int?
    public var amountPaid: Int?
    public var currency: String?
    public var customer: String?
    public var metadata: [String: String]
    /// Up to `2025-02-24.acacia`: the invoice's PaymentIntent (expand it for the client secret).
    public var paymentIntent: Expandable<PaymentIntent>?
    /// From `2025-03-31.basil`: `confirmation_secret.client_secret` (expand `confirmation_secret`).
    public var confirmationSecret: String?
    public var created: Int64?

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: AnyKey.self)
        id = try c.decode(String.self, forKey: AnyKey("id"))
        status = c.lenientString(AnyKey("status"))
        amountDue = c.lenient(Int.self, AnyKey("amount_due"))
        amountPaid = c.lenient(Int.self, AnyKey("amount_paid"))
        currency = c.lenientString(AnyKey("currency"))
        customer = c.lenient(Expandable<Customer>.self, AnyKey("customer"))?.id
        metadata = c.metadata(AnyKey("metadata"))
        paymentIntent = c.lenient(Expandable<PaymentIntent>.self, AnyKey("payment_intent"))
        if paymentIntent?.id == nil { paymentIntent = nil }
        struct Secret: Decodable { var client_secret: String? }
        confirmationSecret = c.lenient(Secret.self, AnyKey("confirmation_secret"))?.client_secret
        created = c.lenient(Int64.self, AnyKey("created"))
    }

    /// The client secret to confirm in the app, whichever side of the version split answered.
    public var clientSecret: String? {
        if let confirmationSecret, !confirmationSecret.isEmpty { return confirmationSecret }
        return paymentIntent?.object?.clientSecret
    }

    /// The PaymentIntent id when the version exposes it.
    public var paymentIntentID: String? { paymentIntent?.id }
}

/// An invoice item.
public struct InvoiceItem: StripeObject {
    public var id: String
    public var amount: Int?
    public var currency: String?

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: AnyKey.self)
        id = try c.decode(String.self, forKey: AnyKey("id"))
        amount = c.lenient(Int.self, AnyKey("amount"))
        currency = c.lenientString(AnyKey("currency"))
    }
}
