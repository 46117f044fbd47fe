import Foundation
import Logging
import Messages
import Storage
import Transport
import Wire

/// Refunds payments that arrived after their order expired or was canceled (`LATE_PAYMENT_POLICY=refund`):
/// asks payments (`payments.refund`, reason `requested_by_customer`, request id `late:<order id>`, so a
/// repeat never refunds twice) for every order marked `late_refund_state = 'due'`, until payments takes
/// the request. The refund then reaches the order through the refund books like any other
/// (`refunded`, `order.refunded`). Run as a ``PeriodicTask`` every ``retryInterval``.
final class LateRefunds: Sendable {
    private let database: Database
    private let payments: MessageClient
    private let logger: Logger
    /// How long to wait between rounds when payments could not be asked.
    static let retryInterval: Duration = .seconds(2)

    init(database: Database, payments: MessageClient, logger: Logger) {
        self.database = database
        self.payments = payments
        self.logger = logger
    }

    /// One round: asks payments for every due late refund. Returns how many payments took.
    func runOnce() async -> Int {
        let due: [(String, String?)] = (try? await database.read { c in
            try c.query("SELECT order_id, late_payment_intent_id FROM orders WHERE late_refund_state = 'due' LIMIT 100")
                .compactMap { row in row.string("order_id").map { ($0, row.string("late_payment_intent_id")) } }
        }) ?? []
        var taken = 0
        for (orderID, intentID) in due {
            let request = RefundRequest(orderID: orderID, reason: "requested_by_customer", requestID: "late:\(orderID)",
                                        paymentIntentID: intentID)
            do throws(ClientError) {
                let reply: RefundReply = try await payments.call(PaymentMessages.refund, request, deadline: .seconds(60))
                try? await database.write { c in
                    _ = try c.execute("UPDATE orders SET late_refund_state = 'requested' WHERE order_id = ?", orderID)
                }
                taken += 1
                logger.info("late payment refunded", ["order.id": orderID, "stripe.refund": reply.refundID, "refund.status": reply.status])
            } catch {
                if error.code == .remote, let remote = error.remote, remote.code == .unprocessable || remote.code == .notFound {
                    // Stripe (or payments) says no for good (already refunded, nothing to refund): a person looks.
                    try? await database.write { c in
                        _ = try c.execute("UPDATE orders SET late_refund_state = 'refused' WHERE order_id = ?", orderID)
                    }
                    logger.error("late payment could not be refunded; the order stays in review",
                                 ["order.id": orderID, "error": error.description])
                } else {
                    logger.warn("late payment refund not requested yet; will retry", ["order.id": orderID, "error": error.description])
                }
            }
        }
        return taken
    }
}
