import Wire

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
        let json = try ParsedJSON(from: decoder)
        id = try json.required("id")
        status = json.lenientString("status")
        amountDue = json.lenientInt("amount_due")
        amountPaid = json.lenientInt("amount_paid")
        currency = json.lenientString("currency")
        customer = json.expandableID("customer")
        metadata = json.metadata("metadata")
        paymentIntent = Expandable("payment_intent", of: json)
        confirmationSecret = json["confirmation_secret"]?["client_secret"]?.string
        created = json.lenientInt("created", as: Int64.self)
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
        let json = try ParsedJSON(from: decoder)
        id = try json.required("id")
        amount = json.lenientInt("amount")
        currency = json.lenientString("currency")
    }
}
