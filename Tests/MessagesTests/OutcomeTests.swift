import Messages
import Testing
import Wire

/// Outcomes are enums on our side and the same strings on the wire as before (docs/PROTOCOL.md §14).
@Suite("Outcomes on the wire")
struct OutcomeTests {
    @Test("webhook intake: accepted or duplicate")
    func webhookReply() throws {
        for (outcome, text) in [(WebhookReply.Outcome.accepted, "accepted"), (.duplicate, "duplicate")] {
            let json = try RawJSON(encoding: WebhookReply(outcome: outcome, eventID: "evt_1", type: "payment_intent.succeeded"))
            #expect(json.description.contains(#""outcome":"\#(text)""#), "\(json)")
            #expect(try json.decode(WebhookReply.self).outcome == outcome)
        }
        let unknown = try RawJSON(validating: Array(#"{"outcome":"maybe","event_id":"e","type":"t"}"#.utf8))
        #expect(throws: WireError.self) { try unknown.decode(WebhookReply.self) }
    }

    @Test("payment cancellation: canceled, paid or processing")
    func cancelPaymentReply() throws {
        for (outcome, text) in [(CancelPaymentReply.Outcome.canceled, "canceled"), (.paid, "paid"), (.processing, "processing")] {
            let json = try RawJSON(encoding: CancelPaymentReply(outcome: outcome, paymentIntentID: "pi_1"))
            #expect(json.description.contains(#""outcome":"\#(text)""#), "\(json)")
            #expect(try json.decode(CancelPaymentReply.self).outcome == outcome)
        }
    }
}
