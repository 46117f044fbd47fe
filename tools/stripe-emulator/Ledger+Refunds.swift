/// Refunds, as Stripe does them: partial and repeated up to the captured amount, statuses `pending`,
/// `requires_action`, `succeeded`, `failed`, `canceled`, and the events `refund.created`,
/// `charge.refunded` (the Charge, also on partial refunds), `refund.updated`, `charge.refund.updated`
/// and `refund.failed`. Two test cards make refunds asynchronous: 4000000000007726 (`pending`, then
/// `failed`) and 4000000000005126 (`succeeded`, then `failed`); both settle after
/// `EMULATOR_ASYNC_SETTLE_MS` or through the settle helper.
extension Ledger {
    static let refundReasons: Set<String> = ["duplicate", "fraudulent", "requested_by_customer"]

    /// `POST /v1/refunds` (and the Dashboard helper with `dashboard: true`, which keeps no metadata).
    mutating func createRefund(_ p: Params, request: RequestInfo?, dashboard: Bool = false) throws(StripeError) -> JSONObject {
        try p.allowOnly(["payment_intent", "charge", "amount", "reason", "metadata", "expand", "instructions_email",
                         "refund_application_fee", "reverse_transfer", "origin", "currency", "customer"])
        let piID = try p.string("payment_intent"), chargeParam = try p.string("charge")
        if piID != nil && chargeParam != nil {
            throw .invalid("charge", "You may only specify one of these parameters: charge, payment_intent.", code: "parameters_exclusive")
        }
        let chargeID: String
        if let piID {
            let pi = try get("payment_intent", piID, param: "payment_intent")
            guard pi.string("status") == "succeeded", let latest = pi.string("latest_charge") else {
                throw .invalid("payment_intent", "This PaymentIntent (\(piID)) does not have a successful charge to refund.",
                               code: "charge_not_refundable")
            }
            chargeID = latest
        } else if let chargeParam {
            chargeID = try get("charge", chargeParam, param: "charge").id
        } else {
            throw .invalid(nil, "One of the following params should be provided for this request: payment_intent or charge.",
                           code: "parameter_missing")
        }
        let charge = try get("charge", chargeID, param: "charge")
        guard charge.string("status") == "succeeded" else {
            throw .invalid("charge", "Charge \(chargeID) has not succeeded and cannot be refunded.", code: "charge_not_refundable")
        }
        if let dispute = charge.string("dispute").flatMap({ objects[$0] }),
           !["won", "warning_closed"].contains(dispute.string("status") ?? "") {
            throw .invalid("charge", "Charge \(chargeID) has been charged back; refund it by accepting or closing the dispute.",
                           code: "charge_disputed")
        }
        let captured = charge.int("amount_captured") ?? 0
        let refunded = charge.int("amount_refunded") ?? 0
        let remaining = captured - refunded
        let currency = charge.string("currency") ?? "usd"
        if remaining <= 0 {
            throw .invalid("charge", "Charge \(chargeID) has already been refunded.", code: "charge_already_refunded")
        }
        let amount = try p.amount() ?? remaining
        if amount > remaining {
            throw .invalid("amount", "Refund amount (\(Money.format(amount, currency))) is greater than unrefunded amount on charge (\(Money.format(remaining, currency)))",
                           code: "amount_too_large")
        }
        let reason = try p.string("reason")
        if let reason, !Self.refundReasons.contains(reason) {
            throw .invalid("reason", "Invalid reason: must be one of duplicate, fraudulent, or requested_by_customer",
                           code: "parameter_invalid_string")
        }
        let metadata = dashboard ? JSONObject() : (try p.metadata() ?? JSONObject())
        let behavior = refundBehavior(of: charge)
        let status = behavior == .pendingThenFail ? "pending" : "succeeded"
        let id = IDs.make("re_")
        var refund: JSONObject = [
            "id": .string(id), "object": "refund", "amount": .int(amount),
            "balance_transaction": .string(IDs.make("txn_")), "charge": .string(chargeID), "created": .int(IDs.now()),
            "currency": .string(currency), "customer": charge["customer"] ?? nil, "customer_account": nil,
            "destination_details": ["card": ["reference_status": "pending", "reference_type": "acquirer_reference_number",
                                             "type": "refund"], "type": "card"],
            "metadata": .object(metadata), "payment_intent": charge["payment_intent"] ?? nil,
            "payment_method": charge["payment_method"] ?? nil,
            "reason": JSON(reason), "receipt_number": nil, "source_transfer_reversal": nil, "status": .string(status),
            "transfer_reversal": nil,
        ]
        if status == "pending" { refund["pending_reason"] = "insufficient_funds" }
        if behavior != .normal, let delay = settings.asyncSettleMs {
            refund["_settle_at_ms"] = .int(IDs.nowMilliseconds() + delay)
        }
        if let instructions = try p.string("instructions_email") { refund["instructions_email"] = .string(instructions) }
        insert(refund)
        modify(chargeID) { c in
            let total = (c.int("amount_refunded") ?? 0) + amount
            c["amount_refunded"] = .int(total)
            c["refunded"] = .bool(total >= (c.int("amount_captured") ?? 0))
        }
        emit("refund.created", objects[id]!, request: request)
        emit("charge.refunded", objects[chargeID]!, previous: ["amount_refunded": .int(refunded), "refunded": false],
             request: request)
        return objects[id]!
    }

    /// `POST /v1/refunds/{id}`: metadata only, as on Stripe.
    mutating func updateRefund(_ id: String, _ p: Params) throws(StripeError) -> JSONObject {
        try p.allowOnly(["metadata", "expand"])
        var refund = try get("refund", id)
        if let m = try p.object("metadata") {
            var metadata = refund.object("metadata") ?? JSONObject()
            for (k, v) in m.values.pairs { if let t = v.text, !t.isEmpty { metadata[k] = .string(t) } else { metadata.remove(k) } }
            refund["metadata"] = .object(metadata)
        }
        update(refund)
        return refund
    }

    /// `POST /v1/refunds/{id}/cancel`: only a refund that `requires_action` can be canceled.
    mutating func cancelRefund(_ id: String, request: RequestInfo?) throws(StripeError) -> JSONObject {
        let refund = try get("refund", id)
        guard refund.string("status") == "requires_action" else {
            throw .invalid(nil, "Refund \(id) has status \(refund.string("status") ?? "?"); only a refund in requires_action can be canceled.",
                           code: "refund_cannot_be_canceled")
        }
        changeRefund(id, to: "canceled", failureReason: nil, request: request)
        return objects[id]!
    }

    /// Ends an asynchronous refund (the test helper, or the timer): `pending` → `succeeded`/`failed`, or a
    /// `succeeded` refund of the fail-after-success card → `failed`. The helper can also move a `pending`
    /// refund to `requires_action`, where Stripe puts a refund that waits for the customer (e.g. bank details
    /// for a method that cannot be refunded to itself); no test card does that on its own.
    mutating func settleRefund(_ id: String, outcome: String, failureReason: String?, request: RequestInfo?) throws(StripeError) -> JSONObject {
        let refund = try get("refund", id)
        let status = refund.string("status") ?? ""
        switch (status, outcome) {
        case ("pending", "requires_action"):
            changeRefund(id, to: "requires_action", failureReason: nil, request: request)
        case ("pending", "succeeded"), ("requires_action", "succeeded"):
            changeRefund(id, to: "succeeded", failureReason: nil, request: request)
        case ("pending", "failed"), ("requires_action", "failed"), ("succeeded", "failed"):
            changeRefund(id, to: "failed", failureReason: failureReason ?? defaultFailureReason(refund), request: request)
        default:
            throw .invalid("outcome", "Refund \(id) has status \(status); it cannot become \(outcome).",
                           code: "refund_unexpected_state")
        }
        return objects[id]!
    }

    /// Moves a refund to `status` and emits what Stripe emits. A failed or canceled refund gives its
    /// amount back to the charge's unrefunded amount.
    mutating func changeRefund(_ id: String, to status: String, failureReason: String?, request: RequestInfo?) {
        guard let refund = objects[id], let previous = refund.string("status") else { return }
        modify(id) { r in
            r["status"] = .string(status)
            r["_settle_at_ms"] = nil
            r["pending_reason"] = nil
            if status == "failed" {
                r["failure_reason"] = .string(failureReason ?? "unknown")
                r["failure_balance_transaction"] = .string(IDs.make("txn_"))
            }
        }
        if status == "failed" || status == "canceled", let chargeID = refund.string("charge") {
            let amount = refund.int("amount") ?? 0
            modify(chargeID) { c in
                c["amount_refunded"] = .int(max(0, (c.int("amount_refunded") ?? 0) - amount))
                c["refunded"] = false
            }
        }
        let updated = objects[id]!
        emit("refund.updated", updated, previous: ["status": .string(previous)], request: request)
        emit("charge.refund.updated", updated, previous: ["status": .string(previous)], request: request)
        if status == "failed" { emit("refund.failed", updated, request: request) }
    }

    /// Asynchronous refunds whose time has come (called by the timer).
    mutating func runRefundTimers(nowMs: Int64) {
        for refund in all("refund") {
            guard let due = refund.int("_settle_at_ms"), due <= nowMs else { continue }
            _ = try? settleRefund(refund.id, outcome: "failed", failureReason: nil, request: nil)
        }
    }

    /// `GET /v1/refunds`: filters `payment_intent` and `charge`, paging, `created`.
    func listRefunds(_ p: Params, version: APIVersion, expand: [String]) throws(StripeError) -> JSON {
        try listObjects("refund", p, url: "/v1/refunds", filters: ["payment_intent", "charge"], version: version, expand: expand)
    }

    enum RefundBehavior { case normal, pendingThenFail, failAfterSuccess }

    /// What refunding a charge does, from the test card that paid it.
    func refundBehavior(of charge: JSONObject) -> RefundBehavior {
        guard let pm = charge.string("payment_method").flatMap({ objects[$0] }), let number = pm.string("_number") else {
            return .normal
        }
        switch number {
        case TestCard.refundPending: return .pendingThenFail
        case TestCard.refundFail: return .failAfterSuccess
        default: return .normal
        }
    }

    private func defaultFailureReason(_ refund: JSONObject) -> String {
        guard let charge = refund.string("charge").flatMap({ objects[$0] }) else { return "unknown" }
        return refundBehavior(of: charge) == .pendingThenFail ? "lost_or_stolen_card" : "expired_or_canceled_card"
    }
}

/// Amounts in Stripe's error messages (`$1.50`, `1.50 EUR`).
enum Money {
    static let zeroDecimal: Set<String> = ["bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga", "pyg", "rwf", "ugx",
                                           "vnd", "vuv", "xaf", "xof", "xpf"]

    static func format(_ minor: Int64, _ currency: String) -> String {
        let c = currency.lowercased()
        let number: String
        if zeroDecimal.contains(c) {
            number = String(minor)
        } else {
            let cents = minor % 100
            number = "\(minor / 100).\(cents < 10 ? "0" : "")\(cents)"
        }
        return c == "usd" ? "$\(number)" : "\(number) \(c.uppercased())"
    }
}
