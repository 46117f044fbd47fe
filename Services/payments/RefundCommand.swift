import Core
import Foundation
import Messages
import ServiceKit
import Transport
import Wire

extension PaymentsService {
    /// `payments refund ORDER_ID [--amount MINOR_UNITS] [--reason R] [--restock] [--request-id ID]`: asks the
    /// running service (over its socket) to refund, prints the refund, exits 1 with Stripe's reason when
    /// refused. A retry with the same `--request-id` never refunds twice.
    static let refundCommand = ServiceCommand(
        name: "refund",
        usage: "refund ORDER_ID [--amount MINOR_UNITS] [--reason R] [--restock] [--request-id ID]   refund an order through the running service") { arguments, _ in
        let usage = "usage: payments refund ORDER_ID [--amount MINOR_UNITS] [--reason duplicate|fraudulent|requested_by_customer] [--restock] [--request-id ID]"
        guard let orderID = arguments.first, !orderID.hasPrefix("-") else {
            ServiceMain.printError(usage)
            return 64
        }
        var request = RefundRequest(orderID: orderID)
        var rest = arguments.dropFirst()
        while let flag = rest.popFirst() {
            switch flag {
            case "--amount":
                guard let v = rest.popFirst(), let n = Int(v), n > 0 else { ServiceMain.printError(usage); return 64 }
                request.amount = n
            case "--reason":
                guard let v = rest.popFirst() else { ServiceMain.printError(usage); return 64 }
                request.reason = v
            case "--request-id":
                guard let v = rest.popFirst() else { ServiceMain.printError(usage); return 64 }
                request.requestID = v
            case "--restock":
                request.restock = true
            default:
                ServiceMain.printError(usage)
                return 64
            }
        }
        var reader = ConfigReader()
        let common = CommonConfig.read(&reader)
        let payload: RawJSON
        do { payload = try RawJSON(encoding: request) } catch {
            ServiceMain.printError("cannot encode the request: \(error)")
            return 1
        }
        let reply: Envelope
        do throws(ClientError) {
            // Stripe is called while we wait: allow it its own timeouts and retries.
            reply = try BlockingClient.call(path: common.socketPath(of: "payments"), message: .request(PaymentMessages.refund, payload: payload),
                                            timeoutMs: 120_000, maxFrameBytes: common.maxFrameBytes)
        } catch {
            ServiceMain.printError("payments refund: \(error.message)")
            return 2
        }
        if let error = reply.error {
            ServiceMain.printError("refund refused: \(error.message)" + (error.reason.map { " (\($0))" } ?? ""))
            return 1
        }
        guard let answer = try? reply.payload?.decode(RefundReply.self) else {
            ServiceMain.printError("payments refund: the answer did not decode")
            return 1
        }
        print("refund \(answer.refundID) \(answer.status): \(answer.amount) \(answer.currency) of order \(answer.orderID) "
              + "(payment \(answer.paymentIntentID), request \(answer.requestID))"
              + (answer.failureReason.map { ", failure_reason \($0)" } ?? ""))
        print("order \(answer.orderID): refunded \(answer.refundedAmount) \(answer.currency), pending \(answer.pendingAmount) \(answer.currency)")
        return answer.status == "failed" || answer.status == "canceled" ? 1 : 0
    }
}
