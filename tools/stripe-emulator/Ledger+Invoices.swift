extension Ledger {
    /// `POST /v1/invoiceitems`: `customer`, and `amount`+`currency` or `price_data[currency|unit_amount|product]`
    /// with `quantity`; pending until an invoice pulls it in, or attached at once with `invoice=in_...` (a draft).
    mutating func createInvoiceItem(_ p: Params, request: RequestInfo? = nil) throws(StripeError) -> JSONObject {
        try p.allowOnly(["customer", "amount", "currency", "price_data", "quantity", "description", "metadata",
                         "invoice", "expand", "period", "discountable", "unit_amount_decimal", "tax_behavior"])
        let customer = try get("customer", try p.requiredString("customer"), param: "customer")
        let quantity = try p.int("quantity") ?? 1
        guard quantity >= 1 else { throw .invalid("quantity", "Invalid quantity: must be at least 1.") }
        var amount: Int64
        var unit: Int64
        var currency: String
        if let priceData = try p.object("price_data") {
            try priceData.allowOnly(["currency", "unit_amount", "product", "tax_behavior", "unit_amount_decimal"])
            guard let c = try priceData.currency() else { throw .missing("price_data[currency]") }
            guard let u = try priceData.amount("unit_amount", allowZero: true) else { throw .missing("price_data[unit_amount]") }
            _ = try priceData.requiredString("product")
            (unit, amount, currency) = (u, u * quantity, c)
        } else {
            guard let a = try p.int("amount") else { throw .missing("amount") }
            guard let c = try p.currency() else { throw .missing("currency") }
            (unit, amount, currency) = (a, a, c)
        }
        var invoiceID: String?
        if let id = try p.string("invoice") {
            let invoice = try get("invoice", id, param: "invoice")
            guard invoice.string("status") == "draft" else {
                throw .invalid("invoice", "You can only add invoice items to draft invoices.", code: "invoice_not_editable")
            }
            guard invoice.string("customer") == customer.id else {
                throw .invalid("invoice", "The invoice belongs to another customer.")
            }
            invoiceID = id
        }
        let now = IDs.now()
        let item: JSONObject = [
            "id": .string(IDs.make("ii_")), "object": "invoiceitem", "amount": .int(amount), "currency": .string(currency),
            "customer": .string(customer.id), "date": .int(now), "description": JSON(try p.string("description")),
            "discountable": true, "invoice": JSON(invoiceID), "livemode": false,
            "metadata": .object(try p.metadata() ?? JSONObject()), "period": ["start": .int(now), "end": .int(now)],
            "proration": false, "quantity": .int(quantity), "quantity_decimal": .string(String(quantity)),
            "unit_amount": .int(unit),
        ]
        insert(item)
        emit("invoiceitem.created", item, request: request)
        if let invoiceID { recomputeInvoice(invoiceID) }
        return item
    }

    /// `POST /v1/invoices`: a draft for `customer`; `pending_invoice_items_behavior=include` pulls in the
    /// customer's pending invoice items (Stripe's default is `exclude`).
    mutating func createInvoice(_ p: Params, request: RequestInfo? = nil) throws(StripeError) -> JSONObject {
        try p.allowOnly(["customer", "metadata", "auto_advance", "collection_method", "pending_invoice_items_behavior",
                         "description", "currency", "days_until_due", "due_date", "expand", "footer",
                         "payment_settings", "automatic_tax"])
        let customer = try get("customer", try p.requiredString("customer"), param: "customer")
        let collection = try p.string("collection_method") ?? "charge_automatically"
        guard ["charge_automatically", "send_invoice"].contains(collection) else {
            throw .invalid("collection_method", "Invalid collection_method: must be one of charge_automatically or send_invoice.")
        }
        var dueDate = try p.int("due_date")
        if collection == "send_invoice" {
            if let days = try p.int("days_until_due") { dueDate = IDs.now() + days * 86_400 }
            if dueDate == nil { throw .missing("days_until_due") }
        }
        let behavior = try p.string("pending_invoice_items_behavior") ?? "exclude"
        guard ["include", "exclude"].contains(behavior) else {
            throw .invalid("pending_invoice_items_behavior", "Invalid pending_invoice_items_behavior: must be one of include or exclude.")
        }
        let pending = behavior == "include"
            ? all("invoiceitem").reversed().filter { $0.string("customer") == customer.id && ($0["invoice"]?.isNull ?? true) }
            : []
        let currency = try p.currency() ?? pending.first?.string("currency") ?? "usd"
        if let other = pending.first(where: { $0.string("currency") != currency }) {
            throw .invalid("currency", "Pending invoice item \(other.id) is in \(other.string("currency") ?? "?"), not \(currency).")
        }
        let now = IDs.now()
        let id = IDs.make("in_")
        let invoice: JSONObject = [
            "id": .string(id), "object": "invoice", "account_country": "US", "account_name": "Stripe stand-in",
            "amount_due": 0, "amount_overpaid": 0, "amount_paid": 0, "amount_paid_off_stripe": 0, "amount_remaining": 0,
            "amount_shipping": 0, "attempt_count": 0, "attempted": false,
            "automatic_tax": ["disabled_reason": nil, "enabled": false, "liability": nil, "provider": nil, "status": nil],
            "default_tax_rates": [], "discounts": [], "issuer": ["type": "self"],
            "payment_settings": ["default_mandate": nil, "payment_method_options": nil, "payment_method_types": nil],
            "post_payment_credit_notes_amount": 0, "pre_payment_credit_notes_amount": 0, "starting_balance": 0,
            "auto_advance": .bool(try p.bool("auto_advance") ?? false), "billing_reason": "manual",
            "collection_method": .string(collection), "created": .int(now), "currency": .string(currency),
            "customer": .string(customer.id), "customer_email": customer["email"] ?? nil, "customer_name": customer["name"] ?? nil,
            "description": JSON(try p.string("description")), "due_date": JSON(dueDate), "effective_at": nil,
            "hosted_invoice_url": nil, "invoice_pdf": nil,
            "lines": ["object": "list", "data": [], "has_more": false, "total_count": 0, "url": .string("/v1/invoices/\(id)/lines")],
            "livemode": false, "metadata": .object(try p.metadata() ?? JSONObject()), "next_payment_attempt": nil,
            "number": nil, "paid": false, "paid_out_of_band": false, "payment_intent": nil, "period_end": .int(now),
            "period_start": .int(now), "status": "draft",
            "status_transitions": ["finalized_at": nil, "marked_uncollectible_at": nil, "paid_at": nil, "voided_at": nil],
            "subtotal": 0, "total": 0, "webhooks_delivered_at": nil,
        ]
        insert(invoice)
        for item in pending { modify(item.id) { $0["invoice"] = .string(id) } }
        recomputeInvoice(id)
        emit("invoice.created", objects[id]!, request: request)
        return objects[id]!
    }

    /// Rebuilds a draft's lines and totals from its invoice items.
    private mutating func recomputeInvoice(_ id: String) {
        let items = all("invoiceitem").reversed().filter { $0.string("invoice") == id }
        let lines: [JSON] = items.map { item in
            [
                "id": .string("il_" + item.id.dropFirst(3)), "object": "line_item", "amount": item["amount"] ?? 0,
                "currency": item["currency"] ?? nil, "description": item["description"] ?? nil,
                "discount_amounts": [], "discountable": item["discountable"] ?? true, "discounts": [], "invoice": .string(id),
                "invoice_item": .string(item.id), "livemode": false, "metadata": item["metadata"] ?? [:],
                "parent": ["invoice_item_details": ["invoice": .string(id), "invoice_item": .string(item.id), "proration": false,
                                                    "proration_details": ["credited_items": nil], "subscription": nil],
                           "subscription_item_details": nil, "type": "invoice_item_details"],
                "period": item["period"] ?? nil, "pretax_credit_amounts": [], "quantity": item["quantity"] ?? 1,
                "subtotal": item["amount"] ?? 0, "taxes": [], "type": "invoiceitem",
            ]
        }
        let total = items.reduce(Int64(0)) { $0 + ($1.int("amount") ?? 0) }
        modify(id) { inv in
            inv["lines"] = ["object": "list", "data": .array(lines), "has_more": false, "total_count": .int(Int64(lines.count)),
                            "url": .string("/v1/invoices/\(id)/lines")]
            for key in ["subtotal", "total", "amount_due", "amount_remaining"] { inv[key] = .int(total) }
        }
    }

    /// `POST /v1/invoices/{id}/finalize`: draft → open with a number and, when something is due, a
    /// PaymentIntent (its client secret is `payment_intent` up to acacia, `confirmation_secret` from basil).
    mutating func finalizeInvoice(_ id: String, _ p: Params, request: RequestInfo) throws(StripeError) -> JSONObject {
        try p.allowOnly(["auto_advance", "expand"])
        var invoice = try get("invoice", id)
        guard invoice.string("status") == "draft" else {
            throw .invalid(nil, "This invoice is already finalized, you can't re-finalize a non-draft invoice.",
                           code: "invoice_not_editable")
        }
        let now = IDs.now()
        let customer = objects[invoice.string("customer") ?? ""]
        let count = all("invoice").filter { $0.string("customer") == customer?.id && !($0["number"]?.isNull ?? true) }.count
        let number = "\(customer?.string("invoice_prefix") ?? "INV")-\(String(1001 + count).suffix(4))"
        if let auto = try p.bool("auto_advance") { invoice["auto_advance"] = .bool(auto) }
        invoice["status"] = "open"
        invoice["number"] = .string(number)
        invoice["effective_at"] = .int(now)
        var transitions = invoice.object("status_transitions") ?? JSONObject()
        transitions["finalized_at"] = .int(now)
        invoice["status_transitions"] = .object(transitions)
        let amount = invoice.int("amount_due") ?? 0
        var piID: String?
        if amount > 0 {
            let newID = IDs.make("pi_")
            let pi: JSONObject = [
                "id": .string(newID), "object": "payment_intent", "amount": .int(amount), "amount_capturable": 0,
                "amount_received": 0, "automatic_payment_methods": nil, "canceled_at": nil, "cancellation_reason": nil,
                "capture_method": "automatic", "client_secret": .string(IDs.clientSecret(for: newID)),
                "confirmation_method": "automatic", "created": .int(now), "currency": invoice["currency"] ?? "usd",
                "customer": invoice["customer"] ?? nil, "description": .string("Invoice \(number)"),
                "last_payment_error": nil, "latest_charge": nil, "livemode": false, "metadata": [:], "next_action": nil,
                "payment_method": nil, "payment_method_types": ["card", "link", "us_bank_account"],
                "receipt_email": nil, "setup_future_usage": nil, "shipping": nil, "statement_descriptor": nil,
                "status": "requires_payment_method", "_invoice": .string(id),
            ]
            insert(pi)
            piID = newID
            invoice["payment_intent"] = .string(newID)
        }
        update(invoice)
        if let piID { emit("payment_intent.created", objects[piID]!, request: request) }
        emit("invoice.finalized", objects[id]!, request: request)
        if amount == 0 { invoicePaymentChanged(id, .succeeded, request: request) }
        return objects[id]!
    }

    /// `POST /v1/invoices/{id}/pay`: charges the invoice's PaymentIntent with `payment_method` (or the one
    /// already on it), or `paid_out_of_band=true`. A decline is 402 `card_error`; 3-D Secure is 402
    /// `invoice_payment_intent_requires_action`, as on Stripe.
    mutating func payInvoice(_ id: String, _ p: Params, request: RequestInfo) throws(StripeError) -> JSONObject {
        try p.allowOnly(["payment_method", "paid_out_of_band", "expand", "off_session", "forgive", "source", "mandate"])
        let invoice = try get("invoice", id)
        guard invoice.string("status") == "open" else {
            let status = invoice.string("status") ?? "?"
            throw .invalid(nil, status == "paid" ? "Invoice is already paid" : "You can only pay an open invoice (this one is \(status)).",
                           code: status == "paid" ? "invoice_already_paid" : "invoice_not_editable")
        }
        if try p.bool("paid_out_of_band") == true {
            modify(id) { $0["paid_out_of_band"] = true }
            if let piID = invoice.string("payment_intent"), let pi = objects[piID],
               pi.string("status") != "succeeded" && pi.string("status") != "canceled" {
                cancel(piID, reason: nil, request: request)
            }
            invoicePaymentChanged(id, .succeeded, request: request)
            return objects[id]!
        }
        guard let piID = invoice.string("payment_intent"), let pi = objects[piID] else {
            throw .invalid(nil, "This invoice has no PaymentIntent to pay.", code: "invoice_not_editable")
        }
        try requireConfirmable(pi)
        let pm: JSONObject
        if let pmID = try p.string("payment_method") {
            pm = try resolvePaymentMethod(pmID)
        } else if let existing = pi.string("payment_method"), let stored = objects[existing] {
            pm = stored
        } else {
            throw StripeError(status: 400, type: "invalid_request_error", code: "invoice_no_payment_method_types",
                              message: "This invoice has no payment method to charge: pass payment_method.", param: "payment_method")
        }
        try requireCompatible(pi, pm)
        switch attemptPayment(piID, with: pm, request: request) {
        case .declined, .failed:
            let error = objects[piID]?.object("last_payment_error") ?? JSONObject()
            throw StripeError(status: 402, type: "card_error", code: error.string("code"), declineCode: error.string("decline_code"),
                              message: error.string("message") ?? TestCard.declined, param: nil)
        case .requiresAction:
            throw StripeError(status: 402, type: "card_error", code: "invoice_payment_intent_requires_action",
                              message: "This payment requires additional user action before it can be completed successfully. Payment can be completed using the PaymentIntent associated with the invoice.")
        case .succeeded, .processing:
            return objects[id]!
        }
    }

    /// Follows the invoice's PaymentIntent: paid on success, a failed attempt otherwise.
    mutating func invoicePaymentChanged(_ id: String, _ change: PaymentChange, request: RequestInfo?) {
        guard let invoice = objects[id], invoice.string("status") == "open" else { return }
        let now = IDs.now()
        switch change {
        case .succeeded:
            modify(id) { inv in
                inv["status"] = "paid"
                inv["paid"] = true
                inv["amount_paid"] = inv["amount_due"]
                inv["amount_remaining"] = 0
                inv["attempted"] = true
                inv["attempt_count"] = .int((inv.int("attempt_count") ?? 0) + 1)
                var t = inv.object("status_transitions") ?? JSONObject()
                t["paid_at"] = .int(now)
                inv["status_transitions"] = .object(t)
            }
            emit("invoice.paid", objects[id]!, request: request)
            emit("invoice.payment_succeeded", objects[id]!, request: request)
        case .failed:
            modify(id) { inv in
                inv["attempted"] = true
                inv["attempt_count"] = .int((inv.int("attempt_count") ?? 0) + 1)
            }
            emit("invoice.payment_failed", objects[id]!, request: request)
        case .processing:
            modify(id) { $0["attempted"] = true }
        }
    }
}
