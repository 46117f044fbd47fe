import Foundation
import Stripe
import Testing

/// Responses decoded from Stripe's own example objects (openapi-fixtures3.json), the two real embedded
/// Checkout Sessions, and the localstripe webhook body, with the project's types.
@Suite("Decoding Stripe objects")
struct DecodingTests {
    static func decode<T: Decodable>(_ type: T.Type, _ object: [String: Any]) throws -> T {
        try StripeJSON.decode(T.self, from: try Fixture.json(object))
    }

    @Test("openapi payment_intent")
    func paymentIntent() throws {
        let pi = try Self.decode(PaymentIntent.self, try Fixture.resource("payment_intent"))
        #expect(pi.id == "pi_1PgafyB7WZ01zgkWSjxsAJo3")
        #expect(pi.amount == 1099)
        #expect(pi.currency == "usd")
        #expect(pi.status == "requires_payment_method")
        #expect(pi.clientSecret == "pi_1PgafyB7WZ01zgkWSjxsAJo3_secret_Dm43xiq1k0ywrRRjDoi8y1gkM")
        #expect(pi.metadata.isEmpty)
        #expect(pi.customer == nil)
        #expect(pi.latestCharge == nil)
        #expect(pi.created == 1234567890)
    }

    @Test("openapi checkout.session")
    func checkoutSession() throws {
        let session = try Self.decode(CheckoutSession.self, try Fixture.resource("checkout.session"))
        #expect(session.id == "cs_test_a1YS1URlnyQCN5fUUduORoQ7Pw41PJqDWkIVQCpJPqkfIhd6tVY8XB1OLY")
        #expect(session.status == "open")
        #expect(session.paymentStatus == "unpaid")
        #expect(session.paymentIntentID == "pi_1PgafyB7WZ01zgkWSjxsAJo3")
        #expect(session.paymentIntent?.object == nil)
        #expect(session.currency == nil)
        #expect(session.clientSecret == nil)
        #expect(session.amountTotal == nil)
    }

    @Test("openapi invoice, invoiceitem and customer")
    func invoiceAndCustomer() throws {
        let invoice = try Self.decode(Invoice.self, try Fixture.resource("invoice"))
        #expect(invoice.id == "in_1Pgc6tB7WZ01zgkWu9fdqL6I")
        #expect(invoice.status == "draft")
        #expect(invoice.amountDue == 1000)
        #expect(invoice.currency == "usd")
        #expect(invoice.customer == "cus_QXg1o8vcGmoR32")
        #expect(invoice.clientSecret == nil)

        let item = try Self.decode(InvoiceItem.self, try Fixture.resource("invoiceitem"))
        #expect(item.id == "ii_1Pgc6sB7WZ01zgkWrG16hkdl")
        #expect(item.amount == 1000)
        #expect(item.currency == "usd")

        let customer = try Self.decode(Customer.self, try Fixture.resource("customer"))
        #expect(customer.id == "cus_QXg1o8vcGmoR32")
        #expect(customer.email == nil)

        var list = ["object": "list", "data": [try Fixture.resource("customer")], "has_more": false] as [String: Any]
        #expect(try Self.decode(StripeList<Customer>.self, list).data.map(\.id) == ["cus_QXg1o8vcGmoR32"])
        list["has_more"] = "yes"
        #expect(try Self.decode(StripeList<Customer>.self, list).hasMore == false)
    }

    @Test("invoice client secret on both sides of the basil split")
    func invoiceSecret() throws {
        var old = try Fixture.resource("invoice")
        var pi = try Fixture.resource("payment_intent")
        pi["client_secret"] = "pi_old_secret_1"
        old["payment_intent"] = pi
        let acacia = try Self.decode(Invoice.self, old)
        #expect(acacia.clientSecret == "pi_old_secret_1")
        #expect(acacia.paymentIntentID == "pi_1PgafyB7WZ01zgkWSjxsAJo3")

        old["payment_intent"] = "pi_unexpanded"
        #expect(try Self.decode(Invoice.self, old).clientSecret == nil)
        #expect(try Self.decode(Invoice.self, old).paymentIntentID == "pi_unexpanded")

        var new = try Fixture.resource("invoice")
        new["confirmation_secret"] = ["client_secret": "pi_new_secret_2", "type": "payment_intent"]
        let basil = try Self.decode(Invoice.self, new)
        #expect(basil.clientSecret == "pi_new_secret_2")
        #expect(basil.paymentIntentID == nil)
    }

    @Test("the two embedded Checkout Session fixtures")
    func embeddedSessions() throws {
        let unpaid = try StripeJSON.decode(CheckoutSession.self, from: try Fixture.bytes("checkout-session-embedded-unpaid.json"))
        #expect(unpaid.id == "cs_test_wwww")
        #expect(unpaid.status == "open")
        #expect(unpaid.paymentStatus == "unpaid")
        #expect(unpaid.paymentIntentID == "pi_3TE4GJGLfJRXFUwH1Ylk7jjo")
        #expect(unpaid.metadata == ["out_trade_no": "1774256092603328600"])
        #expect(unpaid.uiMode == "embedded")
        #expect(unpaid.clientSecret == "cs_test_xxx")
        #expect(unpaid.amountTotal == 400)
        #expect(unpaid.currency == "cny")
        #expect(unpaid.expiresAt == 1774342496)
        #expect(unpaid.returnURL == "http://localhost:8081/stripe_return?session_id={CHECKOUT_SESSION_ID}")
        #expect(unpaid.paymentMethodTypes == ["card", "alipay", "wechat_pay", "link"])
        // The printed, expanded PaymentIntent has "" / 0 / null for unset fields.
        let embedded = try #require(unpaid.paymentIntent?.object)
        #expect(embedded.status == "")
        #expect(embedded.clientSecret == nil)
        #expect(embedded.metadata.isEmpty)

        let paid = try StripeJSON.decode(CheckoutSession.self, from: try Fixture.bytes("checkout-session-embedded-paid.json"))
        #expect(paid.id == "cs_test_www")
        #expect(paid.status == "complete")
        #expect(paid.paymentStatus == "paid")
        #expect(paid.paymentIntentID == "pi_3TE4L6GLfJRXFUwH0xPlsxYW")
        #expect(paid.metadata == ["out_trade_no": "1774256382025448500"])
        #expect(paid.uiMode == "embedded")
        #expect(paid.clientSecret == nil)  // printed as ""
        #expect(paid.amountTotal == 400)
        #expect(paid.currency == "cny")
    }

    @Test("the localstripe webhook body as an Event of a payment_intent")
    func localstripeEvent() throws {
        let event = try Event.decode(try Fixture.bytes(Fixture.localstripeBodyName))
        #expect(event.id == "evt_IQLVFa2w2TNrYf")
        #expect(event.type == "payment_intent.succeeded")
        #expect(event.created == 1795276603)
        #expect(event.livemode == false)
        #expect(event.apiVersion == "2017-08-15")
        #expect(event.objectType == "payment_intent")
        let pi = try event.object(as: PaymentIntent.self)
        #expect(pi.id == "pi_FcVe3xMgnx4L5M")
        #expect(pi.amount == 400)
        #expect(pi.currency == "cny")
        #expect(pi.status == "succeeded")
        #expect(pi.metadata == ["order_id": "o1"])
        #expect(pi.latestCharge == "ch_XfgUL9tP1yFjor")  // expanded object
        #expect(pi.clientSecret == "pi_FcVe3xMgnx4L5M_secret_uhRILObsZj0NhUiT")
        // The same event decoded as another type fails as a typed error, not a crash.
        #expect(throws: StripeError.self) { try event.object(as: [String].self) }
    }

    @Test("openapi event, and the openapi event carrying the openapi payment_intent and checkout.session")
    func openapiEvents() throws {
        var object = try Fixture.resource("event")
        let plan = try Event.decode(try Fixture.json(object))
        #expect(plan.id == "evt_1Pgc76B7WZ01zgkWwyRHS12y")
        #expect(plan.type == "plan.created")
        #expect(plan.objectType == "plan")

        object["type"] = "payment_intent.succeeded"
        object["data"] = ["object": try Fixture.resource("payment_intent")]
        let succeeded = try Event.decode(try Fixture.json(object))
        #expect(succeeded.objectType == "payment_intent")
        #expect(try succeeded.object(as: PaymentIntent.self).amount == 1099)

        object["type"] = "checkout.session.completed"
        object["data"] = ["object": try Fixture.resource("checkout.session"), "previous_attributes": ["status": "open"]]
        let completed = try Event.decode(try Fixture.json(object))
        #expect(completed.objectType == "checkout.session")
        #expect(try completed.object(as: CheckoutSession.self).paymentIntentID == "pi_1PgafyB7WZ01zgkWSjxsAJo3")

        object["type"] = "invoice.paid"
        object["data"] = ["object": try Fixture.resource("invoice")]
        #expect(try Event.decode(try Fixture.json(object)).object(as: Invoice.self).amountDue == 1000)

        // Events of a type nobody knows, with an object nobody knows, still decode.
        object["type"] = "v9.brand_new.thing"
        object["data"] = ["object": ["object": "hologram", "id": "hol_1"]]
        #expect(try Event.decode(try Fixture.json(object)).objectType == "hologram")

        // Without data, it is not an event.
        object.removeValue(forKey: "data")
        #expect(throws: StripeError.self) { try Event.decode(try Fixture.json(object)) }
    }

    @Test("an Events API page keeps each event's object decodable")
    func eventPage() throws {
        let localstripe = try JSONSerialization.jsonObject(with: Data(try Fixture.bytes(Fixture.localstripeBodyName)))
        let page = ["object": "list", "data": [localstripe, try Fixture.resource("event")], "has_more": true,
                    "url": "/v1/events"] as [String: Any]
        let decoded = try EventPage.decode(try Fixture.json(page))
        #expect(decoded.hasMore)
        #expect(decoded.events.map(\.id) == ["evt_IQLVFa2w2TNrYf", "evt_1Pgc76B7WZ01zgkWwyRHS12y"])
        let pi = try decoded.events[0].object(as: PaymentIntent.self)
        #expect(pi.metadata == ["order_id": "o1"])
        #expect(pi.amount == 400)
        #expect(decoded.events[0].livemode == false)
        #expect(throws: StripeError.self) { try EventPage.decode(Array("<html>502</html>".utf8)) }
    }

    /// Every field but the required ones replaced by each odd value, plus unknown fields: decoding must
    /// never fail. The JSON is assembled from fragments serialized once (this runs ~2000 decodes).
    static let oddValues = [#""""#, "0", "null", "true", "1.5", "[]", "{}", #""requires_teleportation""#, #"{"id":7}"#]

    @Test("odd values in any field never make decoding fail",
          arguments: ["payment_intent", "checkout.session", "invoice", "customer", "invoiceitem", "event"])
    func oddValuesEverywhere(_ resource: String) throws {
        let original = try Fixture.resource(resource)
        let required: Set<String> = resource == "event" ? ["id", "type", "data"] : ["id"]
        var fragments: [(key: String, json: String)] = []
        for key in original.keys.sorted() {
            let pair = String(decoding: try Fixture.json([key: original[key]!]), as: UTF8.self)
            fragments.append((key, String(pair.dropFirst().dropLast())))  // `"key":value`
        }
        func decodes(_ json: String) throws {
            let bytes = Array(json.utf8)
            switch resource {
            case "payment_intent": _ = try StripeJSON.decode(PaymentIntent.self, from: bytes)
            case "checkout.session": _ = try StripeJSON.decode(CheckoutSession.self, from: bytes)
            case "invoice": _ = try StripeJSON.decode(Invoice.self, from: bytes)
            case "customer": _ = try StripeJSON.decode(Customer.self, from: bytes)
            case "invoiceitem": _ = try StripeJSON.decode(InvoiceItem.self, from: bytes)
            default: _ = try Event.decode(bytes)
            }
        }
        func object(replacing key: String?, with value: String) -> String {
            "{" + fragments.map { $0.key == key ? "\"\($0.key)\":\(value)" : $0.json }.joined(separator: ",") + "}"
        }
        var failures: [String] = []
        try decodes(object(replacing: nil, with: ""))
        // The check is real: the one required field of an odd type does fail.
        #expect(throws: (any Error).self) { try decodes(object(replacing: "id", with: "0")) }
        for (key, _) in fragments where !required.contains(key) {
            for value in Self.oddValues {
                do { try decodes(object(replacing: key, with: value)) } catch { failures.append("\(key)=\(value): \(error)") }
            }
        }
        let extended = "{" + (fragments.map(\.json) + [#""zz_field_from_the_future":{"nested":[1,"two",null]}"#]).joined(separator: ",") + "}"
        do { try decodes(extended) } catch { failures.append("unknown field: \(error)") }
        #expect(failures.isEmpty, "\(failures.prefix(5))")
        #expect(fragments.count > 5)
    }

    @Test("Foundation's JSONDecoder reads the models exactly as Wire's decoder does")
    func anyDecoderAgrees() throws {
        var object = try Fixture.resource("payment_intent")
        object["metadata"] = ["order_id": "o9", "count": 3]
        object["amount_received"] = 1099.0
        object["last_payment_error"] = ["code": "card_declined", "decline_code": "insufficient_funds", "message": "no"]
        object["customer"] = ["id": "cus_1", "object": "customer", "metadata": [:]]
        let bytes = try Fixture.json(object)
        let ours = try StripeJSON.decode(PaymentIntent.self, from: bytes)
        let foundations = try JSONDecoder().decode(PaymentIntent.self, from: Data(bytes))
        #expect(ours == foundations)
        #expect(ours.metadata == ["order_id": "o9"])
        #expect(ours.amountReceived == 1099)
        #expect(ours.lastPaymentError?.declineCode == "insufficient_funds")
        #expect(ours.customer == "cus_1")
    }

    @Test("odd values read as absent; unknown enum values are kept")
    func oddValuesReadAsAbsent() throws {
        var object = try Fixture.resource("payment_intent")
        object["status"] = "requires_teleportation"
        object["amount"] = "1099"
        object["currency"] = NSNull()
        object["metadata"] = ["order_id": "o9", "count": 3, "gone": NSNull()]
        object["client_secret"] = ""
        object["latest_charge"] = 0
        let pi = try Self.decode(PaymentIntent.self, object)
        #expect(pi.status == "requires_teleportation")
        #expect(pi.amount == 0)
        #expect(pi.currency == "")
        #expect(pi.metadata == ["order_id": "o9"])
        #expect(pi.clientSecret == nil)
        #expect(pi.latestCharge == nil)

        var session = try Fixture.resource("checkout.session")
        session["payment_intent"] = ""
        session["amount_total"] = NSNull()
        session["ui_mode"] = "embedded_page"
        let decoded = try Self.decode(CheckoutSession.self, session)
        #expect(decoded.paymentIntent == nil)
        #expect(decoded.paymentIntentID == nil)
        #expect(decoded.amountTotal == nil)
        #expect(decoded.uiMode == "embedded_page")

        // Only the id is required.
        session.removeValue(forKey: "id")
        #expect(throws: StripeError.self) { try Self.decode(CheckoutSession.self, session) }
    }
}
