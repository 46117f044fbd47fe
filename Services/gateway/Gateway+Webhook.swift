import FoundationEssentials
import HTTPServer
import Logging
import Messages
import Wire

extension Gateway {
    /// `POST /webhooks/stripe`: hands the body bytes (base64, exactly as received) and the
    /// `Stripe-Signature` header (untouched) to payments, which verifies and durably records the event.
    ///
    /// - 200 `{"received":true}` once recorded, for a first delivery and for a duplicate alike;
    /// - 400 with `reason` for a bad signature or payload (Stripe will not fix those by retrying);
    /// - 413 for a body too large to forward;
    /// - 503 whenever it could not be recorded (payments down, slow, failing, or not handling webhooks
    ///   yet), so Stripe retries later.
    ///
    /// Any `Content-Type` is accepted (Stripe sends `application/json; charset=utf-8`): the signature,
    /// not the header, says what the bytes are.
    func webhook(_ request: HTTPRequest) async -> HTTPResponse {
        let (response, outcome) = await webhookOutcome(request)
        metrics.webhook(outcome)
        return response
    }

    private func webhookOutcome(_ request: HTTPRequest) async -> (HTTPResponse, String) {
        if request.body.count > maxWebhookBytes {
            let error = APIError(status: .contentTooLarge, code: "payload_too_large",
                                 message: "webhook body is larger than \(maxWebhookBytes) bytes")
            return (error.response, "too_large")
        }
        let signatures = request.headers.values("Stripe-Signature")
        guard !signatures.isEmpty else {
            // Nothing to verify: refuse here rather than spend a call (and a 503 if payments is down).
            let error = APIError(status: .badRequest, code: "invalid_signature", message: "no Stripe-Signature header",
                                 reason: "missing_header")
            return (error.response, "invalid_signature")
        }
        let payload = WebhookRequest(bodyBase64: Data(request.body).base64EncodedString(),
                                     signature: signatures.joined(separator: ","))
        do {
            let reply: WebhookReply = try await upstream.call(.payments, PaymentMessages.webhook, payload,
                                                              traceID: request.requestID, deadline: nil)
            logger.debug("webhook recorded", ["trace.id": request.requestID, "stripe.event_id": reply.eventID,
                                              "stripe.event_type": reply.type, "webhook.outcome": reply.outcome.rawValue])
            var w = JSONWriter()
            w.beginObject()
            w.field("received", true)
            w.endObject()
            return (.json(.ok, w), reply.outcome.rawValue)
        } catch {
            let wire = error.error
            switch wire.code {
            case .invalidSignature, .invalidPayload:
                logger.info("webhook refused", ["trace.id": request.requestID, "error.code": wire.code.rawValue,
                                                "error.reason": wire.reason ?? ""])
                let refused = APIError(status: .badRequest, code: wire.code.rawValue, message: Redactor.scrub(wire.message),
                                       reason: wire.reason)
                return (refused.response, wire.code.rawValue)
            default:
                // Not recorded, whatever the reason: 503 so Stripe delivers it again.
                let unavailable = APIError(status: .serviceUnavailable, code: "unavailable",
                                           message: "the event could not be recorded; retry later")
                return (unavailable.response, "unavailable")
            }
        }
    }
}
