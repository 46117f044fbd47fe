import Foundation
import Testing
import Wire

/// The refund flow of payments against localstripe (a third-party Stripe emulator that supports refunds,
/// without refund events, without `reason`, and without Stripe's over-refund check): the request, Stripe's answer, the books from its list.
@Suite("refunds against localstripe")
struct LocalstripeRefundTests {
    @Test("localstripe: a partial refund, then the rest; a repeated request id answers the same refund; each refund in the books once")
    func partialThenRest() throws {
        let stack = try PaymentsTests.Stack(webhooks: true)
        let (intent, _, confirm) = try stack.pay(PaymentsTests.order, card: "4242424242424242")
        #expect(confirm.status == 200)
        try waitUntil("payment_intent.succeeded published") { try stack.published("payment_intent.succeeded", order: "ord_ls_1") == 1 }

        let first = jsonObject(try stack.call("payments.refund", #"{"order_id":"ord_ls_1","amount":300,"request_id":"rr_ls_1"}"#).get())
        let refundID = try #require(first["refund_id"] as? String)
        #expect(refundID.hasPrefix("re_"))
        #expect(first["status"] as? String == "succeeded")
        #expect(first["amount"] as? Int == 300)
        #expect(first["refunded_amount"] as? Int == 300)
        #expect(first["payment_intent_id"] as? String == intent)
        let again = jsonObject(try stack.call("payments.refund", #"{"order_id":"ord_ls_1","amount":300,"request_id":"rr_ls_1"}"#).get())
        #expect(again["refund_id"] as? String == refundID)

        // localstripe refunds the whole charge when no amount is given (Stripe refunds what is left), so the
        // rest is asked for explicitly here.
        let rest = jsonObject(try stack.call("payments.refund", #"{"order_id":"ord_ls_1","amount":500,"request_id":"rr_ls_2"}"#).get())
        #expect(rest["amount"] as? Int == 500)
        #expect(rest["refunded_amount"] as? Int == 800)

        let listed = try HTTPTestClient(port: stack.localstripe.port).get("/v1/refunds?payment_intent=\(intent)",
                                                                          headers: [("Authorization", "Bearer sk_test_localstripe")]).json["data"] as? [[String: Any]] ?? []
        #expect(listed.count == 2)
        #expect(Set(listed.compactMap { ($0["metadata"] as? [String: String])?["refund_request"] }) == ["rr_ls_1", "rr_ls_2"])
        #expect(try sqlite(stack.database, "SELECT count(*), sum(amount) FROM refunds WHERE status = 'succeeded'") == ["2|800"])
        #expect(try stack.published("payment.refund_changed", order: "ord_ls_1") == 2)
    }
}
