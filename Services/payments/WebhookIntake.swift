import Crypto
import Events
import Foundation
import Logging
import Messages
import Storage
import Stripe
import Wire

/// Verified intake of Stripe events: webhook deliveries, return-page verdicts and catch-up all end in
/// `record`, which stores the event id and the derived payment event in one durable transaction.
struct WebhookIntake: Sendable {
    let database: Database
    let outbox: Outbox
    let secrets: [String]
    /// The key's mode (`sk_live_`/`rk_live_`): a webhook event of the other mode is refused.
    let live: Bool
    let logger: Logger
    /// Woken after a refund event is recorded, so ``RefundBooks`` syncs at once.
    var booksWaker: Waker?
    /// Seconds since the epoch; tests of tolerance replace it.
    var now: @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970) }

    /// One webhook delivery: the raw bytes and the `Stripe-Signature` header exactly as received.
    /// Checks run on the caller's thread; `completion` gets the verdict once the event is durably recorded,
    /// on the database writer's thread (see ``Database/write(_:then:)``).
    func receive(_ request: WebhookRequest, traceID: String?,
                 completion: @escaping @Sendable (Result<WebhookReply, WireError>) -> Void) {
        do throws(WireError) {
            let (event, bytes) = try verify(request, traceID: traceID)
            store(id: event.id, type: event.type, created: event.created, body: bytes, source: "webhook",
                  outcome: try map(event, source: "webhook"), traceID: traceID, completion: completion)
        } catch {
            completion(.failure(error))
        }
    }

    /// The signed event, or why it is refused.
    private func verify(_ request: WebhookRequest, traceID: String?) throws(WireError) -> (Stripe.Event, [UInt8]) {
        guard let body = Data(base64Encoded: request.bodyBase64) else {
            throw .invalidArgument("body_base64: not valid base64")
        }
        guard !secrets.isEmpty else {
            // Answering 503 keeps Stripe retrying (for days) until a secret is configured; a 400 would
            // make it give up on events we could still take.
            logger.error("webhook refused: STRIPE_WEBHOOK_SECRET is not set")
            throw .unavailable("STRIPE_WEBHOOK_SECRET is not set; the event cannot be verified")
        }
        let bytes = [UInt8](body)
        do {
            try WebhookSignature.verify(body: bytes, header: request.signature, secrets: secrets, now: now())
        } catch {
            logger.warn("webhook signature refused", ["webhook.reason": error.code, "trace.id": traceID ?? ""])
            throw .invalidSignature(error.description, reason: error.code)
        }
        let event: Stripe.Event
        do {
            event = try Stripe.Event.decode(bytes)
        } catch {
            throw .invalidPayload("the signed body is not a Stripe event (needs id, type and data)")
        }
        guard event.id.hasPrefix("evt_") else { throw .invalidPayload("event id '\(event.id.prefix(64))' does not start with evt_") }
        // A test-mode event must never move a live order, nor a live event a test one: the two modes are
        // separate worlds at Stripe, and an endpoint secret shared between them is a misconfiguration.
        let eventLive = event.livemode == true
        guard eventLive == live else {
            let message = "event \(event.id.prefix(64)) is \(eventLive ? "live" : "test")-mode but payments runs with a "
                + "\(live ? "live" : "test")-mode key; refused"
            logger.warn("webhook refused: livemode differs from the key's mode",
                        ["stripe.event_id": String(event.id.prefix(64)), "webhook.reason": "livemode_mismatch", "trace.id": traceID ?? ""])
            throw WireError(code: .invalidPayload, message: message, reason: "livemode_mismatch")
        }
        return (event, bytes)
    }

    /// Stores `event` (once) with the payment event it derives, then wakes the relay.
    func record(_ event: Stripe.Event, body: [UInt8]?, source: String, traceID: String?) async throws(WireError) -> WebhookReply {
        let outcome = try map(event, source: source)
        return try await withCheckedContinuation { continuation in
            store(id: event.id, type: event.type, created: event.created, body: body, source: source, outcome: outcome,
                  traceID: traceID) { continuation.resume(returning: $0) }
        }.get()
    }

    private func map(_ event: Stripe.Event, source: String) throws(WireError) -> PaymentEventMapping.Outcome {
        do {
            return try PaymentEventMapping.map(event, source: source) { intentID in
                try database.readSync { c in
                    try c.queryOne("SELECT order_id FROM payments WHERE payment_intent_id = ?", intentID)?.string("order_id")
                }
            }
        } catch {
            throw .invalidPayload("the \(event.type) event's object did not decode: \(error)")
        }
    }

    /// Publishes a verdict seen on a return page (id `return:<object id>`), unless already recorded.
    func recordVerdict(_ payment: PaymentEvent, type: String, traceID: String?) async throws(WireError) {
        _ = try await withCheckedContinuation { continuation in
            store(id: payment.stripeEventID, type: type, created: payment.stripeCreated, body: nil, source: payment.source,
                  outcome: .publish(payment), traceID: traceID) { continuation.resume(returning: $0) }
        }.get()
    }

    /// Records the event and its outbox event in one transaction; `completion` runs on the writer's thread
    /// after the commit, so it stays short.
    private func store(id: String, type: String, created: Int64, body: [UInt8]?, source: String,
                       outcome: PaymentEventMapping.Outcome, traceID: String?,
                       completion: @escaping @Sendable (Result<WebhookReply, WireError>) -> Void) {
        let (label, orderID, data): (String, String?, RawJSON?)
        do throws(WireError) {
            (label, orderID, data) = switch outcome {
            case .publish(let payment): ("published", payment.orderID, try RawJSON(encoding: payment))
            case .ignored: ("ignored", nil, nil)
            case .unmatched: ("unmatched", nil, nil)
            case .syncRefunds(_, let orderID): ("refund_sync", orderID, nil)
            case .syncDispute: ("dispute_sync", nil, nil)
            }
        } catch {
            completion(.failure(error))
            return
        }
        let (outbox, logger, booksWaker) = (self.outbox, self.logger, self.booksWaker)
        database.write({ c in
            let inserted = try c.execute("""
                INSERT OR IGNORE INTO stripe_events(event_id, type, created, received_at, source, order_id, outcome, body)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """, id, type, created, Envelope.now(), source, orderID, label, body)
            guard inserted == 1 else { return false }
            if let data, let orderID {
                try outbox.publish(in: c, type: type, key: orderID, data: data, traceID: traceID, eventID: id)
            }
            if case .syncRefunds(let intentID, let orderID) = outcome {
                try RefundBooks.markDue(c, paymentIntentID: intentID, orderID: orderID)
            }
            if case .syncDispute(let disputeID, let intentID) = outcome {
                try DisputeBooks.markDue(c, disputeID: disputeID, paymentIntentID: intentID)
            }
            return true
        }, then: { result in
            let fresh: Bool
            switch result {
            case .success(let inserted): fresh = inserted
            case .failure(let error):
                logger.error("could not record a Stripe event", ["stripe.event_id": id, "error": "\(error)"])
                completion(.failure(.unavailable("the event could not be recorded; retry later")))
                return
            }
            if fresh {
                outbox.wake()
                switch outcome {
                case .syncRefunds, .syncDispute: booksWaker?.notify()
                default: break
                }
                if case .unmatched(let why) = outcome { logger.warn("Stripe event matches no order", ["stripe.event_id": id, "reason": why]) }
                logger.debug("Stripe event recorded", ["stripe.event_id": id, "stripe.type": type, "outcome": label, "source": source])
            }
            completion(.success(WebhookReply(outcome: fresh ? .accepted : .duplicate, eventID: id, type: type)))
        })
    }
}
