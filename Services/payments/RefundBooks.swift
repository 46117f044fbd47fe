import Events
import Foundation
import Logging
import Messages
import Storage
import Stripe
import Wire

/// The refund books: every refund of an order's payment, recorded once per refund id from Stripe's own
/// list of the PaymentIntent's refunds.
///
/// Events never write the books directly. A refund event (`charge.refunded`, `charge.refund.updated`,
/// `refund.created`, `refund.updated`, `refund.failed`) only marks its PaymentIntent for a sync
/// (`refund_sync`, in the intake's transaction); the sync lists the PaymentIntent's refunds and records
/// what changed. So redeliveries, any event order and Dashboard refunds all give the books Stripe has,
/// and each change is published to fulfillment once (event id `refund:<re_id>:<status>`).
struct RefundBooks: Sendable {
    let stripe: StripeClient?
    let database: Database
    let outbox: Outbox
    let logger: Logger
    /// Woken when a sync is due (after intake recorded a refund event).
    let waker: Waker

    static let reasons: Set<String> = ["duplicate", "fraudulent", "requested_by_customer"]

    private func client() throws(WireError) -> StripeClient {
        guard let stripe else { throw .unavailable("payments has no STRIPE_SECRET_KEY configured") }
        return stripe
    }

    // MARK: Our refund requests

    /// `payments.refund`: records the request, asks Stripe (key `shop:refund:<request id>`), then syncs the
    /// PaymentIntent's refunds so the answer carries the books.
    func refund(_ r: RefundRequest) async throws(WireError) -> RefundReply {
        guard !r.orderID.isEmpty, r.orderID.count <= 128 else { throw .invalidArgument("order_id: 1 to 128 characters") }
        if let amount = r.amount, !(1...99_999_999).contains(amount) {
            throw .invalidArgument("amount: a positive integer in minor units")
        }
        if let reason = r.reason, !Self.reasons.contains(reason) {
            throw .invalidArgument("reason: one of duplicate, fraudulent, requested_by_customer")
        }
        if let id = r.requestID, id.isEmpty || id.count > 100 || !id.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "_-:".contains($0)) }) {
            throw .invalidArgument("request_id: 1 to 100 letters, digits, '_', '-' or ':'")
        }
        let requestID = r.requestID ?? "rr_" + MessageID.random()
        let stripe = try client()
        if let known = try await storedRequest(requestID) {
            guard known.orderID == r.orderID, known.amount == r.amount else {
                throw .conflict("refund request \(requestID) was made for another order or amount")
            }
            if known.state == "answered", let refundID = known.refundID {
                return try await reply(requestID: requestID, orderID: r.orderID, refundID: refundID, paymentIntentID: known.paymentIntentID)
            }
            if known.state == "refused" {
                throw .unprocessable(known.errorMessage ?? "Stripe refused the refund", reason: known.errorCode ?? "refund_refused")
            }
            return try await send(requestID: requestID, orderID: r.orderID, paymentIntentID: known.paymentIntentID,
                                  amount: r.amount, reason: known.reason, stripe: stripe)
        }
        let paymentIntentID: String
        if let named = r.paymentIntentID {
            paymentIntentID = try await namedIntent(named, of: r.orderID, stripe: stripe)
        } else {
            paymentIntentID = try await paidIntent(of: r.orderID, stripe: stripe)
        }
        do {
            try await database.write { c in
                _ = try c.execute("""
                    INSERT INTO refund_requests(request_id, order_id, payment_intent_id, amount, reason, restock, state, created_at, updated_at)
                    VALUES (?, ?, ?, ?, ?, ?, 'requested', ?, ?)
                    """, requestID, r.orderID, paymentIntentID, r.amount.map { Int64($0) }, r.reason, r.restock ? 1 : 0,
                    Envelope.now(), Envelope.now())
            }
        } catch {
            throw .unavailable("the refund request could not be recorded; nothing was refunded")
        }
        return try await send(requestID: requestID, orderID: r.orderID, paymentIntentID: paymentIntentID, amount: r.amount,
                              reason: r.reason, stripe: stripe)
    }

    private struct StoredRequest: Sendable {
        var orderID: String
        var paymentIntentID: String
        var amount: Int?
        var reason: String?
        var state: String
        var refundID: String?
        var errorCode: String?
        var errorMessage: String?
    }

    private func storedRequest(_ id: String) async throws(WireError) -> StoredRequest? {
        do {
            return try await database.read { c in
                try c.queryOne("SELECT * FROM refund_requests WHERE request_id = ?", id).map { row in
                    StoredRequest(orderID: row.string("order_id") ?? "", paymentIntentID: row.string("payment_intent_id") ?? "",
                                  amount: row.int("amount").map { Int($0) }, reason: row.string("reason"),
                                  state: row.string("state") ?? "", refundID: row.string("refund_id"),
                                  errorCode: row.string("error_code"), errorMessage: row.string("error_message"))
                }
            }
        } catch {
            throw .unavailable("cannot read refund requests")
        }
    }

    /// The PaymentIntent that paid the order, found through the order's payment records (a Checkout
    /// Session's or an invoice's PaymentIntent is asked of Stripe). `unprocessable` `order_not_paid`
    /// when none succeeded.
    private func paidIntent(of orderID: String, stripe: StripeClient) async throws(WireError) -> String {
        let rows: [(flow: String, stripeID: String, intentID: String?)]
        do {
            rows = try await database.read { c in
                try c.query("SELECT flow, stripe_id, payment_intent_id FROM payments WHERE order_id = ? ORDER BY attempt DESC", orderID)
                    .map { ($0.string("flow") ?? "", $0.string("stripe_id") ?? "", $0.string("payment_intent_id")) }
            }
        } catch {
            throw .unavailable("cannot read payment records")
        }
        guard !rows.isEmpty else { throw .notFound("no payment is recorded for order \(orderID)") }
        for row in rows {
            var intentID = row.intentID
            do {
                if intentID == nil, row.flow == PaymentFlow.checkoutSession.rawValue {
                    intentID = try await stripe.retrieveCheckoutSession(row.stripeID).paymentIntentID
                } else if intentID == nil, row.flow == PaymentFlow.invoice.rawValue {
                    intentID = try await stripe.retrieveInvoice(row.stripeID).paymentIntentID
                }
                guard let intentID else { continue }
                if try await stripe.retrievePaymentIntent(intentID).status == "succeeded" { return intentID }
            } catch {
                throw WireError.from(error)
            }
        }
        throw .unprocessable("order \(orderID) has no succeeded payment to refund", reason: "order_not_paid")
    }

    /// A PaymentIntent named by the caller: it must have succeeded and belong to the order (our payment
    /// records, or its own `metadata.order_id`).
    private func namedIntent(_ id: String, of orderID: String, stripe: StripeClient) async throws(WireError) -> String {
        let intent: PaymentIntent
        do { intent = try await stripe.retrievePaymentIntent(id) } catch { throw WireError.from(error) }
        let recorded = (try? await database.read { c in
            try c.queryOne("SELECT order_id FROM payments WHERE payment_intent_id = ?", id)?.string("order_id")
        }) ?? nil
        guard intent.metadata["order_id"] == orderID || recorded == orderID else {
            throw .invalidArgument("payment_intent_id: \(id) does not belong to order \(orderID)")
        }
        guard intent.status == "succeeded" else {
            throw .unprocessable("PaymentIntent \(id) has not succeeded; nothing to refund", reason: "order_not_paid")
        }
        return id
    }

    /// Calls Stripe for a recorded request and records its answer (or its refusal).
    private func send(requestID: String, orderID: String, paymentIntentID: String, amount: Int?, reason: String?,
                      stripe: StripeClient) async throws(WireError) -> RefundReply {
        let refund: Refund
        do {
            refund = try await stripe.createRefund(paymentIntent: paymentIntentID, amount: amount, reason: reason,
                                                   metadata: [("order_id", orderID), ("refund_request", requestID)],
                                                   idempotencyKey: "shop:refund:\(requestID)")
        } catch {
            if error.kind == .invalidRequest || error.kind == .card {
                // Stripe's answer is final for this request (over-refund, nothing to refund): keep it.
                let code = error.code ?? "refund_refused"
                let message = error.message
                try? await database.write { c in
                    _ = try c.execute("""
                        UPDATE refund_requests SET state = 'refused', error_code = ?, error_message = ?, updated_at = ?
                        WHERE request_id = ? AND state = 'requested'
                        """, code, message, Envelope.now(), requestID)
                }
                logger.warn("Stripe refused a refund", ["order.id": orderID, "refund.request": requestID, "stripe.code": code])
                throw .unprocessable("Stripe refused the refund: \(message)", reason: code)
            }
            logger.warn("refund call failed; the request stays open and is retried", ["refund.request": requestID,
                                                                                      "stripe.error": error.description])
            var wire = WireError.from(error)
            wire.message += "; refund request \(requestID) stays open: payments sends it again (same idempotency key) within a few minutes"
            throw wire
        }
        if FaultInjection.crashAfterRefundAnswer {
            // Test hook (see FaultInjection): die as if killed between Stripe's answer and our commit.
            kill(getpid(), SIGKILL)
        }
        do {
            try await database.write { c in
                _ = try c.execute("""
                    UPDATE refund_requests SET state = 'answered', refund_id = ?, updated_at = ? WHERE request_id = ?
                    """, refund.id, Envelope.now(), requestID)
                try Self.markDue(c, paymentIntentID: paymentIntentID, orderID: orderID)
            }
        } catch {
            throw .unavailable("the refund was made but could not be recorded; retry with request_id \(requestID)")
        }
        logger.info("refund created", ["order.id": orderID, "stripe.refund": refund.id, "refund.status": refund.status])
        try await sync(paymentIntentID)
        return try await reply(requestID: requestID, orderID: orderID, refundID: refund.id, paymentIntentID: paymentIntentID)
    }

    private func reply(requestID: String, orderID: String, refundID: String, paymentIntentID: String) async throws(WireError) -> RefundReply {
        do {
            return try await database.read { c in
                let totals = try Self.totals(c, paymentIntentID: paymentIntentID)
                guard let row = try c.queryOne("SELECT * FROM refunds WHERE refund_id = ?", refundID) else {
                    throw WireError.unavailable("refund \(refundID) is not in the books yet; retry")
                }
                return RefundReply(requestID: requestID, orderID: orderID, refundID: refundID, paymentIntentID: paymentIntentID,
                                   amount: Int(row.int("amount") ?? 0), currency: row.string("currency") ?? "",
                                   status: row.string("status") ?? "", failureReason: row.string("failure_reason"),
                                   refundedAmount: totals.refunded, pendingAmount: totals.pending)
            }
        } catch let error as WireError {
            throw error
        } catch {
            throw .unavailable("cannot read the refund books")
        }
    }

    /// Requests left `requested` by a crash or a failed call (older than `olderThanMs`): sent again with
    /// their own key, so Stripe answers with the refund it made, if it made one.
    func resumeOpenRequests(olderThanMs: Int64 = 0) async {
        guard let stripe else { return }
        let open: [(String, String, String, Int?, String?)]
        let before = Envelope.now() - olderThanMs
        do {
            open = try await database.read { c in
                try c.query("""
                    SELECT request_id, order_id, payment_intent_id, amount, reason FROM refund_requests
                    WHERE state = 'requested' AND updated_at <= ?
                    """, before)
                    .map { ($0.string("request_id") ?? "", $0.string("order_id") ?? "", $0.string("payment_intent_id") ?? "",
                            $0.int("amount").map { Int($0) }, $0.string("reason")) }
            }
        } catch {
            return
        }
        for (requestID, orderID, intentID, amount, reason) in open {
            do throws(WireError) {
                _ = try await send(requestID: requestID, orderID: orderID, paymentIntentID: intentID, amount: amount,
                                   reason: reason, stripe: stripe)
                logger.info("open refund request resumed", ["refund.request": requestID])
            } catch {
                logger.warn("open refund request not resumed yet", ["refund.request": requestID, "error": error.description])
            }
        }
    }

    // MARK: Sync

    /// Marks a PaymentIntent's refunds for listing, inside the caller's transaction.
    static func markDue(_ c: Connection, paymentIntentID: String, orderID: String?, now: Int64 = Envelope.now()) throws {
        try c.execute("""
            INSERT INTO refund_sync(payment_intent_id, order_id, due_at) VALUES (?, ?, ?)
            ON CONFLICT(payment_intent_id) DO UPDATE SET generation = generation + 1, due_at = excluded.due_at, attempts = 0,
                order_id = COALESCE(refund_sync.order_id, excluded.order_id)
            """, paymentIntentID, orderID, now)
    }

    /// Lists the PaymentIntent's refunds and records what changed (each change published once).
    func sync(_ paymentIntentID: String) async throws(WireError) {
        let stripe = try client()
        let due: (generation: Int64, orderID: String?)?
        do {
            due = try await database.read { c in
                try c.queryOne("SELECT generation, order_id FROM refund_sync WHERE payment_intent_id = ?", paymentIntentID)
                    .map { ($0.int("generation") ?? 0, $0.string("order_id")) }
            }
        } catch {
            throw .unavailable("cannot read the refund sync queue")
        }
        let refunds: [Refund]
        var orderID = due?.orderID
        do {
            refunds = try await stripe.listRefunds(paymentIntent: paymentIntentID)
            if orderID == nil { orderID = try await self.orderID(of: paymentIntentID, refunds: refunds, stripe: stripe) }
        } catch let error as StripeError {
            try? await noteFailure(paymentIntentID, error.description)
            throw WireError.from(error)
        } catch {
            throw .internalError("\(error)")
        }
        guard let orderID else {
            logger.warn("refunds of a PaymentIntent that belongs to no order", ["stripe.payment_intent": paymentIntentID])
            try? await database.write { c in _ = try c.execute("DELETE FROM refund_sync WHERE payment_intent_id = ?", paymentIntentID) }
            return
        }
        let outbox = self.outbox
        let published: Int
        do {
            published = try await database.write { c in
                let count = try Self.record(c, refunds: refunds.reversed(), orderID: orderID, paymentIntentID: paymentIntentID,
                                            outbox: outbox)
                if let due {
                    try c.execute("DELETE FROM refund_sync WHERE payment_intent_id = ? AND generation = ?", paymentIntentID, due.generation)
                }
                return count
            }
        } catch {
            throw .unavailable("the refund books could not be written")
        }
        if published > 0 { outbox.wake() }
    }

    /// Records the listed refunds (oldest first) and publishes one `payment.refund_changed` per new
    /// refund or status change, each with the totals after the whole list. Returns how many.
    static func record(_ c: Connection, refunds: [Refund], orderID: String, paymentIntentID: String, outbox: Outbox,
                       now: Int64 = Envelope.now()) throws -> Int {
        var changes: [(Refund, String?)] = []
        for refund in refunds {
            let previous = try c.queryOne("SELECT status FROM refunds WHERE refund_id = ?", refund.id)?.string("status")
            // Stripe moves a refund forward only (pending → succeeded → failed); a list read before
            // another one may be written after it, and must not move a refund back. Between `pending` and
            // `requires_action` it goes both ways (the customer supplies what was missing), so a change
            // of rank 0 is recorded; both count as pending, so the money is the same either way.
            if let previous, previous == refund.status || Self.rank(refund.status) < Self.rank(previous) { continue }
            try c.execute("""
                INSERT INTO refunds(refund_id, order_id, payment_intent_id, charge_id, amount, currency, status, reason,
                                    failure_reason, request_id, created, updated_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT(refund_id) DO UPDATE SET status = excluded.status, failure_reason = excluded.failure_reason,
                    updated_at = excluded.updated_at
                """, refund.id, orderID, paymentIntentID, refund.charge, refund.amount, refund.currency, refund.status,
                refund.reason, refund.failureReason, refund.metadata["refund_request"], refund.created, now)
            changes.append((refund, previous))
        }
        guard !changes.isEmpty else { return 0 }
        let totals = try totals(c, paymentIntentID: paymentIntentID)
        for (refund, previous) in changes {
            let requestID = refund.metadata["refund_request"]
            let restock = try requestID.map {
                try c.queryOne("SELECT restock FROM refund_requests WHERE request_id = ?", $0)?.int("restock") == 1
            } ?? false
            let change = RefundChange(orderID: orderID, paymentIntentID: paymentIntentID, refundID: refund.id, amount: refund.amount,
                                      currency: refund.currency, status: refund.status, previousStatus: previous,
                                      reason: refund.reason, failureReason: refund.failureReason, requestID: requestID,
                                      restock: restock, refundedAmount: totals.refunded, pendingAmount: totals.pending)
            try outbox.publish(in: c, type: BookEvents.refundChanged, key: orderID, data: try RawJSON(encoding: change),
                               eventID: "refund:\(refund.id):\(refund.status)", now: now)
        }
        return changes.count
    }

    /// How far along a refund status is: `pending`/`requires_action`, then `succeeded`, then the final
    /// `failed`/`canceled`.
    static func rank(_ status: String) -> Int {
        switch status {
        case "pending", "requires_action": 0
        case "succeeded": 1
        case "failed", "canceled": 2
        default: 0
        }
    }

    static func totals(_ c: Connection, paymentIntentID: String) throws -> (refunded: Int, pending: Int) {
        let row = try c.queryOne("""
            SELECT COALESCE(SUM(CASE WHEN status = 'succeeded' THEN amount END), 0) AS refunded,
                   COALESCE(SUM(CASE WHEN status IN ('pending', 'requires_action') THEN amount END), 0) AS pending
            FROM refunds WHERE payment_intent_id = ?
            """, paymentIntentID)
        return (Int(row?.int("refunded") ?? 0), Int(row?.int("pending") ?? 0))
    }

    /// The order a PaymentIntent paid: our payment records, then our refunds' metadata, then the
    /// PaymentIntent's own `metadata.order_id` (Checkout Sessions put it there).
    private func orderID(of paymentIntentID: String, refunds: [Refund], stripe: StripeClient) async throws -> String? {
        let known = try await database.read { c in
            try c.queryOne("SELECT order_id FROM payments WHERE payment_intent_id = ?", paymentIntentID)?.string("order_id")
                ?? c.queryOne("SELECT order_id FROM refund_requests WHERE payment_intent_id = ?", paymentIntentID)?.string("order_id")
        }
        if let known { return known }
        if let fromRefund = refunds.lazy.compactMap({ $0.metadata["order_id"] }).first { return fromRefund }
        return try await stripe.retrievePaymentIntent(paymentIntentID).metadata["order_id"]
    }

    private func noteFailure(_ paymentIntentID: String, _ error: String) async throws {
        try await database.write { c in
            _ = try c.execute("""
                UPDATE refund_sync SET attempts = attempts + 1, last_error = ?,
                    due_at = ? + MIN(60000, 500 * (1 << MIN(attempts, 7)))
                WHERE payment_intent_id = ?
                """, error, Envelope.now(), paymentIntentID)
        }
    }

    /// The sync loop: PaymentIntents whose refunds are due, one at a time; woken by intake.
    func run() async {
        var seen = waker.current
        await resumeOpenRequests()
        var lastResume = ContinuousClock.now
        while !Task.isCancelled {
            // A request whose Stripe call failed (Stripe down) is retried here, with its own key.
            if ContinuousClock.now - lastResume > .seconds(30) {
                await resumeOpenRequests(olderThanMs: 60_000)
                lastResume = ContinuousClock.now
            }
            let due: [String] = (try? await database.read { c in
                try c.query("SELECT payment_intent_id FROM refund_sync WHERE due_at <= ? ORDER BY due_at LIMIT 50", Envelope.now())
                    .compactMap { $0.string("payment_intent_id") }
            }) ?? []
            for id in due {
                do throws(WireError) { try await sync(id) } catch {
                    logger.warn("refund sync failed; retried later", ["stripe.payment_intent": id, "error": error.description])
                }
            }
            if due.isEmpty { await waker.wait(upTo: .seconds(1), seen: &seen) }
        }
    }
}

/// Test-only fault injection, read once from `PAYMENTS_FAULT` (never set in production; the integration
/// tests set it to prove crash safety). `crash_after_refund_answer`: SIGKILL itself right after Stripe
/// answered a refund and before the answer is committed.
enum FaultInjection {
    static let crashAfterRefundAnswer: Bool = ProcessInfo.processInfo.environment["PAYMENTS_FAULT"] == "crash_after_refund_answer"
}
