/// Disputes (chargebacks). The test card 4000000000000259 (`pm_card_createDispute`) pays, then a dispute
/// opens on its charge at once (`charge.dispute.created`, then `charge.dispute.funds_withdrawn`), as on
/// Stripe. `POST /v1/disputes/{id}/close` accepts the loss (`lost`, `charge.dispute.closed`); the close
/// helper ends it as `won` (funds reinstated), `lost` or `warning_closed`.
extension Ledger {
    /// Seven days to answer, as Stripe's test disputes give.
    static let disputeResponseSeconds: Int64 = 7 * 24 * 3600

    /// Opens a dispute on the charge of a PaymentIntent paid with the dispute test card.
    mutating func openDisputeIfTestCard(_ piID: String, request: RequestInfo?) {
        guard let pi = objects[piID], let chargeID = pi.string("latest_charge"), let charge = objects[chargeID],
              let pm = charge.string("payment_method").flatMap({ objects[$0] }),
              pm.string("_number") == TestCard.createDispute, charge.string("dispute") == nil else { return }
        let now = IDs.now()
        let id = IDs.make("dp_")
        let amount = charge.int("amount_captured") ?? 0
        let dispute: JSONObject = [
            "id": .string(id), "object": "dispute", "amount": .int(amount), "balance_transactions": [],
            "charge": .string(chargeID), "created": .int(now), "currency": charge["currency"] ?? "usd",
            "enhanced_eligibility_types": [],
            "evidence": .object(Self.emptyEvidence),
            "evidence_details": ["due_by": .int(now + Self.disputeResponseSeconds), "enhanced_eligibility": [:],
                                 "has_evidence": false, "past_due": false, "submission_count": 0],
            "is_charge_refundable": false, "livemode": false, "metadata": [:], "payment_intent": .string(piID),
            "payment_method_details": ["card": ["brand": pm["card"]?.object?["brand"] ?? "visa", "case_type": "chargeback",
                                                "network": pm["card"]?.object?["brand"] ?? "visa", "network_reason_code": "10.4"],
                                       "type": "card"],
            "reason": "fraudulent", "status": "needs_response",
        ]
        insert(dispute)
        modify(chargeID) { $0["disputed"] = true; $0["dispute"] = .string(id) }
        emit("charge.dispute.created", objects[id]!, request: request)
        withdrawDisputeFunds(id, request: request)
    }

    private mutating func withdrawDisputeFunds(_ id: String, request: RequestInfo?) {
        guard let dispute = objects[id] else { return }
        let amount = dispute.int("amount") ?? 0
        modify(id) { d in
            d["balance_transactions"] = [["id": .string(IDs.make("txn_")), "object": "balance_transaction",
                                          "amount": .int(-amount), "currency": dispute["currency"] ?? "usd",
                                          "fee": 1500, "net": .int(-amount - 1500), "reporting_category": "dispute",
                                          "type": "adjustment"]]
        }
        emit("charge.dispute.funds_withdrawn", objects[id]!, request: request)
    }

    /// `POST /v1/disputes/{id}/close`: accepts the loss; only while a response is still possible.
    mutating func closeDispute(_ id: String, _ p: Params, request: RequestInfo?) throws(StripeError) -> JSONObject {
        try p.allowOnly(["expand"])
        let dispute = try get("dispute", id)
        let status = dispute.string("status") ?? ""
        guard ["needs_response", "warning_needs_response", "under_review", "warning_under_review"].contains(status) else {
            throw .invalid(nil, "This dispute is already closed (status \(status)).", code: "dispute_already_closed")
        }
        endDispute(id, status: status.hasPrefix("warning_") ? "warning_closed" : "lost", request: request)
        return objects[id]!
    }

    /// Ends a dispute with `status` (`won`, `lost`, `warning_closed`): the test helper, and close.
    mutating func endDispute(_ id: String, status: String, request: RequestInfo?) {
        guard let dispute = objects[id] else { return }
        let previous = dispute.string("status") ?? ""
        modify(id) { d in
            d["status"] = .string(status)
            var details = d.object("evidence_details") ?? JSONObject()
            details["due_by"] = 0
            d["evidence_details"] = .object(details)
        }
        if status == "won" {
            let amount = dispute.int("amount") ?? 0
            modify(id) { d in
                var txns = d["balance_transactions"]?.array ?? []
                txns.append(["id": .string(IDs.make("txn_")), "object": "balance_transaction", "amount": .int(amount),
                             "currency": dispute["currency"] ?? "usd", "fee": -1500, "net": .int(amount + 1500),
                             "reporting_category": "dispute_reversal", "type": "adjustment"])
                d["balance_transactions"] = .array(txns)
            }
            emit("charge.dispute.funds_reinstated", objects[id]!, request: request)
        }
        emit("charge.dispute.closed", objects[id]!, previous: ["status": .string(previous)], request: request)
    }

    /// The close helper: `won` (default), `lost` or `warning_closed`.
    mutating func closeDisputeAs(_ id: String, status: String, request: RequestInfo?) throws(StripeError) -> JSONObject {
        let dispute = try get("dispute", id)
        guard ["won", "lost", "warning_closed"].contains(status) else {
            throw .invalid("status", "status must be won, lost or warning_closed.")
        }
        let current = dispute.string("status") ?? ""
        guard !["won", "lost", "warning_closed", "prevented"].contains(current) else {
            throw .invalid(nil, "This dispute is already closed (status \(current)).", code: "dispute_already_closed")
        }
        endDispute(id, status: status, request: request)
        return objects[id]!
    }

    /// `POST /v1/disputes/{id}`: metadata (merged); evidence is accepted and stored as given.
    mutating func updateDispute(_ id: String, _ p: Params, request: RequestInfo?) throws(StripeError) -> JSONObject {
        try p.allowOnly(["metadata", "evidence", "submit", "expand"])
        var dispute = try get("dispute", id)
        if let m = try p.object("metadata") {
            var metadata = dispute.object("metadata") ?? JSONObject()
            for (k, v) in m.values.pairs { if let t = v.text, !t.isEmpty { metadata[k] = .string(t) } else { metadata.remove(k) } }
            dispute["metadata"] = .object(metadata)
        }
        if let evidence = try p.object("evidence") {
            var stored = dispute.object("evidence") ?? Self.emptyEvidence
            for (k, v) in evidence.values.pairs { stored[k] = v }
            dispute["evidence"] = .object(stored)
            var details = dispute.object("evidence_details") ?? JSONObject()
            details["has_evidence"] = true
            dispute["evidence_details"] = .object(details)
        }
        if try p.bool("submit") == true, dispute.string("status") == "needs_response" {
            dispute["status"] = "under_review"
            var details = dispute.object("evidence_details") ?? JSONObject()
            details["submission_count"] = .int((details.int("submission_count") ?? 0) + 1)
            dispute["evidence_details"] = .object(details)
        }
        update(dispute)
        emit("charge.dispute.updated", dispute, request: request)
        return dispute
    }

    /// `GET /v1/disputes`: filters `charge` and `payment_intent`.
    func listDisputes(_ p: Params, version: APIVersion, expand: [String]) throws(StripeError) -> JSON {
        try listObjects("dispute", p, url: "/v1/disputes", filters: ["charge", "payment_intent"], version: version, expand: expand)
    }

    static let emptyEvidence: JSONObject = JSONObject([
        "access_activity_log", "billing_address", "cancellation_policy", "cancellation_policy_disclosure",
        "cancellation_rebuttal", "customer_communication", "customer_email_address", "customer_name",
        "customer_purchase_ip", "customer_signature", "duplicate_charge_documentation", "duplicate_charge_explanation",
        "duplicate_charge_id", "product_description", "receipt", "refund_policy", "refund_policy_disclosure",
        "refund_refusal_explanation", "service_date", "service_documentation", "shipping_address", "shipping_carrier",
        "shipping_date", "shipping_documentation", "shipping_tracking_number", "uncategorized_file", "uncategorized_text",
    ].map { ($0, JSON.null) } + [("enhanced_evidence", .object(JSONObject()))])
}
