import Crypto
import Foundation
import HTTPTesting
import Testing

/// What faces Stripe: the webhook endpoint and the two return URLs, with the real payments verifying
/// against the Stripe stand-in's objects and signed events.
@Suite("Gateway webhook and returns", .serialized)
struct GatewayStripeTests {
    /// A paid order's real `payment_intent.succeeded` event (webhooks not registered, so nothing delivered yet).
    static func paidEvent(_ stack: FullStack) throws -> (orderID: String, event: [UInt8]) {
        let created = try stack.create(sku: "sticker")
        let orderID = try #require(created["order_id"] as? String)
        let intent = try #require(created["payment_intent_id"] as? String)
        try stack.act("/_emulator/payment_intents/\(intent)/confirm", ["card": "4242424242424242"])
        return (orderID, try stack.stripeEvent(type: "payment_intent.succeeded", objectID: intent))
    }

    static func post(_ stack: FullStack, _ body: [UInt8], signature: String?, requestID: String? = nil) throws -> HTTPTestResponse {
        var headers = [("Content-Type", "application/json; charset=utf-8")]
        if let signature { headers.append(("Stripe-Signature", signature)) }
        if let requestID { headers.append(("X-Request-Id", requestID)) }
        return try stack.http.send("POST", "/webhooks/stripe", headers: headers, body: body)
    }

    static func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02X", $0) }.joined() }

    @Test("webhooks: the raw bytes reach payments untouched and are recorded (200); a duplicate is 200; each bad signature and a non-event body are 400 with the reason; metrics count each outcome")
    func outcomes() throws {
        let stack = try FullStack(webhooks: false)
        let (orderID, compact) = try Self.paidEvent(stack)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(compact)) as? [String: Any])
        let eventID = try #require(object["id"] as? String)
        // The same event laid out otherwise: only the exact bytes carry the signature.
        let pretty = Array(try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])) + Array("\n".utf8)
        #expect(pretty != compact)

        let first = try Self.post(stack, pretty, signature: FullStack.signature(pretty), requestID: "hook-trace-1")
        #expect(first.status == 200, "\(first)\n\(stack.logs)")
        #expect(first.json["received"] as? Bool == true)
        #expect(first.header("X-Request-Id") == "hook-trace-1")
        #expect(try stack.rows("payments", "SELECT hex(body) FROM stripe_events WHERE event_id = '\(eventID)'") == [Self.hex(pretty)],
                "the body must be forwarded byte for byte")
        #expect(try stack.rows("payments", "SELECT source, order_id FROM stripe_events WHERE event_id = '\(eventID)'") == ["webhook|\(orderID)"])
        // The request id is the trace id of what it caused: payments' event for fulfillment carries it.
        #expect(try stack.rows("payments", "SELECT trace_id FROM outbox_events WHERE type = 'payment_intent.succeeded'") == ["hook-trace-1"])
        try stack.waitForStatus(orderID, "fulfilled")

        // Stripe delivering again (other bytes, same event): acknowledged, nothing done twice.
        let duplicate = try stack.deliver(compact)
        #expect(duplicate.status == 200 && duplicate.json["received"] as? Bool == true, "\(duplicate)")
        #expect(try stack.count("payments", "SELECT count(*) FROM stripe_events WHERE event_id = '\(eventID)'") == 1)
        #expect(try stack.fulfilments(orderID) == 1)

        // Bad signatures: the gateway refuses a missing header itself, payments names every other reason.
        let now = Int64(Date().timeIntervalSince1970)
        let valid = FullStack.signature(compact)
        let signatures: [(String?, String)] = [
            (nil, "missing_header"),
            ("v1=" + String(repeating: "ab", count: 32), "unparseable_header"),
            ("t=\(now)", "no_v1_signature"),
            ("t=\(now),v0=" + String(repeating: "ab", count: 32), "no_v1_signature"),
            (WebhookSignature.header(body: compact, timestamp: now, secrets: ["whsec_someone_else"]), "no_matching_signature"),
            (WebhookSignature.header(body: compact, timestamp: now - 3600, secrets: [FullStack.webhookSecret]), "timestamp_outside_tolerance"),
            (FullStack.signature(pretty), "no_matching_signature"),
        ]
        for (header, reason) in signatures {
            let r = try Self.post(stack, compact, signature: header, requestID: "bad-sig-\(reason)")
            #expect(r.status == 400 && r.errorCode == "invalid_signature", "\(header ?? "none") -> \(r)")
            #expect(r.errorValue("reason") == reason, "\(header ?? "none") -> \(r)")
        }
        // A refused signature is logged by payments under the request's trace id.
        try waitUntil("payments' log line for the refused signature") {
            stack.payments.log.split(separator: "\n").contains { $0.contains("webhook signature refused") && $0.contains("bad-sig-no_matching_signature") }
        }
        // The valid signature still works for the bytes it signs (a duplicate by now).
        #expect(try Self.post(stack, compact, signature: valid).status == 200)

        // Signed, but not an event.
        for body in [Array(#"{"hello":"world"}"#.utf8),
                     Array(#"{"id":"xyz_1","object":"event","type":"payment_intent.succeeded","created":1,"data":{"object":{}}}"#.utf8)] {
            let r = try stack.deliver(body)
            #expect(r.status == 400 && r.errorCode == "invalid_payload", "\(String(decoding: body, as: UTF8.self)) -> \(r)")
        }
        // Too large to forward.
        let big = try Self.post(stack, [UInt8](repeating: UInt8(ascii: "x"), count: 900_000), signature: valid)
        #expect(big.status == 413, "\(big)")
        #expect(try stack.count("payments", "SELECT count(*) FROM stripe_events") == 1)

        #expect(try stack.metric(#"gateway_webhook_deliveries_total{outcome="accepted"}"#) == 1)
        #expect(try stack.metric(#"gateway_webhook_deliveries_total{outcome="duplicate"}"#) == 2)
        #expect(try stack.metric(#"gateway_webhook_deliveries_total{outcome="invalid_signature"}"#) == 7)
        #expect(try stack.metric(#"gateway_webhook_deliveries_total{outcome="invalid_payload"}"#) == 2)
        #expect(try stack.metric(#"gateway_webhook_deliveries_total{outcome="too_large"}"#) == 1)
        #expect(try stack.metric(#"gateway_webhook_deliveries_total{outcome="unavailable"}"#) == 0)
        #expect(try stack.metric(#"gateway_http_requests_total{method="POST",route="/webhooks/stripe",status="400"}"#) == 9)
    }

    @Test("webhooks not recorded are 503 so Stripe retries: payments down, without STRIPE_WEBHOOK_SECRET, or stalled past the deadline; the retry is recorded once")
    func notRecorded() throws {
        let stack = try FullStack(webhooks: false, environment: FullStack.quickDeadline)
        let (orderID, event) = try Self.paidEvent(stack)
        var unavailable = 0
        func expectUnavailable(_ r: HTTPTestResponse, _ what: String) {
            #expect(r.status == 503 && r.errorCode == "unavailable", "\(what): \(r)")
            #expect(r.header("Retry-After") == "1", "\(what)")
            if r.status == 503 { unavailable += 1 }
        }

        stack.payments.crash()
        expectUnavailable(try stack.deliver(event), "payments down")
        // The missing header is refused without payments.
        let unsigned = try Self.post(stack, event, signature: nil)
        #expect(unsigned.status == 400 && unsigned.errorValue("reason") == "missing_header", "\(unsigned)")

        let noSecret = try stack.launch("payments", overrides: ["STRIPE_WEBHOOK_SECRET": ""])
        try waitUntil("payments refusing for want of a secret") {
            let r = try stack.deliver(event)
            expectUnavailable(r, "no STRIPE_WEBHOOK_SECRET")
            return noSecret.log.contains("STRIPE_WEBHOOK_SECRET is not set")
        }
        #expect(try stack.count("payments", "SELECT count(*) FROM stripe_events") == 0)
        try stack.restore(stack.payments, from: noSecret)

        // payments stalled (SIGSTOP): the call times out, 503; after SIGCONT Stripe's retry is answered 200.
        stack.payments.signal(SIGSTOP)
        let stalled = try stack.deliver(event)
        stack.payments.signal(SIGCONT)
        expectUnavailable(stalled, "payments stalled")
        let retried = try stack.eventuallyAnswers("the retried delivery", { try stack.deliver(event) }) { $0.status != 503 }
        #expect(retried.status == 200 && retried.json["received"] as? Bool == true, "\(retried)")
        try stack.waitForStatus(orderID, "fulfilled")
        #expect(try stack.count("payments", "SELECT count(*) FROM stripe_events WHERE source = 'webhook'") == 1)
        #expect(try stack.fulfilments(orderID) == 1)

        let counted = try stack.metric(#"gateway_webhook_deliveries_total{outcome="unavailable"}"#)
        #expect(counted == Double(unavailable), "\(unavailable) answered 503")
        #expect(try stack.metric(#"gateway_http_requests_total{method="POST",route="/webhooks/stripe",status="503"}"#) == Double(unavailable))
        #expect((try stack.metric(#"gateway_webhook_deliveries_total{outcome="accepted"}"#) ?? 0)
                + (try stack.metric(#"gateway_webhook_deliveries_total{outcome="duplicate"}"#) ?? 0) >= 1)
    }

    @Test("/payment/return: Stripe's PaymentIntent decides (succeeded, processing → success; declined, 3-D Secure, canceled → error page with reason); bad or forged parameters are invalid_return; payments or Stripe unreachable is verification_unavailable")
    func paymentReturn() throws {
        let stack = try FullStack(webhooks: false, environment: FullStack.quickDeadline,
                                  emulatorEnvironment: ["EMULATOR_ASYNC_SETTLE_MS": "0"])
        func intent(_ card: String?, method: String? = nil) throws -> (order: String, intent: String, secret: String) {
            let created = try stack.create(sku: "sticker")
            let order = try #require(created["order_id"] as? String)
            let id = try #require(created["payment_intent_id"] as? String)
            let secret = try #require(created["client_secret"] as? String)
            if let card { try stack.act("/_emulator/payment_intents/\(id)/confirm", ["card": card]) }
            if let method { try stack.act("/_emulator/payment_intents/\(id)/confirm", ["payment_method": method]) }
            return (order, id, secret)
        }
        let paid = try intent("4242424242424242")
        // redirect_status says failed; Stripe (through payments) says succeeded, and that wins.
        var r = try stack.paymentReturn(paid.intent, secret: paid.secret, redirectStatus: "failed", headers: [("X-Request-Id", "return-trace-1")])
        #expect(r.status == 303, "\(r)\n\(stack.logs)")
        #expect(r.header("Location") == "/order/success?order_id=\(paid.order)")
        #expect(r.header("Referrer-Policy") == "no-referrer")
        #expect(r.header("Cache-Control") == "no-store")
        // payments published the verdict under the request's trace id.
        #expect(try stack.rows("payments", "SELECT trace_id FROM outbox_events") == ["return-trace-1"])

        let processing = try intent(nil, method: "pm_usBankAccount")
        let declined = try intent("4000000000000002")
        let threeDS = try intent("4000002500003155")
        let canceled = try intent(nil)
        let cancel = try stack.emulator.stripe("POST", "/v1/payment_intents/\(canceled.intent)/cancel")
        #expect(cancel.status == 200 && cancel.json["status"] as? String == "canceled", "\(cancel.json)")
        for (payment, location) in [
            (processing, "/order/success?order_id=\(processing.order)"),
            (declined, "/payment/error?order_id=\(declined.order)&reason=payment_failed"),
            (threeDS, "/payment/error?order_id=\(threeDS.order)&reason=authentication_required"),
            (canceled, "/payment/error?order_id=\(canceled.order)&reason=canceled"),
        ] {
            r = try stack.paymentReturn(payment.intent, secret: payment.secret)
            #expect(r.status == 303 && r.header("Location") == location, "\(location) -> \(r.header("Location") ?? "none")")
        }
        #expect(try stack.status(processing.order) == "awaiting_payment", "processing is not paid")

        // A client secret of the right shape that is not this PaymentIntent's, and a PaymentIntent Stripe
        // does not know: payments refuses, the customer sees invalid_return.
        r = try stack.paymentReturn(declined.intent, secret: declined.intent + "_secret_forged")
        #expect(r.status == 303 && r.header("Location") == "/payment/error?reason=invalid_return", "\(r)")
        r = try stack.paymentReturn("pi_doesnotexist", secret: "pi_doesnotexist_secret_x")
        #expect(r.status == 303 && r.header("Location") == "/payment/error?reason=invalid_return", "\(r)")

        // payments down: a well-formed return cannot be verified; malformed ones are refused without asking
        // payments (invalid_return, not verification_unavailable).
        stack.payments.crash()
        r = try stack.paymentReturn(paid.intent, secret: paid.secret)
        #expect(r.status == 303 && r.header("Location") == "/payment/error?reason=verification_unavailable", "\(r)")
        for bad in ["/payment/return", "/payment/return?payment_intent=\(paid.intent)",
                    "/payment/return?payment_intent=\(paid.intent)&payment_intent_client_secret=pi_999_secret_abc",
                    "/payment/return?payment_intent=pi%3C1&payment_intent_client_secret=x"] {
            r = try stack.http.get(bad)
            #expect(r.status == 303 && r.header("Location") == "/payment/error?reason=invalid_return", "\(bad) -> \(r)")
        }

        // Stripe unreachable from payments: cannot be verified either.
        let noStripe = try stack.launch("payments", overrides: ["STRIPE_API_BASE": "http://127.0.0.1:9", "STRIPE_MAX_RETRIES": "0"])
        try stack.waitUntilAnswering("payments")
        r = try stack.paymentReturn(declined.intent, secret: declined.secret)
        #expect(r.status == 303 && r.header("Location") == "/payment/error?reason=verification_unavailable", "\(r)")
        // payments answered (Stripe failed behind it); it was not a lost connection.
        #expect(try stack.metric(#"gateway_upstream_errors_total{service="payments",code="upstream_failed"}"#) == 1)
        stack.stop(noStripe)
    }

    @Test("/stripe_return: complete (paid, or a bank debit processing) to success, open (unpaid, declined) back to the embedded checkout, expired to the error page; bad ids invalid_return; payments down verification_unavailable")
    func checkoutReturn() throws {
        let stack = try FullStack(webhooks: false, environment: FullStack.quickDeadline,
                                  emulatorEnvironment: ["EMULATOR_ASYNC_SETTLE_MS": "0"])
        func session() throws -> (order: String, session: String) {
            let created = try stack.create("/api/checkout/sessions", sku: "mug")
            return (try #require(created["order_id"] as? String), try #require(created["session_id"] as? String))
        }
        let paid = try session(), bank = try session(), open = try session(), declined = try session(), expired = try session()
        try stack.act("/_emulator/checkout/sessions/\(paid.session)/complete", ["card": "4242424242424242"])
        try stack.act("/_emulator/checkout/sessions/\(bank.session)/complete", ["payment_method": "pm_usBankAccount"])
        _ = try stack.emulator.helper("POST", "/_emulator/checkout/sessions/\(declined.session)/complete", json: ["card": "4000000000000002"])
        try stack.act("/_emulator/checkout/sessions/\(expired.session)/expire")

        for (s, location) in [
            (paid, "/order/success?order_id=\(paid.order)"),
            (bank, "/order/success?order_id=\(bank.order)"),
            (open, "/checkout/embedded?order_id=\(open.order)"),
            (declined, "/checkout/embedded?order_id=\(declined.order)"),
            (expired, "/payment/error?order_id=\(expired.order)&reason=expired"),
        ] {
            let r = try stack.http.get("/stripe_return?session_id=\(s.session)")
            #expect(r.status == 303 && r.header("Location") == location, "\(location) -> \(r)\n\(stack.logs)")
            #expect(r.header("Referrer-Policy") == "no-referrer")
        }
        let status = try stack.http.get("/api/checkout/session-status?session_id=\(paid.session)")
        #expect(status.json["status"] as? String == "complete" && status.json["payment_status"] as? String == "paid", "\(status)")
        let bankStatus = try stack.http.get("/api/checkout/session-status?session_id=\(bank.session)")
        #expect(bankStatus.json["status"] as? String == "complete" && bankStatus.json["payment_status"] as? String == "unpaid", "\(bankStatus)")

        for bad in ["/stripe_return", "/stripe_return?session_id=",
                    // The literal placeholder, as when Stripe did not substitute it.
                    "/stripe_return?session_id=%7BCHECKOUT_SESSION_ID%7D",
                    "/stripe_return?session_id=cs_test_nosuchsession", "/stripe_return?session_id=sess_1"] {
            let r = try stack.http.get(bad)
            #expect(r.status == 303 && r.header("Location") == "/payment/error?reason=invalid_return", "\(bad) -> \(r)")
        }

        stack.payments.crash()
        let down = try stack.http.get("/stripe_return?session_id=\(paid.session)")
        #expect(down.status == 303 && down.header("Location") == "/payment/error?reason=verification_unavailable", "\(down)")
        // Malformed: refused without payments.
        let malformed = try stack.http.get("/stripe_return?session_id=%7BCHECKOUT_SESSION_ID%7D")
        #expect(malformed.header("Location") == "/payment/error?reason=invalid_return", "\(malformed)")
    }
}
