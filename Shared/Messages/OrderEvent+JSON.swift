import Wire

extension OrderEvent {
    /// The event's data as JSON, written field by field: the same object `RawJSON(encoding:)` produces
    /// (keys sorted, nil fields left out), without building it through `Encodable`, which was a large part
    /// of fulfillment's time (two events per paid order). MessagesTests proves the two agree field for
    /// field, so a field added to `Order` cannot go missing from events unnoticed.
    public func json() throws(WireError) -> RawJSON {
        var w = JSONWriter(reservingCapacity: 512 + 128 * (order.history.count + order.items.count))
        w.beginObject()
        if let latePayment { w.field("late_payment", latePayment) }
        w.key("order")
        order.write(to: &w)
        if let payToken { w.field("pay_token", payToken) }
        if let paymentIntentID { w.field("payment_intent_id", paymentIntentID) }
        if let reason { w.field("reason", reason) }
        if let refundAmount { w.field("refund_amount", Int64(refundAmount)) }
        if let refundID { w.field("refund_id", refundID) }
        w.endObject()
        return try RawJSON(validating: w.bytes)
    }
}

extension Order {
    /// Writes the order as an object with sorted keys, like its `Codable` form.
    func write(to w: inout JSONWriter) {
        w.beginObject()
        w.field("amount", Int64(amount))
        w.field("created_at", createdAt)
        w.field("currency", currency)
        if let dispute {
            w.key("dispute")
            dispute.write(to: &w)
        }
        if let disputed { w.field("disputed", disputed) }
        w.field("email", email)
        w.field("expires_at", expiresAt)
        w.field("flow", flow.rawValue)
        w.key("history")
        w.beginArray()
        for t in history {
            w.beginObject()
            w.field("at", t.at)
            w.field("cause", t.cause)
            if let note = t.note { w.field("note", note) }
            w.field("status", t.status.rawValue)
            w.endObject()
        }
        w.endArray()
        w.key("items")
        w.beginArray()
        for line in items {
            w.beginObject()
            w.field("amount", Int64(line.amount))
            w.field("name", line.name)
            w.field("quantity", Int64(line.quantity))
            w.field("sku", line.sku)
            w.field("unit_amount", Int64(line.unitAmount))
            w.endObject()
        }
        w.endArray()
        w.field("order_id", orderID)
        if let refundedAmount { w.field("refunded_amount", Int64(refundedAmount)) }
        w.field("status", status.rawValue)
        w.endObject()
    }
}

extension OrderDispute {
    /// Writes the dispute as an object with sorted keys, like its `Codable` form.
    func write(to w: inout JSONWriter) {
        w.beginObject()
        w.field("amount", Int64(amount))
        w.field("currency", currency)
        w.field("dispute_id", disputeID)
        if let dueBy { w.field("due_by", dueBy) }
        w.field("funds_reinstated", fundsReinstated)
        w.field("funds_withdrawn", fundsWithdrawn)
        if let reason { w.field("reason", reason) }
        w.field("status", status)
        w.endObject()
    }
}
