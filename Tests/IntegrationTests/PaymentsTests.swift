import Foundation
import HTTPTesting
import Testing
import Wire

/// payments on its own: configuration refusals, and the PaymentIntent flow against localstripe (a
/// third-party Stripe emulator) with signed webhooks through the real gateway.
@Suite("payments")
struct PaymentsTests {
    static let order = #"{"order_id":"ord_ls_1","amount":800,"currency":"usd","email":"a@example.com","lines":[{"name":"T-shirt","quantity":2,"unit_amount":400}]}"#

    @Test("bad Stripe settings are refused at start, naming the variable, never echoing a key", arguments: [
        (["STRIPE_SECRET_KEY": "pk_live_notasecretkey123"], "STRIPE_SECRET_KEY"),
        (["STRIPE_SECRET_KEY": "sk_live_abc", "STRIPE_API_BASE": "http://127.0.0.1:1"], "STRIPE_API_BASE"),
        (["STRIPE_API_BASE": "ftp://example.com"], "STRIPE_API_BASE"),
        (["STRIPE_API_VERSION": "yesterday"], "STRIPE_API_VERSION"),
        (["STRIPE_WEBHOOK_SECRET": "whsec_ok,topsecretvalue"], "STRIPE_WEBHOOK_SECRET"),
        (["STRIPE_PAYMENT_METHOD_TYPES": "card,we chat"], "STRIPE_PAYMENT_METHOD_TYPES"),
        (["STRIPE_PUBLISHABLE_KEY": "sk_test_oops"], "STRIPE_PUBLISHABLE_KEY"),
    ])
    func refusals(settings: [String: String], variable: String) throws {
        let dir = try TemporaryDirectory()
        let env = ServiceProcess.environment(in: dir, extra: settings)
        let r = try runCommand(Binaries.path("payments"), ["serve"], environment: env)
        #expect(r.status == 78)
        #expect(r.stderr.contains(variable))
        #expect(!r.stderr.contains("pk_live_notasecretkey123"))
        #expect(!r.stderr.contains("topsecretvalue"))
        #expect(!r.stderr.contains("sk_test_oops"))
    }

    /// localstripe, payments and the gateway, with localstripe's webhooks pointed at the gateway.
    final class Stack: @unchecked Sendable {
        // Safe: set once in init and only read.
        let dir: TemporaryDirectory
        let localstripe: Localstripe
        let payments: ServiceProcess
        let gateway: ServiceProcess?

        init(webhooks: Bool) throws {
            dir = try TemporaryDirectory()
            localstripe = try Localstripe(in: dir)
            let env = ServiceProcess.environment(in: dir, extra: [
                "STRIPE_SECRET_KEY": "sk_test_localstripe", "STRIPE_API_BASE": localstripe.base,
                "STRIPE_WEBHOOK_SECRET": "whsec_localstripe", "STRIPE_PAYMENT_METHOD_TYPES": "card",
                "GATEWAY_PORT": "0",
            ])
            payments = try ServiceProcess("payments", environment: env, logDirectory: dir)
            if webhooks {
                let gateway = try ServiceProcess("gateway", environment: env, logDirectory: dir)
                let port = try GatewayListenerTests.port(of: gateway)
                try localstripe.post("/_config/webhooks/gateway",
                                     "url=http://127.0.0.1:\(port)/webhooks/stripe&secret=whsec_localstripe")
                self.gateway = gateway
            } else {
                gateway = nil
            }
        }

        var database: String { dir.file("d/payments.sqlite") }

        func call(_ type: String, _ payload: String) throws -> Result<String, WireError> {
            try callService(payments.socketPath, type, payload)
        }

        /// Creates the order's PaymentIntent through payments, then pays it at localstripe with `card`.
        func pay(_ order: String, card: String) throws -> (intent: String, secret: String, confirm: HTTPTestResponse) {
            let created = jsonObject(try call("payments.create_payment_intent", order).get())
            let intent = try #require(created["payment_intent_id"] as? String)
            let secret = try #require(created["client_secret"] as? String)
            let method = try localstripe.post("/v1/payment_methods",
                                              "type=card&card[number]=\(card)&card[exp_month]=12&card[exp_year]=2034&card[cvc]=123")
            let pm = try #require(method.json["id"] as? String)
            try localstripe.post("/v1/payment_intents/\(intent)", "payment_method=\(pm)")
            return (intent, secret, try localstripe.post("/v1/payment_intents/\(intent)/confirm", ""))
        }

        func published(_ type: String, order: String) throws -> Int {
            Int(try sqlite(database, "SELECT count(*) FROM outbox_events WHERE type='\(type)' AND key='\(order)'").first ?? "") ?? -1
        }
    }

    @Test("localstripe: a 4242 payment's signed webhook is verified and published as payment_intent.succeeded, once")
    func succeeded() throws {
        let stack = try Stack(webhooks: true)
        let (intent, secret, confirm) = try stack.pay(Self.order, card: "4242424242424242")
        #expect(confirm.status == 200)
        try waitUntil("payment_intent.succeeded published") { try stack.published("payment_intent.succeeded", order: "ord_ls_1") == 1 }
        let row = try sqlite(stack.database, "SELECT source, outcome, order_id FROM stripe_events WHERE type='payment_intent.succeeded'")
        #expect(row == ["webhook|published|ord_ls_1"])
        let data = try sqlite(stack.database, "SELECT payload FROM outbox_events WHERE type='payment_intent.succeeded'").joined()
        #expect(data.contains(#""amount":800"#) && data.contains(#""currency":"usd""#) && data.contains(intent))

        // The return page's check agrees, and publishes nothing new for fulfilment beyond its own dedupe id.
        let verdict = jsonObject(try stack.call("payments.verify_payment_intent",
                                                #"{"payment_intent":"\#(intent)","client_secret":"\#(secret)"}"#).get())
        #expect(verdict["verdict"] as? String == "succeeded")
        #expect(verdict["order_id"] as? String == "ord_ls_1")
        let wrong = try stack.call("payments.verify_payment_intent", #"{"payment_intent":"\#(intent)","client_secret":"\#(intent)_secret_forged"}"#)
        guard case .failure(let error) = wrong else { Issue.record("a forged client secret was accepted"); return }
        #expect(error.reason == "client_secret_mismatch")
        #expect(!error.message.contains(secret))
    }

    @Test("localstripe: a declining card publishes payment_intent.payment_failed with the decline code")
    func declined() throws {
        let stack = try Stack(webhooks: true)
        let (_, _, confirm) = try stack.pay(Self.order, card: "4000000000000341")
        #expect(confirm.status == 402)
        try waitUntil("payment_intent.payment_failed published") { try stack.published("payment_intent.payment_failed", order: "ord_ls_1") == 1 }
        #expect(try stack.published("payment_intent.succeeded", order: "ord_ls_1") == 0)
    }

    @Test("creating the same order's PaymentIntent twice returns the same one without a second Stripe object")
    func idempotentCreate() throws {
        let stack = try Stack(webhooks: false)
        let first = jsonObject(try stack.call("payments.create_payment_intent", Self.order).get())
        let second = jsonObject(try stack.call("payments.create_payment_intent", Self.order).get())
        #expect(first["payment_intent_id"] as? String != nil)
        #expect(first["payment_intent_id"] as? String == second["payment_intent_id"] as? String)
        let tampered = Self.order.replacingOccurrences(of: #""amount":800"#, with: #""amount":400"#)
            .replacingOccurrences(of: #""quantity":2"#, with: #""quantity":1"#)
        guard case .failure(let error) = try stack.call("payments.create_payment_intent", tampered) else {
            Issue.record("a second amount for the same attempt was accepted"); return
        }
        #expect(error.code == "conflict")
    }

    @Test("catch-up: events no webhook delivered are fed through intake once; a second run finds nothing new")
    func catchUp() throws {
        let stack = try Stack(webhooks: false)
        _ = try stack.pay(Self.order, card: "4242424242424242")
        #expect(try stack.published("payment_intent.succeeded", order: "ord_ls_1") == 0)
        let first = try runCommand(Binaries.path("payments"), ["catch-up"], environment: stack.payments.environment)
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout.contains("recorded"))
        #expect(try stack.published("payment_intent.succeeded", order: "ord_ls_1") == 1)
        let second = try runCommand(Binaries.path("payments"), ["catch-up"], environment: stack.payments.environment)
        #expect(second.status == 0)
        #expect(second.stdout.contains("recorded 0 new"))
        #expect(try stack.published("payment_intent.succeeded", order: "ord_ls_1") == 1)
    }
}
