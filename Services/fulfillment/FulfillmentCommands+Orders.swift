import Core
import Messages
import ServiceKit
import Transport
import Wire

extension FulfillmentCommands {
    /// `fulfillment orders cancel ORDER_ID`: through the running service (which has payments make the payment
    /// unpayable at Stripe first). Exit 0 canceled, 1 refused (paid meanwhile, not cancellable), 2 not reachable.
    static let orders = ServiceCommand(
        name: "orders",
        usage: "orders cancel ORDER_ID   cancel an unpaid order (its payment is made unpayable at Stripe first, then its stock released)") { arguments, _ in
        guard arguments.count == 2, arguments[0] == "cancel" else {
            ServiceMain.printError("usage: fulfillment orders cancel ORDER_ID")
            return 64
        }
        var reader = ConfigReader()
        let common = CommonConfig.read(&reader)
        let reply: Envelope
        do {
            let payload = try RawJSON(encoding: CancelOrderRequest(orderID: arguments[1]))
            reply = try BlockingClient.call(path: common.socketPath(of: "fulfillment"), message: .request(OrderMessages.cancel, payload: payload),
                                            timeoutMs: 120_000, maxFrameBytes: common.maxFrameBytes)
        } catch let error as ClientError {
            ServiceMain.printError("fulfillment orders cancel: \(error.message)")
            return 2
        } catch {
            ServiceMain.printError("fulfillment orders cancel: \(error)")
            return 2
        }
        if let error = reply.error {
            ServiceMain.printError("not canceled: \(error.message)" + (error.reason.map { " (\($0))" } ?? ""))
            return 1
        }
        guard let order = try? reply.payload?.decode(Order.self) else {
            ServiceMain.printError("fulfillment orders cancel: the answer did not decode")
            return 1
        }
        print("order \(order.orderID) \(order.status.rawValue); its payment can no longer be made and its stock is released")
        return 0
    }
}
