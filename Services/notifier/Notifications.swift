import Core
import Foundation
import Events
import Messages
import Storage
import Wire

/// Decides and renders what an order event turns into: an email to the customer (on `order.fulfilled`
/// and `order.payment_failed`) and a signed post to the merchant (every order event, when configured).
/// Pure functions of the event and the configuration; ``record(_:in:now:)`` stores them as pending
/// deliveries inside the inbox transaction.
enum Notifications {
    /// One delivery to make.
    struct Planned: Sendable, Equatable {
        var eventID: String
        var channel: String
        var eventType: String
        var orderID: String
        /// An email address or the webhook URL.
        var recipient: String
        var payload: [UInt8]
    }

    /// Whether `type` sends an email: to the customer (``emailTypes``), or a dispute alert to the merchant.
    static func sendsEmail(_ type: String, config: NotifierConfig) -> Bool {
        emailTypes.contains(type) || (type == "order.disputed" && config.merchantEmail != nil)
    }

    /// The event types that send the customer an email.
    static let emailTypes: Set<String> = ["order.fulfilled", "order.payment_failed", "order.refunded", "order.partially_refunded",
                                          "order.canceled"]

    /// What one consumed order event turns into. Decodes only what that needs: nothing for an event that
    /// sends no email when no merchant webhook is configured (`order.paid`, ...), the few fields of
    /// ``MailFacts`` for an email alone, the whole ``OrderEvent`` only for the merchant post.
    static func plan(_ event: ConsumedEvent, config: NotifierConfig) throws -> [Planned] {
        let header = event.header
        if config.webhookURL != nil {
            let full = try event.data(OrderEvent.self)
            return try plan(eventID: header.eventID, type: event.type, occurredAt: header.occurredAt, facts: MailFacts(full),
                            full: full, config: config)
        }
        guard sendsEmail(event.type, config: config) else { return [] }
        return try plan(eventID: header.eventID, type: event.type, occurredAt: header.occurredAt,
                        facts: try event.data(MailFacts.self), full: nil, config: config)
    }

    /// `full` is needed (and only used) when a merchant webhook is configured.
    static func plan(eventID: String, type: String, occurredAt: Int64, facts: MailFacts, full: OrderEvent?,
                     config: NotifierConfig) throws -> [Planned] {
        var out: [Planned] = []
        let order = facts.order
        if let mail = email(eventID: eventID, type: type, occurredAt: occurredAt, facts: facts, config: config) {
            out.append(Planned(eventID: eventID, channel: "email", eventType: type, orderID: order.orderID,
                               recipient: mail.to.address, payload: mail.render()))
        }
        if let url = config.webhookURL, let full {
            out.append(Planned(eventID: eventID, channel: "webhook", eventType: type, orderID: order.orderID, recipient: url,
                               payload: try merchantBody(eventID: eventID, type: type, occurredAt: occurredAt, event: full)))
        }
        return out
    }

    /// Stores planned deliveries as pending (a redelivered event adds nothing: the key is event + channel).
    static func record(_ planned: [Planned], in c: Connection, now: Int64) throws {
        for p in planned {
            try c.execute("""
                INSERT OR IGNORE INTO deliveries(event_id, channel, event_type, order_id, recipient, payload, next_attempt_at, created_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """, p.eventID, p.channel, p.eventType, p.orderID, p.recipient, p.payload, now, now)
        }
    }

    /// The `Message-ID` of an event's email: stable per event and channel, so a resend after a crash
    /// between sending and recording carries the same id and the far side can drop it.
    static func messageID(eventID: String, channel: String, from: MailAddress) -> String {
        "\(eventID).\(channel)@\(from.domain)"
    }

    /// The customer email for `type`, or nil when this event type sends none.
    static func email(eventID: String, type: String, occurredAt: Int64, facts: MailFacts, config: NotifierConfig) -> MailMessage? {
        guard sendsEmail(type, config: config) else { return nil }
        let order = facts.order
        if type == "order.disputed" { return disputeAlert(eventID: eventID, occurredAt: occurredAt, facts: facts, config: config) }
        guard let to = MailAddress.parse(order.email) else { return nil }
        let total = Money.format(order.amount, currency: order.currency)
        let textLines = order.items.map { "  \($0.quantity) × \($0.name)  \(Money.format($0.amount, currency: order.currency))" }
        let htmlRows = order.items.map {
            "<tr><td>\($0.quantity) &times; \(html($0.name))</td><td style=\"text-align:right\">\(html(Money.format($0.amount, currency: order.currency)))</td></tr>"
        }.joined(separator: "\n")
        let subject: String, text: String, body: String
        switch type {
        case "order.fulfilled":
            subject = "Thank you — order \(order.orderID) is confirmed"
            text = """
                Hello,

                thank you for your order \(order.orderID). We received your payment of \(total) and your order is on its way.

                \(textLines.joined(separator: "\n"))

                Total: \(total)

                Order reference: \(order.orderID)

                """
            body = """
                <p>Hello,</p>
                <p>thank you for your order <strong>\(html(order.orderID))</strong>. We received your payment of \
                <strong>\(html(total))</strong> and your order is on its way.</p>
                <table>
                \(htmlRows)
                <tr><td><strong>Total</strong></td><td style="text-align:right"><strong>\(html(total))</strong></td></tr>
                </table>
                <p>Order reference: \(html(order.orderID))</p>
                """
        case "order.payment_failed":
            // The token rides in the fragment, which browsers never send to a server: it stays out of the
            // shop's and any proxy's access logs.
            var link = config.publicBaseURL + "/order/pay?order_id=" + PercentEncoding.encode(order.orderID)
            if let token = facts.payToken { link += "#token=" + PercentEncoding.encode(token) }
            let reason = facts.reason ?? "the payment was not completed"
            subject = "Payment for order \(order.orderID) did not go through"
            text = """
                Hello,

                your payment of \(total) for order \(order.orderID) did not go through: \(reason)

                Your items are still reserved for you. To try again, with the same or another payment method, open:

                \(link)

                \(textLines.joined(separator: "\n"))

                Total: \(total)

                """
            body = """
                <p>Hello,</p>
                <p>your payment of <strong>\(html(total))</strong> for order <strong>\(html(order.orderID))</strong> \
                did not go through: \(html(reason))</p>
                <p>Your items are still reserved for you. <a href="\(html(link))">Try again</a> with the same or another payment method.</p>
                <table>
                \(htmlRows)
                <tr><td><strong>Total</strong></td><td style="text-align:right"><strong>\(html(total))</strong></td></tr>
                </table>
                """
        case "order.refunded", "order.partially_refunded":
            let refund = Money.format(facts.refundAmount ?? 0, currency: order.currency)
            let refunded = Money.format(facts.order.refundedAmount ?? facts.refundAmount ?? 0, currency: order.currency)
            let full = type == "order.refunded"
            let why = facts.latePayment == true
                ? "Your payment arrived after order \(order.orderID) had expired, so we could not accept it and have refunded it in full."
                : full ? "Your payment of \(total) for order \(order.orderID) has now been refunded in full."
                       : "In all, \(refunded) of your payment of \(total) has been refunded."
            subject = full ? "Refund for order \(order.orderID): \(refund)" : "Partial refund for order \(order.orderID): \(refund)"
            text = """
                Hello,

                we have refunded \(refund) to you for order \(order.orderID).

                \(why)

                Refunds usually appear on your statement within 5 to 10 business days.

                Order reference: \(order.orderID)

                """
            body = """
                <p>Hello,</p>
                <p>we have refunded <strong>\(html(refund))</strong> to you for order <strong>\(html(order.orderID))</strong>.</p>
                <p>\(html(why))</p>
                <p>Refunds usually appear on your statement within 5 to 10 business days.</p>
                <p>Order reference: \(html(order.orderID))</p>
                """
        case "order.canceled":
            subject = "Order \(order.orderID) is canceled"
            text = """
                Hello,

                your order \(order.orderID) of \(total) is canceled. Its payment can no longer be made and you have not been charged.

                \(textLines.joined(separator: "\n"))

                Order reference: \(order.orderID)

                """
            body = """
                <p>Hello,</p>
                <p>your order <strong>\(html(order.orderID))</strong> of <strong>\(html(total))</strong> is canceled. \
                Its payment can no longer be made and you have not been charged.</p>
                <table>
                \(htmlRows)
                </table>
                <p>Order reference: \(html(order.orderID))</p>
                """
        default:
            return nil
        }
        let page = "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>\(html(subject))</title></head><body>\n"
            + body + "\n</body></html>\n"
        return MailMessage(from: config.from, to: to, subject: subject, text: text, html: page,
                           messageID: messageID(eventID: eventID, channel: "email", from: config.from), date: occurredAt)
    }

    /// The merchant's alert of a dispute (`MERCHANT_EMAIL`): amount, reason and the evidence deadline.
    static func disputeAlert(eventID: String, occurredAt: Int64, facts: MailFacts, config: NotifierConfig) -> MailMessage? {
        guard let to = config.merchantEmail, let dispute = facts.order.dispute else { return nil }
        let order = facts.order
        let amount = Money.format(dispute.amount, currency: dispute.currency)
        let due = dispute.dueBy.map { Date(timeIntervalSince1970: TimeInterval($0)).ISO8601Format() }
        let deadline = due.map { "Evidence is due by \($0) (UTC); answer in the Stripe Dashboard before then or the dispute is lost." }
            ?? "No response is possible for this dispute."
        let subject = "Dispute on order \(order.orderID): \(amount), respond by \(due ?? "-")"
        let text = """
            A customer's bank disputed the payment of order \(order.orderID).

            Amount: \(amount)
            Reason: \(dispute.reason ?? "unknown")
            Dispute: \(dispute.disputeID)

            \(deadline)

            """
        let body = """
            <p>A customer's bank disputed the payment of order <strong>\(html(order.orderID))</strong>.</p>
            <p>Amount: <strong>\(html(amount))</strong><br>Reason: \(html(dispute.reason ?? "unknown"))<br>Dispute: \(html(dispute.disputeID))</p>
            <p>\(html(deadline))</p>
            """
        let page = "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>\(html(subject))</title></head><body>\n"
            + body + "\n</body></html>\n"
        return MailMessage(from: config.from, to: to, subject: subject, text: text, html: page,
                           messageID: messageID(eventID: eventID, channel: "email", from: config.from), date: occurredAt)
    }

    /// The JSON posted to the merchant, shaped like a Stripe event so merchants can reuse their code:
    /// `{"id","object":"event","type","created","data":{"object":<Order>,"payment_intent_id"?,"reason"?}}`.
    static func merchantBody(eventID: String, type: String, occurredAt: Int64, event: OrderEvent) throws -> [UInt8] {
        try RawJSON(encoding: MerchantEvent(id: eventID, type: type, created: occurredAt / 1000,
                                            data: .init(object: event.order, paymentIntentID: event.paymentIntentID,
                                                        reason: event.reason, refundAmount: event.refundAmount,
                                                        refundID: event.refundID, latePayment: event.latePayment))).bytes
    }

    static func html(_ s: String) -> String { HTML.escape(s) }
}

/// The part of an order event an email needs: decoded from the event without the order's history, flow,
/// timestamps and SKUs, which the inbox handler would otherwise decode for every event.
struct MailFacts: Decodable, Sendable {
    struct Line: Decodable, Sendable {
        var name: String
        var quantity: Int
        var amount: Int
    }
    struct OrderPart: Decodable, Sendable {
        var orderID: String
        var email: String
        var currency: String
        var amount: Int
        var items: [Line]
        var refundedAmount: Int?
        var dispute: DisputePart?
        enum CodingKeys: String, CodingKey {
            case email, currency, amount, items, dispute
            case orderID = "order_id"
            case refundedAmount = "refunded_amount"
        }
    }
    struct DisputePart: Decodable, Sendable {
        var disputeID: String
        var amount: Int
        var currency: String
        var reason: String?
        var dueBy: Int64?
        enum CodingKeys: String, CodingKey {
            case amount, currency, reason
            case disputeID = "dispute_id"
            case dueBy = "due_by"
        }
    }
    var order: OrderPart
    var reason: String?
    /// The order token for the pay-again link (`order.payment_failed`).
    var payToken: String?
    var refundAmount: Int?
    var latePayment: Bool?

    enum CodingKeys: String, CodingKey {
        case order, reason
        case payToken = "pay_token"
        case refundAmount = "refund_amount"
        case latePayment = "late_payment"
    }

    init(_ event: OrderEvent) {
        let o = event.order
        order = OrderPart(orderID: o.orderID, email: o.email, currency: o.currency, amount: o.amount,
                          items: o.items.map { Line(name: $0.name, quantity: $0.quantity, amount: $0.amount) },
                          refundedAmount: o.refundedAmount,
                          dispute: o.dispute.map { DisputePart(disputeID: $0.disputeID, amount: $0.amount, currency: $0.currency,
                                                               reason: $0.reason, dueBy: $0.dueBy) })
        reason = event.reason
        payToken = event.payToken
        refundAmount = event.refundAmount
        latePayment = event.latePayment
    }
}

/// A merchant webhook body (see ``Notifications/merchantBody(eventID:type:occurredAt:event:)``).
struct MerchantEvent: Encodable, Sendable {
    struct Payload: Encodable, Sendable {
        var object: Order
        var paymentIntentID: String?
        var reason: String?
        var refundAmount: Int?
        var refundID: String?
        var latePayment: Bool?
        enum CodingKeys: String, CodingKey {
            case object, reason, paymentIntentID = "payment_intent_id", refundAmount = "refund_amount", refundID = "refund_id"
            case latePayment = "late_payment"
        }
    }
    var id: String
    var object = "event"
    var type: String
    /// Unix seconds, like Stripe's `created`.
    var created: Int64
    var data: Payload
}
