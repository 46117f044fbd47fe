extension Ledger {
    /// `POST /v1/invoices/{id}/void`: an open (or uncollectible) invoice becomes `void` and can no longer be
    /// paid; its PaymentIntent is canceled (`cancellation_reason` `void_invoice`). Emits `invoice.voided`
    /// and `payment_intent.canceled`. A paid invoice is refused.
    mutating func voidInvoice(_ id: String, _ p: Params, request: RequestInfo?) throws(StripeError) -> JSONObject {
        try p.allowOnly(["expand"])
        let invoice = try get("invoice", id)
        let status = invoice.string("status") ?? ""
        guard status == "open" || status == "uncollectible" else {
            throw .invalid(nil, status == "paid" ? "You cannot void an invoice that has already been paid."
                                                 : "You can only pass in open or uncollectible invoices (this one is \(status)).",
                           code: status == "paid" ? "invoice_already_paid" : "invoice_not_editable")
        }
        if let piID = invoice.string("payment_intent"), let pi = objects[piID] {
            let piStatus = pi.string("status") ?? ""
            if piStatus == "processing" {
                throw .invalid(nil, "This invoice's payment is processing and it cannot be voided now.",
                               code: "invoice_payment_intent_processing")
            }
            if piStatus != "succeeded" && piStatus != "canceled" { cancel(piID, reason: "void_invoice", request: request) }
        }
        let now = IDs.now()
        modify(id) { inv in
            inv["status"] = "void"
            inv["amount_remaining"] = 0
            var t = inv.object("status_transitions") ?? JSONObject()
            t["voided_at"] = .int(now)
            inv["status_transitions"] = .object(t)
        }
        emit("invoice.voided", objects[id]!, previous: ["status": .string(status)], request: request)
        return objects[id]!
    }
}
