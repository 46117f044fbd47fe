import Events
import Foundation
import Logging
import Messages
import Storage
import Stripe
import Wire

/// The dispute books: every dispute on an order's payment, as Stripe shows it now.
///
/// Like the refund books, events never write them: `charge.dispute.created`, `.updated`,
/// `.funds_withdrawn`, `.funds_reinstated` and `.closed` only mark the dispute for a sync
/// (`dispute_sync`, in the intake's transaction); the sync retrieves the dispute and records what changed,
/// publishing `payment.dispute_changed` once per distinct state. Duplicates and any event order give the
/// same books; a closed dispute is never reopened by an older read.
struct DisputeBooks: Sendable {
    let stripe: StripeClient?
    let database: Database
    let outbox: Outbox
    let logger: Logger
    let waker: Waker

    static let events: Set<String> = [
        "charge.dispute.created", "charge.dispute.updated", "charge.dispute.funds_withdrawn",
        "charge.dispute.funds_reinstated", "charge.dispute.closed",
    ]

    /// Marks a dispute for retrieval, inside the caller's transaction.
    static func markDue(_ c: Connection, disputeID: String, paymentIntentID: String?, now: Int64 = Envelope.now()) throws {
        try c.execute("""
            INSERT INTO dispute_sync(dispute_id, payment_intent_id, due_at) VALUES (?, ?, ?)
            ON CONFLICT(dispute_id) DO UPDATE SET generation = generation + 1, due_at = excluded.due_at, attempts = 0
            """, disputeID, paymentIntentID, now)
    }

    /// Retrieves the dispute and records it; publishes a change when its status or funds moved.
    func sync(_ disputeID: String) async throws(WireError) {
        guard let stripe else { throw .unavailable("payments has no STRIPE_SECRET_KEY configured") }
        let generation: Int64?
        do {
            generation = try await database.read { c in
                try c.queryOne("SELECT generation FROM dispute_sync WHERE dispute_id = ?", disputeID)?.int("generation")
            }
        } catch {
            throw .unavailable("cannot read the dispute sync queue")
        }
        let dispute: Dispute
        var orderID: String?
        var intentID: String?
        do {
            dispute = try await stripe.retrieveDispute(disputeID)
            intentID = dispute.paymentIntent
            if intentID == nil, let charge = dispute.charge { intentID = try await stripe.retrieveCharge(charge).paymentIntent }
            if let intentID { orderID = try await self.orderID(of: intentID, stripe: stripe) }
        } catch let error as StripeError {
            try? await database.write { c in
                _ = try c.execute("""
                    UPDATE dispute_sync SET attempts = attempts + 1, last_error = ?, due_at = ? + MIN(60000, 500 * (1 << MIN(attempts, 7)))
                    WHERE dispute_id = ?
                    """, error.description, Envelope.now(), disputeID)
            }
            throw WireError.from(error)
        } catch {
            throw .internalError("\(error)")
        }
        let outbox = self.outbox
        let (found, intent) = (orderID, intentID)
        let published: Bool
        do {
            published = try await database.write { c in
                var changed = false
                if let found {
                    changed = try Self.record(c, dispute: dispute, orderID: found, paymentIntentID: intent, outbox: outbox)
                }
                if let generation {
                    try c.execute("DELETE FROM dispute_sync WHERE dispute_id = ? AND generation = ?", disputeID, generation)
                }
                return changed
            }
        } catch {
            throw .unavailable("the dispute books could not be written")
        }
        if orderID == nil { logger.warn("a dispute on a payment of no order", ["stripe.dispute": disputeID]) }
        if published { outbox.wake() }
    }

    static func record(_ c: Connection, dispute: Dispute, orderID: String, paymentIntentID: String?, outbox: Outbox,
                       now: Int64 = Envelope.now()) throws -> Bool {
        let row = try c.queryOne("SELECT status, funds_withdrawn, funds_reinstated FROM disputes WHERE dispute_id = ?", dispute.id)
        let previous = row?.string("status")
        var status = dispute.status
        if let previous, DisputeChange.rank(status) < DisputeChange.rank(previous) { status = previous }
        let withdrawn = dispute.fundsWithdrawn || row?.int("funds_withdrawn") == 1
        let reinstated = dispute.fundsReinstated || row?.int("funds_reinstated") == 1
        if let row, status == previous, withdrawn == (row.int("funds_withdrawn") == 1),
           reinstated == (row.int("funds_reinstated") == 1) { return false }
        try c.execute("""
            INSERT INTO disputes(dispute_id, order_id, payment_intent_id, charge_id, amount, currency, status, reason, due_by,
                                 funds_withdrawn, funds_reinstated, updated_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT(dispute_id) DO UPDATE SET status = excluded.status, due_by = excluded.due_by,
                funds_withdrawn = excluded.funds_withdrawn, funds_reinstated = excluded.funds_reinstated,
                updated_at = excluded.updated_at
            """, dispute.id, orderID, paymentIntentID, dispute.charge, dispute.amount, dispute.currency, status, dispute.reason,
            dispute.dueBy, withdrawn ? 1 : 0, reinstated ? 1 : 0, now)
        let change = DisputeChange(orderID: orderID, paymentIntentID: paymentIntentID, disputeID: dispute.id, amount: dispute.amount,
                                   currency: dispute.currency, status: status, previousStatus: previous, reason: dispute.reason,
                                   dueBy: dispute.dueBy.flatMap { $0 > 0 ? $0 : nil }, fundsWithdrawn: withdrawn,
                                   fundsReinstated: reinstated)
        try outbox.publish(in: c, type: BookEvents.disputeChanged, key: orderID, data: try RawJSON(encoding: change),
                           eventID: "dispute:\(dispute.id):\(status):\(withdrawn ? 1 : 0)\(reinstated ? 1 : 0)", now: now)
        return true
    }

    private func orderID(of paymentIntentID: String, stripe: StripeClient) async throws -> String? {
        let known = try await database.read { c in
            try c.queryOne("SELECT order_id FROM payments WHERE payment_intent_id = ?", paymentIntentID)?.string("order_id")
        }
        if let known { return known }
        return try await stripe.retrievePaymentIntent(paymentIntentID).metadata["order_id"]
    }

    /// The sync loop: disputes due, one at a time; woken by intake.
    func run() async {
        var seen = waker.current
        while !Task.isCancelled {
            let due: [String] = (try? await database.read { c in
                try c.query("SELECT dispute_id FROM dispute_sync WHERE due_at <= ? ORDER BY due_at LIMIT 50", Envelope.now())
                    .compactMap { $0.string("dispute_id") }
            }) ?? []
            for id in due {
                do throws(WireError) { try await sync(id) } catch {
                    logger.warn("dispute sync failed; retried later", ["stripe.dispute": id, "error": error.description])
                }
            }
            if due.isEmpty { await waker.wait(upTo: .seconds(1), seen: &seen) }
        }
    }
}
