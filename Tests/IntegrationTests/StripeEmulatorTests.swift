import Foundation
import HTTPTesting
import Testing

/// The Stripe stand-in (`stripe-emulator`, issue 5) driven as a client would: the official Python
/// client, each test card, the asynchronous method, idempotency, error shapes and webhook delivery.
@Suite("Stripe emulator: clients, cards, errors and webhooks")
struct StripeEmulatorTests {
    @Test("the official stripe Python client creates, confirms and retrieves; construct_event accepts the deliveries")
    func pythonClient() throws {
        let dir = try TemporaryDirectory()
        let secret = "whsec_python_client_test"
        let receiver = try WebhookReceiver(in: dir, secret: secret)
        let emulator = try StripeEmulatorProcess(in: dir, environment: [
            "EMULATOR_WEBHOOK_URL": receiver.url, "EMULATOR_WEBHOOK_SECRET": secret,
        ])
        let run = try VenvPython.run("emulator_client.py", [emulator.baseURL])
        #expect(run.status == 0, "\(run.stderr)")
        let out = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any], "\(run.stdout)\(run.stderr)")
        #expect(out["stripe_version"] as? String == "16.1.0")
        let created = try #require(out["created"] as? [String: Any])
        let piID = try #require(created["id"] as? String)
        #expect(piID.hasPrefix("pi_"))
        #expect(created["status"] as? String == "requires_payment_method")
        #expect((created["client_secret"] as? String)?.hasPrefix(piID + "_secret_") == true)
        #expect((created["metadata"] as? [String: String]) == ["order_id": "o-py"])
        #expect(out["replayed_same_id"] as? Bool == true)
        let confirmed = try #require(out["confirmed"] as? [String: Any])
        #expect(confirmed["status"] as? String == "succeeded")
        #expect(confirmed["charge_status"] as? String == "succeeded")
        #expect(confirmed["amount_received"] as? Int == 400)
        #expect((out["retrieved"] as? [String: Any])?["status"] as? String == "succeeded")
        let decline = try #require(out["decline"] as? [String: Any])
        #expect(decline["raised"] as? Bool == true)
        #expect(decline["code"] as? String == "card_declined")
        #expect(decline["decline_code"] as? String == "generic_decline")
        #expect(decline["http_status"] as? Int == 402)
        #expect(decline["pi_status"] as? String == "requires_payment_method")
        let session = try #require(out["session"] as? [String: Any])
        let sessionID = try #require(session["id"] as? String)
        #expect(sessionID.hasPrefix("cs_test_"))
        #expect(session["status"] as? String == "open")
        #expect(session["payment_status"] as? String == "unpaid")
        #expect(session["amount_total"] as? Int == 800)
        #expect(session["ui_mode"] as? String == "embedded_page")
        #expect(session["has_client_secret"] as? Bool == true)
        let retrieved = try #require(out["session_retrieved"] as? [String: Any])
        #expect(retrieved["id"] as? String == sessionID)
        #expect(retrieved["return_url"] as? String == "http://127.0.0.1:8081/return?session_id={CHECKOUT_SESSION_ID}")

        // Every delivery passes construct_event with the configured secret.
        let expected: Set = ["payment_intent.created", "payment_intent.succeeded", "payment_intent.payment_failed"]
        let delivered = eventually {
            expected.isSubset(of: Set(receiver.records.compactMap { $0["type"] as? String }))
        }
        #expect(delivered, "received: \(receiver.records.map { $0["type"] ?? $0["error"] ?? "?" })")
        let records = receiver.records
        #expect(!records.isEmpty)
        for record in records {
            #expect(record["verified"] as? Bool == true, "\(record["error"] ?? "")")
        }

        // The same check fails on a tampered body or with another secret: the verification can fail.
        let record = try #require(records.first { $0["type"] as? String == "payment_intent.succeeded" })
        var body = try #require(Data(base64Encoded: record["body_b64"] as? String ?? ""))
        let header = try #require(record["signature"] as? String)
        #expect(header.hasPrefix("t=") && header.contains(",v1="))
        let bodyPath = dir.file("body.json")
        try body.write(to: URL(fileURLWithPath: bodyPath))
        let ok = try VenvPython.run("emulator_verify.py", [bodyPath, header, secret])
        #expect(ok.stdout.hasPrefix("ok evt_"), "\(ok.stdout)\(ok.stderr)")
        #expect(ok.stdout.contains("payment_intent.succeeded"))
        let wrongSecret = try VenvPython.run("emulator_verify.py", [bodyPath, header, "whsec_other"])
        #expect(wrongSecret.stdout.hasPrefix("rejected SignatureVerificationError"))
        body[body.count / 2] ^= 0x01
        try body.write(to: URL(fileURLWithPath: bodyPath))
        let tampered = try VenvPython.run("emulator_verify.py", [bodyPath, header, secret])
        #expect(tampered.stdout.hasPrefix("rejected"), "\(tampered.stdout)")
    }

    @Test("the Python client sees Stripe's error classes: 401, 404, 400 parameter_missing, idempotency")
    func pythonClientErrors() throws {
        let dir = try TemporaryDirectory()
        let emulator = try StripeEmulatorProcess(in: dir)
        let run = try VenvPython.run("emulator_client.py", [emulator.baseURL, "errors"])
        #expect(run.status == 0, "\(run.stderr)")
        let out = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any], "\(run.stdout)\(run.stderr)")
        #expect((out["auth"] as? [String: Any])?["http_status"] as? Int == 401)
        #expect((out["missing"] as? [String: Any])?["code"] as? String == "resource_missing")
        #expect((out["missing"] as? [String: Any])?["http_status"] as? Int == 404)
        #expect((out["param_missing"] as? [String: Any])?["param"] as? String == "amount")
        #expect((out["idempotency"] as? [String: Any])?["class"] as? String == "IdempotencyError")
    }

    /// A test card, what confirming with it gives, and the events it sends.
    struct CardCase: Sendable, CustomTestStringConvertible {
        var number: String
        var outcome: String
        var status: String
        var code: String?
        var declineCode: String?
        var events: [String]
        var testDescription: String { "\(number) → \(outcome)" }
    }

    static let cards: [CardCase] = [
        CardCase(number: "4242424242424242", outcome: "succeeded", status: "succeeded", events: ["charge.succeeded", "payment_intent.succeeded"]),
        CardCase(number: "5555555555554444", outcome: "succeeded", status: "succeeded", events: ["charge.succeeded", "payment_intent.succeeded"]),
        CardCase(number: "4000000000000002", outcome: "declined", status: "requires_payment_method", code: "card_declined",
                 declineCode: "generic_decline", events: ["charge.failed", "payment_intent.payment_failed"]),
        CardCase(number: "4000000000009995", outcome: "declined", status: "requires_payment_method", code: "card_declined",
                 declineCode: "insufficient_funds", events: ["charge.failed", "payment_intent.payment_failed"]),
        CardCase(number: "4000000000000069", outcome: "declined", status: "requires_payment_method", code: "expired_card",
                 declineCode: "expired_card", events: ["charge.failed", "payment_intent.payment_failed"]),
        CardCase(number: "4000000000000127", outcome: "declined", status: "requires_payment_method", code: "incorrect_cvc",
                 declineCode: "incorrect_cvc", events: ["charge.failed", "payment_intent.payment_failed"]),
        CardCase(number: "4000002500003155", outcome: "requires_action", status: "requires_action",
                 events: ["payment_intent.requires_action"]),
        CardCase(number: "4000002760003184", outcome: "requires_action", status: "requires_action",
                 events: ["payment_intent.requires_action"]),
    ]

    @Test("each test card gives its documented outcome and events", arguments: cards)
    func testCard(_ card: CardCase) throws {
        let dir = try TemporaryDirectory()
        let emulator = try StripeEmulatorProcess(in: dir)
        let created = try emulator.stripe("POST", "/v1/payment_intents", [("amount", "1234"), ("currency", "eur"),
                                                                           ("metadata[order_id]", "o1")])
        #expect(created.status == 200)
        let id = try #require(created.json["id"] as? String)
        let answer = try emulator.helper("POST", "/_emulator/payment_intents/\(id)/confirm",
                                         json: ["card": card.number, "return_url": "http://127.0.0.1/back"])
        #expect(answer.status == 200, "\(String(decoding: answer.body, as: UTF8.self))")
        #expect(answer.json["outcome"] as? String == card.outcome)
        #expect(StripeEmulatorProcess.eventTypes(answer.json) == card.events)
        let pi = try emulator.stripe("GET", "/v1/payment_intents/\(id)", [("expand[]", "latest_charge")]).json
        #expect(pi["status"] as? String == card.status)
        let error = pi["last_payment_error"] as? [String: Any]
        if let code = card.code {
            #expect(error?["type"] as? String == "card_error")
            #expect(error?["code"] as? String == code)
            #expect(error?["decline_code"] as? String == card.declineCode)
            #expect((error?["message"] as? String)?.isEmpty == false)
            #expect((pi["latest_charge"] as? [String: Any])?["status"] as? String == "failed")
            #expect(pi["payment_method"] is NSNull)
        } else {
            #expect(pi["last_payment_error"] is NSNull)
        }
        if card.outcome == "succeeded" {
            #expect((pi["latest_charge"] as? [String: Any])?["status"] as? String == "succeeded")
            #expect(pi["amount_received"] as? Int == 1234)
            #expect((answer.json["redirect_url"] as? String)?.contains("redirect_status=succeeded") == true)
        }
        guard card.outcome == "requires_action" else { return }

        // 3-D Secure: next_action, then authentication passes (succeeded) or fails (requires_payment_method).
        let next = try #require(pi["next_action"] as? [String: Any])
        #expect(next["type"] as? String == "redirect_to_url")
        let passed = try emulator.helper("POST", "/_emulator/payment_intents/\(id)/authenticate", json: ["success": true])
        #expect(passed.json["outcome"] as? String == "succeeded")
        #expect(StripeEmulatorProcess.eventTypes(passed.json) == ["charge.succeeded", "payment_intent.succeeded"])
        #expect(((passed.json["payment_intent"] as? [String: Any])?["status"] as? String) == "succeeded")

        let second = try #require(try emulator.stripe("POST", "/v1/payment_intents", [("amount", "99"), ("currency", "eur")]).json["id"] as? String)
        _ = try emulator.helper("POST", "/_emulator/payment_intents/\(second)/confirm", json: ["card": card.number])
        let failed = try emulator.helper("POST", "/_emulator/payment_intents/\(second)/authenticate", json: ["success": false])
        #expect(failed.json["outcome"] as? String == "declined")
        #expect(StripeEmulatorProcess.eventTypes(failed.json) == ["payment_intent.payment_failed"])
        let after = try emulator.stripe("GET", "/v1/payment_intents/\(second)").json
        #expect(after["status"] as? String == "requires_payment_method")
        #expect((after["last_payment_error"] as? [String: Any])?["code"] as? String == "payment_intent_authentication_failure")
        // Authenticating again is refused: it is no longer waiting for authentication.
        let again = try emulator.helper("POST", "/_emulator/payment_intents/\(second)/authenticate", json: ["success": true])
        #expect(again.status == 400)
        #expect(again.errorValue("code") == "payment_intent_unexpected_state")
    }

    @Test("the API's confirm answers a decline with 402 card_error carrying the PaymentIntent; cancel works before payment")
    func apiConfirmAndCancel() throws {
        let dir = try TemporaryDirectory()
        let emulator = try StripeEmulatorProcess(in: dir)
        let id = try #require(try emulator.stripe("POST", "/v1/payment_intents", [("amount", "500"), ("currency", "usd"),
                                                                                   ("payment_method_types[]", "card")]).json["id"] as? String)
        let declined = try emulator.stripe("POST", "/v1/payment_intents/\(id)/confirm",
                                           [("payment_method", "pm_card_visa_chargeDeclinedInsufficientFunds")])
        #expect(declined.status == 402)
        #expect(declined.errorValue("type") == "card_error")
        #expect(declined.errorValue("code") == "card_declined")
        #expect(declined.errorValue("decline_code") == "insufficient_funds")
        let embedded = (declined.json["error"] as? [String: Any])?["payment_intent"] as? [String: Any]
        #expect(embedded?["id"] as? String == id)
        #expect(embedded?["status"] as? String == "requires_payment_method")
        // The asynchronous method is not accepted by a card-only PaymentIntent.
        let wrongType = try emulator.stripe("POST", "/v1/payment_intents/\(id)/confirm", [("payment_method", "pm_usBankAccount")])
        #expect(wrongType.status == 400)
        #expect(wrongType.errorValue("param") == "payment_method")
        let ok = try emulator.stripe("POST", "/v1/payment_intents/\(id)/confirm", [("payment_method", "pm_card_mastercard")])
        #expect(ok.status == 200)
        #expect(ok.json["status"] as? String == "succeeded")
        let cancelSucceeded = try emulator.stripe("POST", "/v1/payment_intents/\(id)/cancel")
        #expect(cancelSucceeded.status == 400)
        #expect(cancelSucceeded.errorValue("code") == "payment_intent_unexpected_state")

        let other = try #require(try emulator.stripe("POST", "/v1/payment_intents", [("amount", "500"), ("currency", "usd")]).json["id"] as? String)
        let canceled = try emulator.stripe("POST", "/v1/payment_intents/\(other)/cancel", [("cancellation_reason", "abandoned")])
        #expect(canceled.status == 200)
        #expect(canceled.json["status"] as? String == "canceled")
        #expect(canceled.json["cancellation_reason"] as? String == "abandoned")
        let events = try emulator.stripe("GET", "/v1/events", [("type", "payment_intent.canceled")]).json
        let data = (events["data"] as? [[String: Any]]) ?? []
        #expect(data.count == 1)
        #expect(((data.first?["data"] as? [String: Any])?["object"] as? [String: Any])?["id"] as? String == other)
    }

    @Test("the asynchronous method (us_bank_account) goes processing, then succeeded by itself or failed by the helper")
    func asyncMethod() throws {
        let dir = try TemporaryDirectory()
        let emulator = try StripeEmulatorProcess(in: dir, environment: ["EMULATOR_ASYNC_SETTLE_MS": "300"])
        let id = try #require(try emulator.stripe("POST", "/v1/payment_intents", [("amount", "2000"), ("currency", "usd"),
                                                                                   ("automatic_payment_methods[enabled]", "true")]).json["id"] as? String)
        let confirmed = try emulator.stripe("POST", "/v1/payment_intents/\(id)/confirm", [("payment_method", "pm_usBankAccount")])
        #expect(confirmed.status == 200)
        #expect(confirmed.json["status"] as? String == "processing")
        let settled = try eventually {
            try emulator.stripe("GET", "/v1/payment_intents/\(id)").json["status"] as? String == "succeeded"
        }
        #expect(settled)
        let types = ((try emulator.stripe("GET", "/v1/events", [("limit", "100")]).json["data"] as? [[String: Any]]) ?? [])
            .compactMap { $0["type"] as? String }
        #expect(types == ["payment_intent.succeeded", "charge.succeeded", "payment_intent.processing", "payment_intent.created"])

        // Failure through the helper, on a Checkout Session: completed unpaid, then async_payment_failed.
        let session = try Self.createSession(emulator, [("payment_method_types[]", "us_bank_account")])
        let complete = try emulator.helper("POST", "/_emulator/checkout/sessions/\(session)/complete",
                                           json: ["payment_method": "pm_usBankAccount"])
        #expect(complete.json["outcome"] as? String == "processing")
        #expect(StripeEmulatorProcess.eventTypes(complete.json) == ["payment_intent.created", "payment_intent.processing",
                                                                    "checkout.session.completed"])
        let cs = complete.json["checkout_session"] as? [String: Any]
        #expect(cs?["status"] as? String == "complete")
        #expect(cs?["payment_status"] as? String == "unpaid")
        let piID = try #require((complete.json["payment_intent"] as? [String: Any])?["id"] as? String)
        let failed = try emulator.helper("POST", "/_emulator/payment_intents/\(piID)/settle", json: ["success": false])
        #expect(failed.json["outcome"] as? String == "failed")
        #expect(StripeEmulatorProcess.eventTypes(failed.json) == ["charge.failed", "payment_intent.payment_failed",
                                                                  "checkout.session.async_payment_failed"])
    }

    static func createSession(_ emulator: StripeEmulatorProcess, _ extra: [(String, String)] = []) throws -> String {
        let r = try emulator.stripe("POST", "/v1/checkout/sessions", [
            ("mode", "payment"), ("ui_mode", "embedded"),
            ("return_url", "http://127.0.0.1:8081/return?session_id={CHECKOUT_SESSION_ID}"),
            ("line_items[0][price_data][currency]", "usd"), ("line_items[0][price_data][unit_amount]", "400"),
            ("line_items[0][price_data][product_data][name]", "T-shirt"), ("line_items[0][quantity]", "1"),
            ("metadata[order_id]", "o-cs"), ("payment_intent_data[metadata][order_id]", "o-cs"),
        ] + extra)
        guard r.status == 200, let id = r.json["id"] as? String else {
            throw ServiceFailure("session create failed: \(String(decoding: r.body, as: UTF8.self))")
        }
        return id
    }

    @Test("errors have Stripe's shape and statuses; Idempotency-Key replays the same answer and refuses other params")
    func errorsAndIdempotency() throws {
        let dir = try TemporaryDirectory()
        let emulator = try StripeEmulatorProcess(in: dir)
        let none = try emulator.stripe("GET", "/v1/payment_intents/pi_x", key: nil)
        #expect(none.status == 401)
        #expect(none.errorValue("type") == "invalid_request_error")
        let live = try emulator.stripe("GET", "/v1/payment_intents/pi_x", key: "sk_live_abcdefghijkl")
        #expect(live.status == 401)
        #expect(live.errorValue("message")?.contains("abcdefghijkl") == false)
        let missing = try emulator.stripe("GET", "/v1/payment_intents/pi_nope")
        #expect(missing.status == 404)
        #expect(missing.errorValue("code") == "resource_missing")
        #expect(missing.errorValue("param") == "id")
        let noAmount = try emulator.stripe("POST", "/v1/payment_intents", [("currency", "usd")])
        #expect(noAmount.status == 400)
        #expect(noAmount.errorValue("code") == "parameter_missing")
        #expect(noAmount.errorValue("param") == "amount")
        let badAmount = try emulator.stripe("POST", "/v1/payment_intents", [("amount", "ten"), ("currency", "usd")])
        #expect(badAmount.status == 400)
        #expect(badAmount.errorValue("code") == "parameter_invalid_integer")
        #expect(badAmount.errorValue("param") == "amount")
        let unknown = try emulator.stripe("POST", "/v1/payment_intents", [("amount", "1"), ("currency", "usd"), ("colour", "red")])
        #expect(unknown.errorValue("code") == "parameter_unknown")
        #expect(unknown.errorValue("param") == "colour")
        let nested = try emulator.stripe("POST", "/v1/checkout/sessions", [("mode", "payment"), ("ui_mode", "embedded"),
                                                                           ("return_url", "http://x/r"),
                                                                           ("line_items[0][price_data][currency]", "usd"),
                                                                           ("line_items[0][quantity]", "1")])
        #expect(nested.status == 400)
        #expect(nested.errorValue("param") == "line_items[0][price_data][unit_amount]")
        let url = try emulator.stripe("GET", "/v1/setup_intents")
        #expect(url.status == 404)
        #expect(url.errorValue("message")?.contains("Unrecognized request URL") == true)

        let params = [("amount", "700"), ("currency", "usd"), ("metadata[order_id]", "o7")]
        let first = try emulator.stripe("POST", "/v1/payment_intents", params, headers: [("Idempotency-Key", "order-o7-create")])
        let second = try emulator.stripe("POST", "/v1/payment_intents", params, headers: [("Idempotency-Key", "order-o7-create")])
        #expect(first.status == 200)
        #expect(second.status == 200)
        #expect(first.body == second.body)
        #expect(first.header("Idempotent-Replayed") == nil)
        #expect(second.header("Idempotent-Replayed") == "true")
        let list = try emulator.stripe("GET", "/v1/payment_intents").json["data"] as? [Any]
        #expect(list?.count == 1)
        let other = try emulator.stripe("POST", "/v1/payment_intents", [("amount", "701"), ("currency", "usd")],
                                        headers: [("Idempotency-Key", "order-o7-create")])
        #expect(other.status == 400)
        #expect(other.errorValue("type") == "idempotency_error")

        // A declined confirmation is saved too: the replay is the same 402.
        let id = try #require(first.json["id"] as? String)
        let d1 = try emulator.stripe("POST", "/v1/payment_intents/\(id)/confirm", [("payment_method", "pm_card_visa_chargeDeclined")],
                                     headers: [("Idempotency-Key", "confirm-1")])
        let d2 = try emulator.stripe("POST", "/v1/payment_intents/\(id)/confirm", [("payment_method", "pm_card_visa_chargeDeclined")],
                                     headers: [("Idempotency-Key", "confirm-1")])
        #expect(d1.status == 402)
        #expect(d2.status == 402)
        #expect(d1.body == d2.body)
        #expect(d2.header("Idempotent-Replayed") == "true")
        let failures = (try emulator.stripe("GET", "/v1/events", [("type", "payment_intent.payment_failed")]).json["data"] as? [Any])
        #expect(failures?.count == 1)
    }

    @Test("a failing endpoint is retried with backoff until it answers 2xx; the delivery record shows every attempt")
    func webhookRetries() throws {
        let dir = try TemporaryDirectory()
        let secret = "whsec_retry_test_secret"
        let receiver = try WebhookReceiver(in: dir, secret: secret, failFirst: 2)
        let emulator = try StripeEmulatorProcess(in: dir, environment: [
            "EMULATOR_WEBHOOK_URL": receiver.url, "EMULATOR_WEBHOOK_SECRET": secret,
            "EMULATOR_WEBHOOK_RETRY_BASE_MS": "50", "EMULATOR_WEBHOOK_MAX_ATTEMPTS": "3",
        ])
        // A second endpoint nobody listens on: every attempt fails to connect; it gives up after 3.
        let closed = try emulator.helper("POST", "/_emulator/webhooks", json: ["url": "http://127.0.0.1:9/hook",
                                                                               "events": ["payment_intent.created"]])
        #expect(closed.status == 200)
        #expect((closed.json["secret"] as? String)?.hasPrefix("whsec_") == true)
        let deadEndpoint = try #require(closed.json["id"] as? String)

        _ = try emulator.stripe("POST", "/v1/payment_intents", [("amount", "100"), ("currency", "usd")])
        let event = try #require(((try emulator.stripe("GET", "/v1/events").json["data"] as? [[String: Any]])?.first)?["id"] as? String)
        let settled = try eventually {
            let ds = try emulator.deliveries(event: event)
            return ds.count == 2 && ds.allSatisfy { $0["status"] as? String != "pending" }
        }
        #expect(settled, "\((try? emulator.deliveries(event: event)) ?? [])")
        let deliveries = try emulator.deliveries(event: event)
        let good = try #require(deliveries.first { $0["endpoint"] as? String != deadEndpoint })
        #expect(good["status"] as? String == "succeeded")
        let attempts = (good["attempts"] as? [[String: Any]]) ?? []
        #expect(attempts.map { $0["status_code"] as? Int } == [500, 500, 200])
        // Exponential backoff: the second wait is about twice the first (base 50 ms).
        let times = attempts.compactMap { $0["at"] as? Int }
        if times.count == 3 {
            #expect(times[1] - times[0] >= 45)
            #expect(times[2] - times[1] >= 95)
        }
        let dead = try #require(deliveries.first { $0["endpoint"] as? String == deadEndpoint })
        #expect(dead["status"] as? String == "failed")
        #expect(dead["attempt_count"] as? Int == 3)
        #expect(((dead["attempts"] as? [[String: Any]])?.first?["error"] as? String)?.isEmpty == false)

        let received = receiver.records.filter { $0["event_id"] as? String == event }
        #expect(received.count == 3)
        #expect(received.allSatisfy { $0["verified"] as? Bool == true })

        // The Events API shows the outcome: pending_webhooks, our own record, and delivery_success filters.
        let shown = try emulator.stripe("GET", "/v1/events/\(event)").json
        #expect(shown["pending_webhooks"] as? Int == 1)
        #expect((shown["emulator_deliveries"] as? [Any])?.count == 2)
        let failedList = (try emulator.stripe("GET", "/v1/events", [("delivery_success", "false")]).json["data"] as? [[String: Any]]) ?? []
        #expect(failedList.map { $0["id"] as? String } == [event])
        let okList = (try emulator.stripe("GET", "/v1/events", [("delivery_success", "true")]).json["data"] as? [[String: Any]]) ?? []
        #expect(!okList.contains { $0["id"] as? String == event })
    }
}
