import Foundation
import Testing

/// The stand-in's refunds, disputes and invoice voiding (issue 17), driven over HTTP against the real
/// `stripe-emulator` executable.
@Suite("Stripe emulator: refunds, disputes, void")
struct StripeEmulatorRefundTests {
    /// A PaymentIntent of `amount` paid with `card`.
    static func paid(_ e: StripeEmulatorProcess, amount: Int = 1000, card: String = "4242424242424242",
                     orderID: String = "o-1") throws -> String {
        let pi = try e.stripe("POST", "/v1/payment_intents", [("amount", "\(amount)"), ("currency", "eur"),
                                                               ("metadata[order_id]", orderID)])
        let id = try #require(pi.json["id"] as? String)
        let confirm = try e.helper("POST", "/_emulator/payment_intents/\(id)/confirm", json: ["card": card])
        #expect(confirm.json["outcome"] as? String == "succeeded")
        return id
    }

    static func events(_ e: StripeEmulatorProcess, type: String) throws -> [[String: Any]] {
        let r = try e.stripe("GET", "/v1/events", [("type", type), ("limit", "100")])
        return (r.json["data"] as? [[String: Any]]) ?? []
    }

    @Test("partial refunds repeat up to the captured amount; an over-refund is refused with Stripe's error")
    func partialThenRest() throws {
        let dir = try TemporaryDirectory()
        let e = try StripeEmulatorProcess(in: dir)
        let pi = try Self.paid(e)
        let first = try e.stripe("POST", "/v1/refunds", [("payment_intent", pi), ("amount", "300"), ("reason", "requested_by_customer"),
                                                         ("metadata[order_id]", "o-1"), ("metadata[refund_request]", "rr_1")],
                                 headers: [("Idempotency-Key", "shop:refund:rr_1")])
        #expect(first.status == 200)
        #expect(first.json["object"] as? String == "refund")
        #expect((first.json["id"] as? String)?.hasPrefix("re_") == true)
        #expect(first.json["amount"] as? Int == 300)
        #expect(first.json["currency"] as? String == "eur")
        #expect(first.json["status"] as? String == "succeeded")
        #expect(first.json["payment_intent"] as? String == pi)
        #expect(first.json["reason"] as? String == "requested_by_customer")
        #expect((first.json["metadata"] as? [String: String]) == ["order_id": "o-1", "refund_request": "rr_1"])
        let chargeID = try #require(first.json["charge"] as? String)

        // The same key replays the same refund; no second one exists.
        let replay = try e.stripe("POST", "/v1/refunds", [("payment_intent", pi), ("amount", "300"), ("reason", "requested_by_customer"),
                                                          ("metadata[order_id]", "o-1"), ("metadata[refund_request]", "rr_1")],
                                  headers: [("Idempotency-Key", "shop:refund:rr_1")])
        #expect(replay.header("Idempotent-Replayed") == "true")
        #expect(replay.json["id"] as? String == first.json["id"] as? String)

        let over = try e.stripe("POST", "/v1/refunds", [("payment_intent", pi), ("amount", "701")])
        #expect(over.status == 400)
        #expect(over.errorValue("type") == "invalid_request_error")
        #expect(over.errorValue("code") == "amount_too_large")
        #expect(over.errorValue("param") == "amount")
        #expect(over.errorValue("message")?.contains("greater than unrefunded amount") == true)

        let rest = try e.stripe("POST", "/v1/refunds", [("payment_intent", pi)])
        #expect(rest.json["amount"] as? Int == 700)
        let charge = try e.stripe("GET", "/v1/charges/\(chargeID)")
        #expect(charge.json["amount_refunded"] as? Int == 1000)
        #expect(charge.json["refunded"] as? Bool == true)

        let again = try e.stripe("POST", "/v1/refunds", [("payment_intent", pi), ("amount", "1")])
        #expect(again.status == 400)
        #expect(again.errorValue("code") == "charge_already_refunded")

        let list = try e.stripe("GET", "/v1/refunds", [("payment_intent", pi)])
        let data = try #require(list.json["data"] as? [[String: Any]])
        #expect(data.map { $0["amount"] as? Int } == [700, 300])  // newest first
        #expect(try e.stripe("GET", "/v1/refunds/\(first.json["id"] as? String ?? "")").json["amount"] as? Int == 300)

        // charge.refunded carries the Charge (on the partial refund too); refund.created carries each Refund.
        let refunded = try Self.events(e, type: "charge.refunded")
        #expect(refunded.count == 2)
        let objects = refunded.compactMap { ($0["data"] as? [String: Any])?["object"] as? [String: Any] }
        #expect(objects.allSatisfy { $0["object"] as? String == "charge" && $0["id"] as? String == chargeID })
        #expect(Set(objects.compactMap { $0["amount_refunded"] as? Int }) == [300, 1000])
        #expect(try Self.events(e, type: "refund.created").count == 2)
    }

    @Test("an unpaid PaymentIntent cannot be refunded; unknown refunds are 404")
    func unpaid() throws {
        let dir = try TemporaryDirectory()
        let e = try StripeEmulatorProcess(in: dir)
        let pi = try e.stripe("POST", "/v1/payment_intents", [("amount", "500"), ("currency", "eur")])
        let r = try e.stripe("POST", "/v1/refunds", [("payment_intent", pi.json["id"] as? String ?? "")])
        #expect(r.status == 400)
        #expect(r.errorValue("code") == "charge_not_refundable")
        #expect(try e.stripe("GET", "/v1/refunds/re_missing").status == 404)
        let bad = try e.stripe("POST", "/v1/refunds", [("payment_intent", try Self.paid(e)), ("reason", "because")])
        #expect(bad.status == 400)
        #expect(bad.errorValue("param") == "reason")
    }

    @Test("a Dashboard refund has no metadata and sends the same events")
    func dashboard() throws {
        let dir = try TemporaryDirectory()
        let e = try StripeEmulatorProcess(in: dir)
        let pi = try Self.paid(e)
        let r = try e.helper("POST", "/_emulator/refunds", json: ["payment_intent": pi, "amount": 250])
        #expect(r.status == 200)
        let refund = try #require(r.json["refund"] as? [String: Any])
        #expect(refund["amount"] as? Int == 250)
        #expect((refund["metadata"] as? [String: Any])?.isEmpty == true)
        #expect(StripeEmulatorProcess.eventTypes(r.json) == ["refund.created", "charge.refunded"])
    }

    @Test("refunds of 4000000000007726 go pending then failed; of 4000000000005126 succeed then fail")
    func asynchronousRefunds() throws {
        let dir = try TemporaryDirectory()
        let e = try StripeEmulatorProcess(in: dir, environment: ["EMULATOR_ASYNC_SETTLE_MS": "0"])
        let pending = try e.stripe("POST", "/v1/refunds", [("payment_intent", try Self.paid(e, card: "4000000000007726"))])
        #expect(pending.json["status"] as? String == "pending")
        let pendingID = try #require(pending.json["id"] as? String)
        let failed = try e.helper("POST", "/_emulator/refunds/\(pendingID)/settle", json: [:])
        #expect((failed.json["refund"] as? [String: Any])?["status"] as? String == "failed")
        #expect((failed.json["refund"] as? [String: Any])?["failure_reason"] as? String == "lost_or_stolen_card")
        #expect(StripeEmulatorProcess.eventTypes(failed.json) == ["refund.updated", "charge.refund.updated", "refund.failed"])
        let charge = try e.stripe("GET", "/v1/charges/\(pending.json["charge"] as? String ?? "")")
        #expect(charge.json["amount_refunded"] as? Int == 0)

        let later = try e.stripe("POST", "/v1/refunds", [("payment_intent", try Self.paid(e, card: "4000000000005126"))])
        #expect(later.json["status"] as? String == "succeeded")
        let laterID = try #require(later.json["id"] as? String)
        let turned = try e.helper("POST", "/_emulator/refunds/\(laterID)/settle", json: ["outcome": "failed"])
        #expect((turned.json["refund"] as? [String: Any])?["failure_reason"] as? String == "expired_or_canceled_card")
        let updated = try Self.events(e, type: "charge.refund.updated")
        let object = (updated.first?["data"] as? [String: Any])?["object"] as? [String: Any]
        #expect(object?["object"] as? String == "refund")
        #expect(object?["id"] as? String == laterID)
        #expect(((updated.first?["data"] as? [String: Any])?["previous_attributes"] as? [String: Any])?["status"] as? String == "succeeded")
        // A normal card's refund cannot be failed twice.
        let twice = try e.helper("POST", "/_emulator/refunds/\(laterID)/settle", json: ["outcome": "failed"])
        #expect(twice.status == 400)
    }

    @Test("the timer fails a pending refund by itself")
    func timer() throws {
        let dir = try TemporaryDirectory()
        let e = try StripeEmulatorProcess(in: dir, environment: ["EMULATOR_ASYNC_SETTLE_MS": "100"])
        let r = try e.stripe("POST", "/v1/refunds", [("payment_intent", try Self.paid(e, card: "4000000000007726"))])
        let id = try #require(r.json["id"] as? String)
        #expect(eventually { (try? e.stripe("GET", "/v1/refunds/\(id)").json["status"] as? String) == "failed" })
    }

    @Test("4000000000000259 pays, then a dispute opens; close accepts the loss; the helper closes another as won")
    func disputes() throws {
        let dir = try TemporaryDirectory()
        let e = try StripeEmulatorProcess(in: dir)
        let before = Int(Date().timeIntervalSince1970)
        let pi = try Self.paid(e, amount: 2000, card: "4000000000000259")
        let list = try e.stripe("GET", "/v1/disputes", [("payment_intent", pi)])
        let disputes = try #require(list.json["data"] as? [[String: Any]])
        #expect(disputes.count == 1)
        let dispute = try #require(disputes.first)
        let id = try #require(dispute["id"] as? String)
        #expect(id.hasPrefix("dp_"))
        #expect(dispute["object"] as? String == "dispute")
        #expect(dispute["amount"] as? Int == 2000)
        #expect(dispute["status"] as? String == "needs_response")
        #expect(dispute["reason"] as? String == "fraudulent")
        let due = try #require((dispute["evidence_details"] as? [String: Any])?["due_by"] as? Int)
        #expect(due > before)
        let chargeID = try #require(dispute["charge"] as? String)
        #expect(try e.stripe("GET", "/v1/disputes", [("charge", chargeID)]).json["data"].map { ($0 as? [Any])?.count } == 1)
        #expect(try e.stripe("GET", "/v1/charges/\(chargeID)").json["disputed"] as? Bool == true)
        #expect(try Self.events(e, type: "charge.dispute.created").count == 1)
        #expect(try Self.events(e, type: "charge.dispute.funds_withdrawn").count == 1)
        // A disputed charge cannot be refunded.
        #expect(try e.stripe("POST", "/v1/refunds", [("payment_intent", pi)]).errorValue("code") == "charge_disputed")

        let closed = try e.stripe("POST", "/v1/disputes/\(id)/close")
        #expect(closed.json["status"] as? String == "lost")
        #expect(try e.stripe("POST", "/v1/disputes/\(id)/close").status == 400)
        #expect(try e.stripe("GET", "/v1/disputes/\(id)").json["status"] as? String == "lost")

        let pi2 = try Self.paid(e, amount: 900, card: "4000000000000259")
        let id2 = try #require(((try e.stripe("GET", "/v1/disputes", [("payment_intent", pi2)]).json["data"] as? [[String: Any]])?.first)?["id"] as? String)
        let won = try e.helper("POST", "/_emulator/disputes/\(id2)/close", json: ["status": "won"])
        #expect((won.json["dispute"] as? [String: Any])?["status"] as? String == "won")
        #expect(StripeEmulatorProcess.eventTypes(won.json) == ["charge.dispute.funds_reinstated", "charge.dispute.closed"])
        #expect(try e.stripe("GET", "/v1/disputes/dp_missing").status == 404)
    }

    /// Stripe's own example object for `resource` (openapi-fixtures3.json, from Stripe's OpenAPI repository).
    static func stripeExample(_ resource: String) throws -> [String: Any] {
        let file = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/stripe/openapi-fixtures3.json")
        let all = try JSONSerialization.jsonObject(with: try Data(contentsOf: file)) as? [String: Any]
        return try #require((all?["resources"] as? [String: Any])?[resource] as? [String: Any], "no resources[\(resource)]")
    }

    /// Every field of `example` is in `object`, with the same JSON kind where both are set; nested objects
    /// (not lists or maps such as metadata) are compared the same way. Returns the differences.
    static func shapeDifferences(_ object: [String: Any], from example: [String: Any], at path: String = "") -> [String] {
        func kind(_ v: Any) -> String {
            switch v {
            case is NSNull: "null"
            case let n as NSNumber: String(cString: n.objCType) == "c" ? "bool" : "number"
            case is String: "string"
            case is [Any]: "array"
            case is [String: Any]: "object"
            default: "\(type(of: v))"
            }
        }
        var out: [String] = []
        for (key, expected) in example.sorted(by: { $0.key < $1.key }) {
            guard let actual = object[key] else { out.append("\(path)\(key) missing"); continue }
            let (k1, k2) = (kind(expected), kind(actual))
            if k1 != "null" && k2 != "null" && k1 != k2 { out.append("\(path)\(key): \(k2), Stripe's is \(k1)") }
            if key != "metadata", let e = expected as? [String: Any], let a = actual as? [String: Any] {
                out += shapeDifferences(a, from: e, at: path + key + ".")
            }
        }
        return out
    }

    // The trimmed OpenAPI spec that StripeConformanceTests reads has no Refund or Dispute schema, so these
    // two are checked against Stripe's example objects instead: every field Stripe shows, of the same kind.
    @Test("refunds and disputes have every field of Stripe's example objects, of the same kind")
    func refundAndDisputeShapes() throws {
        let dir = try TemporaryDirectory()
        let e = try StripeEmulatorProcess(in: dir)
        let refund = try e.stripe("POST", "/v1/refunds", [("payment_intent", try Self.paid(e)), ("amount", "100")])
        #expect(refund.status == 200)
        let refundDiff = Self.shapeDifferences(refund.json, from: try Self.stripeExample("refund"))
        #expect(refundDiff.isEmpty, "refund: \(refundDiff)")

        let pi = try Self.paid(e, amount: 2000, card: "4000000000000259")
        let dispute = try #require((try e.stripe("GET", "/v1/disputes", [("payment_intent", pi)]).json["data"] as? [[String: Any]])?.first)
        let disputeDiff = Self.shapeDifferences(dispute, from: try Self.stripeExample("dispute"))
        #expect(disputeDiff.isEmpty, "dispute: \(disputeDiff)")
    }

    @Test("void makes an open invoice unpayable and cancels its PaymentIntent; a paid one is refused")
    func voidInvoice() throws {
        let dir = try TemporaryDirectory()
        let e = try StripeEmulatorProcess(in: dir)
        func openInvoice() throws -> (String, String) {
            let customer = try e.stripe("POST", "/v1/customers", [("email", "v@example.com")]).json["id"] as? String ?? ""
            let invoice = try e.stripe("POST", "/v1/invoices", [("customer", customer), ("currency", "eur")]).json["id"] as? String ?? ""
            _ = try e.stripe("POST", "/v1/invoiceitems", [("customer", customer), ("invoice", invoice), ("amount", "700"), ("currency", "eur")])
            let finalized = try e.stripe("POST", "/v1/invoices/\(invoice)/finalize", headers: [("Stripe-Version", "2025-02-24.acacia")])
            return (invoice, finalized.json["payment_intent"] as? String ?? "")
        }
        let (invoice, pi) = try openInvoice()
        let voided = try e.stripe("POST", "/v1/invoices/\(invoice)/void")
        #expect(voided.status == 200)
        #expect(voided.json["status"] as? String == "void")
        #expect(try e.stripe("GET", "/v1/payment_intents/\(pi)").json["status"] as? String == "canceled")
        #expect(try Self.events(e, type: "invoice.voided").count == 1)
        #expect(try e.helper("POST", "/_emulator/invoices/\(invoice)/pay", json: ["card": "4242424242424242"]).status == 400)
        #expect(try e.stripe("POST", "/v1/invoices/\(invoice)/void").status == 400)

        let (paid, _) = try openInvoice()
        _ = try e.helper("POST", "/_emulator/invoices/\(paid)/pay", json: ["card": "4242424242424242"])
        let refused = try e.stripe("POST", "/v1/invoices/\(paid)/void")
        #expect(refused.status == 400)
        #expect(refused.errorValue("code") == "invoice_already_paid")
    }
}
