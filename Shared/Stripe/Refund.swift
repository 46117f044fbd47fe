import Wire

/// A Refund, with the fields this project reads.
public struct Refund: StripeObject, Equatable {
    public var id: String
    /// Minor units of `currency`.
    public var amount: Int
    public var currency: String
    /// `pending`, `requires_action`, `succeeded`, `failed`, `canceled`, or a value added later.
    public var status: String
    public var charge: String?
    public var paymentIntent: String?
    /// `duplicate`, `fraudulent`, `requested_by_customer`, or null (Dashboard refunds may have others).
    public var reason: String?
    /// Set once `failed`: `lost_or_stolen_card`, `expired_or_canceled_card`, `unknown`, ...
    public var failureReason: String?
    public var metadata: [String: String]
    public var created: Int64?

    public init(from decoder: any Decoder) throws {
        let json = try ParsedJSON(from: decoder)
        id = try json.required("id")
        amount = json.lenientInt("amount") ?? 0
        currency = (json.lenientString("currency") ?? "").lowercased()
        status = json.lenientString("status") ?? ""
        charge = json.expandableID("charge")
        paymentIntent = json.expandableID("payment_intent")
        reason = json.lenientString("reason")
        failureReason = json.lenientString("failure_reason")
        metadata = json.metadata("metadata")
        created = json.lenientInt("created", as: Int64.self)
    }
}

/// A Charge, with the fields the refund and dispute books read.
public struct Charge: StripeObject, Equatable {
    public var id: String
    public var amount: Int
    public var amountCaptured: Int?
    public var amountRefunded: Int?
    public var currency: String
    public var paymentIntent: String?
    public var metadata: [String: String]

    public init(from decoder: any Decoder) throws {
        let json = try ParsedJSON(from: decoder)
        id = try json.required("id")
        amount = json.lenientInt("amount") ?? 0
        amountCaptured = json.lenientInt("amount_captured")
        amountRefunded = json.lenientInt("amount_refunded")
        currency = (json.lenientString("currency") ?? "").lowercased()
        paymentIntent = json.expandableID("payment_intent")
        metadata = json.metadata("metadata")
    }
}

/// A Dispute, with the fields this project reads.
public struct Dispute: StripeObject, Equatable {
    public var id: String
    public var amount: Int
    public var currency: String
    /// `warning_needs_response`, `warning_under_review`, `warning_closed`, `needs_response`,
    /// `under_review`, `won`, `lost`, `prevented`, or a value added later.
    public var status: String
    public var reason: String?
    public var charge: String?
    public var paymentIntent: String?
    /// `evidence_details.due_by` (Unix seconds; 0 or absent when no response is possible).
    public var dueBy: Int64?
    public var created: Int64?
    /// Whether `balance_transactions` shows the amount taken (a negative one) and given back (a positive one).
    public var fundsWithdrawn: Bool
    public var fundsReinstated: Bool

    public init(from decoder: any Decoder) throws {
        let json = try ParsedJSON(from: decoder)
        id = try json.required("id")
        amount = json.lenientInt("amount") ?? 0
        currency = (json.lenientString("currency") ?? "").lowercased()
        status = json.lenientString("status") ?? ""
        reason = json.lenientString("reason")
        charge = json.expandableID("charge")
        paymentIntent = json.expandableID("payment_intent")
        dueBy = json["evidence_details"]?.lenientInt("due_by", as: Int64.self)
        created = json.lenientInt("created", as: Int64.self)
        let amounts = (json["balance_transactions"]?.elements ?? []).compactMap { $0.lenientInt("amount") }
        fundsWithdrawn = amounts.contains { $0 < 0 }
        fundsReinstated = amounts.contains { $0 > 0 }
    }
}

extension StripeClient {
    /// `POST /v1/refunds` for a PaymentIntent; `amount` nil refunds what is left. The key must come from
    /// the caller's own refund request, so a retried request never refunds twice.
    public func createRefund(paymentIntent: String, amount: Int?, reason: String?, metadata: [(String, String)],
                             idempotencyKey: String) async throws(StripeError) -> Refund {
        try await post("/v1/refunds", Self.refundParams(paymentIntent: paymentIntent, amount: amount, reason: reason,
                                                        metadata: metadata), idempotencyKey: idempotencyKey)
    }

    /// The create parameters, exposed for wire-format tests.
    public static func refundParams(paymentIntent: String, amount: Int?, reason: String?, metadata: [(String, String)]) -> FormParams {
        var p = FormParams()
        p.set("payment_intent", .string(paymentIntent))
        p.set("amount", amount.map { .int($0) })
        p.set("reason", reason.map { .string($0) })
        p.set("metadata", .object(FormParams(metadata)))
        return p
    }

    /// Every refund of a PaymentIntent (`GET /v1/refunds?payment_intent=`), all pages, newest first.
    public func listRefunds(paymentIntent: String) async throws(StripeError) -> [Refund] {
        var all: [Refund] = []
        var after: String?
        repeat {
            var p = FormParams()
            p.set("payment_intent", .string(paymentIntent))
            p.set("limit", 100)
            p.set("starting_after", after.map { .string($0) })
            let page: StripeList<Refund> = try await get("/v1/refunds", p)
            all += page.data
            after = page.hasMore ? page.data.last?.id : nil
        } while after != nil
        return all
    }

    /// `GET /v1/disputes/{id}`.
    public func retrieveDispute(_ id: String) async throws(StripeError) -> Dispute {
        try await get("/v1/disputes/\(Self.segment(id))")
    }

    /// `GET /v1/charges/{id}`.
    public func retrieveCharge(_ id: String) async throws(StripeError) -> Charge {
        try await get("/v1/charges/\(Self.segment(id))")
    }
}

extension StripeClient {
    /// `POST /v1/payment_intents/{id}/cancel` with `cancellation_reason` (`duplicate`, `fraudulent`,
    /// `requested_by_customer`, `abandoned`).
    public func cancelPaymentIntent(_ id: String, reason: String, idempotencyKey: String) async throws(StripeError) -> PaymentIntent {
        try await post("/v1/payment_intents/\(Self.segment(id))/cancel", ["cancellation_reason": .string(reason)],
                       idempotencyKey: idempotencyKey)
    }

    /// `POST /v1/invoices/{id}/void`: a finalized invoice that must not be paid any more.
    public func voidInvoice(_ id: String, idempotencyKey: String) async throws(StripeError) -> Invoice {
        try await post("/v1/invoices/\(Self.segment(id))/void", FormParams(), idempotencyKey: idempotencyKey)
    }
}
