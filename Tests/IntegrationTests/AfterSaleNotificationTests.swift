import Crypto
import Messages
import Foundation
import Testing

/// Notifications after the sale (issue 17): the merchant's signed webhook gets every new order event once
/// (`order.partially_refunded`, `order.refunded`, `order.refund_failed`, `order.disputed`,
/// `order.dispute_closed`, `order.canceled`); customers get refund and cancellation emails over real SMTP;
/// `MERCHANT_EMAIL` gets the dispute alert with its deadline. Every process is real.
@Suite("after-sale notifications end to end")
struct AfterSaleNotificationTests {
    static let secret = "whsec_after_sale_merchant_secret"

    @Test("merchant events once each, signed; refund, cancellation and dispute emails")
    func everything() throws {
        let sink = try MailSink(http: true)
        let stack = try FullStack(environment: ["MERCHANT_WEBHOOK_URL": sink.webhookURL, "MERCHANT_WEBHOOK_SECRET": Self.secret,
                                                "MERCHANT_EMAIL": "Merchant <merchant@example.com>", "SMTP_URL": sink.smtpURL],
                                  emulatorEnvironment: ["EMULATOR_ASYNC_SETTLE_MS": "0"])
        // A: refunded in two parts. B: disputed, then won. C: canceled. D: refunded, then the refund failed.
        let (a, _) = try RefundTests.paidOrder(stack)
        #expect(try RefundTests.refund(stack, [a, "--amount", "1000"]).status == 0)
        #expect(try RefundTests.refund(stack, [a]).status == 0)
        let (b, bIntent) = try RefundTests.paidOrder(stack, card: DisputeTests.disputeCard)
        try waitUntil("B disputed") { try stack.order(b)["disputed"] as? Bool == true }
        try stack.act("/_emulator/disputes/\(try DisputeTests.disputeID(stack, intent: bIntent))/close", ["status": "won"])
        let c = try #require(try stack.create(sku: "mug")["order_id"] as? String)
        #expect(try CancellationTests.cancel(stack, c).status == 0)
        let (d, dIntent) = try RefundTests.paidOrder(stack, quantity: 1, card: "4000000000005126")
        #expect(try RefundTests.refund(stack, [d]).status == 0)
        let dRefund = try #require(RefundTests.stripeRefunds(stack, dIntent).first?["id"] as? String)
        try stack.act("/_emulator/refunds/\(dRefund)/settle", ["outcome": "failed"])

        let expected: [String: [String]] = [
            a: ["order.paid", "order.fulfilled", "order.partially_refunded", "order.refunded"],
            b: ["order.paid", "order.fulfilled", "order.disputed", "order.dispute_closed"],
            c: ["order.canceled"],
            d: ["order.paid", "order.fulfilled", "order.refunded", "order.refund_failed"],
        ]
        struct Posted: Decodable {
            struct D: Decodable { var object: Order; var refund_amount: Int?; var reason: String? }
            var id: String; var type: String; var data: D
        }
        func posts() throws -> [Posted] { try sink.hooks().map { try JSONDecoder().decode(Posted.self, from: Data($0.body)) } }
        try waitUntil("every merchant post", timeout: .seconds(60)) { try posts().count >= expected.values.map(\.count).reduce(0, +) }
        let all = try posts()
        #expect(Set(all.map(\.id)).count == all.count, "an event was posted twice")
        for (order, types) in expected {
            #expect(all.filter { $0.data.object.orderID == order }.map(\.type).sorted() == types.sorted(), "order \(order)")
        }
        for hook in try sink.hooks() {
            #expect(throws: Never.self) {
                try WebhookSignature.verify(body: hook.body, header: hook.headers["Shop-Signature"], secrets: [Self.secret],
                                            now: Int64(Date().timeIntervalSince1970))
            }
        }
        #expect(all.first { $0.type == "order.partially_refunded" }?.data.refund_amount == 1000)
        #expect(all.first { $0.type == "order.refunded" && $0.data.object.orderID == a }?.data.object.refundedAmount == 2400)
        #expect(all.first { $0.type == "order.refund_failed" }?.data.reason?.contains("failed after it had succeeded") == true)

        // Emails: the dispute alert to the merchant with its deadline; refunds and the cancellation to the customer.
        try waitUntil("the emails") { try sink.mails().contains { $0.rcpt_tos == ["merchant@example.com"] } }
        let mails = try sink.mails()
        let alert = try #require(mails.first { $0.rcpt_tos == ["merchant@example.com"] })
        #expect(alert.subject.hasPrefix("Dispute on order \(b): $24.00, respond by "))
        #expect(alert.text?.contains("Reason: fraudulent") == true)
        #expect(alert.text?.contains("Evidence is due by") == true)
        #expect(mails.filter { $0.rcpt_tos == ["merchant@example.com"] }.count == 1)
        #expect(mails.contains { $0.subject == "Partial refund for order \(a): $10.00" && $0.rcpt_tos == ["buyer@example.com"] })
        #expect(mails.contains { $0.subject == "Refund for order \(a): $14.00" })
        #expect(mails.contains { $0.subject == "Order \(c) is canceled" })
    }
}
