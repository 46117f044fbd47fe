import Crypto
import Foundation
import Messages
import Testing
import Transport
import Wire

/// notifier as a real process, fed by a real fulfillment (itself fed by the real payments service, which
/// takes signed Stripe webhooks): emails
/// over real SMTP (aiosmtpd), the .eml fallback, signed merchant posts, retries and permanent failures.
@Suite("Notifier")
struct NotifierTests {
    static let secret = "whsec_test_merchant_0123456789"

    /// fulfillment + notifier + payments, the notifier configured with `notifierEnv`.
    private func stack(_ notifierEnv: [String: String]) throws -> (ShopStack, [ServiceProcess]) {
        let s = try ShopStack()
        let ful = try s.start("fulfillment", ["CATALOG_FILE": try s.catalogFile(ShopStack.testCatalog)])
        let not = try s.start("notifier", notifierEnv)
        let pay = try s.startPayments()
        return (s, [ful, not, pay])
    }

    /// Stripe's payment_intent.succeeded for `order`, delivered to payments as a signed webhook.
    private func pay(_ s: ShopStack, _ order: Order) throws {
        #expect(try s.publish([ShopStack.payment("payment_intent.succeeded", order: order)]) == ["accepted"])
    }

    private func eventID(_ s: ShopStack, _ type: String, order: Order) throws -> String {
        try s.sql("fulfillment", "SELECT event_id FROM outbox_events WHERE type = '\(type)' AND key = '\(order.orderID)'").first ?? "?"
    }

    @Test("fulfilment emails over real SMTP: recipient, headers, both MIME parts, amounts formatted per currency")
    func smtpEmails() throws {
        let sink = try MailSink()
        let (s, procs) = try stack(["SMTP_URL": sink.smtpURL, "SMTP_FROM": "Dragon Shop 龙 <orders@shop.example>"])
        let cny = try s.createOrder([("tee", 1)], email: "li@example.cn")
        let usd = try s.createOrder([("mug", 1)], email: "sam@example.com")
        let jpy = try s.createOrder([("fan", 2)], email: "ken@example.jp")
        let bhd = try s.createOrder([("oud", 1)], email: "ali@example.bh")
        for o in [cny, usd, jpy, bhd] { try pay(s, o) }
        try s.waitUntil("4 emails") { try sink.mails().count == 4 }
        let mails = try sink.mails()
        func mail(to: String) -> MailSink.Mail? { mails.first { $0.rcpt_tos == [to] } }

        let m = try #require(mail(to: "li@example.cn"))
        #expect(m.mail_from == "orders@shop.example")
        #expect(m.to == "li@example.cn")
        #expect(m.from == "Dragon Shop 龙 <orders@shop.example>", "non-ASCII display name decoded back")
        #expect(m.subject == "Thank you — order \(cny.orderID) is confirmed")
        #expect(m.raw_subject.hasPrefix("=?UTF-8?B?"), "non-ASCII subject must be RFC 2047 encoded: \(m.raw_subject)")
        #expect(m.message_id == "<\(try eventID(s, "order.fulfilled", order: cny)).email@shop.example>")
        #expect(m.date.hasSuffix("+0000") && m.date.count > 20)
        #expect(m.content_type == "multipart/alternative")
        let text = try #require(m.text), html = try #require(m.html)
        #expect(text.contains("¥4.00") && text.contains(cny.orderID) && text.contains("Dragon T-shirt (龙)"))
        #expect(html.contains("¥4.00") && html.contains("<table>") && html.contains(cny.orderID))
        #expect(mail(to: "sam@example.com")?.text?.contains("$4.00") == true)
        #expect(mail(to: "ken@example.jp")?.text?.contains("¥3,000") == true, "jpy has no minor unit")
        #expect(mail(to: "ali@example.bh")?.text?.contains("BHD 1.234") == true, "bhd has three decimals")

        #expect(try s.count("notifier", "SELECT COUNT(*) FROM deliveries WHERE channel = 'email' AND status = 'delivered'") == 4)
        // order.paid events send no email; only fulfilment does.
        #expect(try s.count("notifier", "SELECT COUNT(*) FROM inbox_events") == 8)

        // A restart never resends what was delivered.
        procs[1].signal(SIGTERM)
        #expect(procs[1].waitForExit() == 0)
        try procs[1].restart()
        let another = try s.createOrder([("mug", 1)], email: "late@example.com")
        try pay(s, another)
        try s.waitUntil("5th email") { try sink.mails().count == 5 }
        usleep(300_000)
        #expect(try sink.mails().count == 5)
        _ = procs
    }

    @Test("payment failure email links back to pay at PUBLIC_BASE_URL, with an order token in the fragment")
    func paymentFailedEmail() throws {
        let sink = try MailSink()
        let (s, procs) = try stack(["SMTP_URL": sink.smtpURL, "PUBLIC_BASE_URL": "https://shop.example/"])
        let order = try s.createOrder([("mug", 2)], email: "sam@example.com")
        try s.publish([ShopStack.payment("payment_intent.payment_failed", order: order, failure: "Your card was declined.")])
        try s.waitUntil("1 email") { try sink.mails().count == 1 }
        let m = try #require(try sink.mails().first)
        #expect(m.subject.contains("did not go through") && m.subject.contains(order.orderID))
        let link = "https://shop.example/order/pay?order_id=\(order.orderID)"
        #expect(m.text?.contains(link) == true)
        #expect(m.text?.contains("Your card was declined.") == true)
        #expect(m.text?.contains("$8.00") == true)
        // The link carries a token of its own in the fragment: the order id alone opens no payment.
        #expect(m.text?.contains(link + "#token=otk_") == true)
        #expect(m.html?.contains("href=\"\(link)#token=otk_") == true)
        _ = procs
    }

    @Test("without SMTP_URL emails are written as .eml files under the data directory")
    func emlFallback() throws {
        let (s, procs) = try stack([:])
        let order = try s.createOrder([("tee", 1)], email: "li@example.cn")
        try pay(s, order)
        let id = try { () throws -> String in
            try s.waitUntil("fulfilled event") { try eventID(s, "order.fulfilled", order: order) != "?" }
            return try eventID(s, "order.fulfilled", order: order)
        }()
        let path = s.dir.file("d/notifier/outbox-mail/\(id).eml")
        try s.waitUntil(".eml written") { FileManager.default.fileExists(atPath: path) }
        let eml = try String(contentsOfFile: path, encoding: .utf8)
        // Addresses and orders: readable by the notifier's user only, whatever the umask.
        let mode = try #require(try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int)
        #expect(mode & 0o777 == 0o600, "mode \(String(mode, radix: 8))")
        #expect(eml.contains("\r\nMessage-ID: <\(id).email@localhost>\r\n"))
        #expect(eml.contains("\r\nTo: li@example.cn\r\n"))
        #expect(eml.contains("Content-Type: multipart/alternative"))
        #expect(eml.contains("Content-Type: text/plain; charset=utf-8") && eml.contains("Content-Type: text/html; charset=utf-8"))
        // Decode the text part (base64) and look for the amount.
        let afterHeader = try #require(eml.range(of: "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n"))
        let b64 = eml[afterHeader.upperBound...].prefix { $0 != "-" }.replacingOccurrences(of: "\r\n", with: "")
        let text = String(decoding: try #require(Data(base64Encoded: b64)), as: UTF8.self)
        #expect(text.contains("¥4.00"))
        #expect(try s.count("notifier", "SELECT COUNT(*) FROM deliveries WHERE status = 'delivered'") == 1)
        _ = procs
    }

    @Test("an .eml directory that cannot be written is retried with backoff, then each email is written once, complete")
    func emlDirectoryRetried() throws {
        let s = try ShopStack()
        let mailDir = s.dir.file("mail")
        // A regular file where the directory should be: every write fails until it is removed.
        try Data("not a directory".utf8).write(to: URL(fileURLWithPath: mailDir))
        let ful = try s.start("fulfillment", ["CATALOG_FILE": try s.catalogFile(ShopStack.testCatalog)])
        let not = try s.start("notifier", ["NOTIFIER_MAIL_DIR": mailDir, "NOTIFIER_RETRY_BASE_MS": "20", "NOTIFIER_RETRY_MAX_MS": "100"])
        let payments = try s.startPayments()
        let orders = try (0..<3).map { i in try s.createOrder([("mug", 1)], email: "retry\(i)@example.com") }
        for o in orders { try pay(s, o) }
        try s.waitUntil("retried") {
            try s.count("notifier", "SELECT COUNT(*) FROM deliveries WHERE status = 'pending' AND attempts >= 2") == 3
        }
        #expect(try s.sql("notifier", "SELECT DISTINCT last_error FROM deliveries").allSatisfy { $0.contains("cannot write the .eml file") })
        #expect(try s.count("notifier", "SELECT COUNT(*) FROM deliveries WHERE status != 'pending'") == 0)
        try FileManager.default.removeItem(atPath: mailDir)
        try s.waitUntil("delivered") { try s.count("notifier", "SELECT COUNT(*) FROM deliveries WHERE status = 'delivered'") == 3 }
        let names = try FileManager.default.contentsOfDirectory(atPath: mailDir).sorted()
        let ids = try orders.map { try eventID(s, "order.fulfilled", order: $0) + ".eml" }.sorted()
        #expect(names == ids, "one file per email under its final name, no temporary file left: \(names)")
        for name in names {
            #expect(EML.isComplete(try Data(contentsOf: URL(fileURLWithPath: mailDir + "/" + name))), "\(name) is complete")
        }
        _ = (ful, not, payments)
    }

    @Test("a 5xx SMTP reply is a permanent failure listed by 'notifier failures'")
    func permanentFailure() throws {
        let sink = try MailSink(mode: "reject5xx")
        let (s, procs) = try stack(["SMTP_URL": sink.smtpURL, "NOTIFIER_RETRY_BASE_MS": "10"])
        let order = try s.createOrder([("mug", 1)], email: "nobody@example.com")
        try pay(s, order)
        try s.waitUntil("failed permanently") {
            try s.count("notifier", "SELECT COUNT(*) FROM deliveries WHERE status = 'failed_permanent'") == 1
        }
        #expect(try s.sql("notifier", "SELECT attempts FROM deliveries") == ["1"], "a permanent failure is not retried")
        let r = try s.command("notifier", ["failures"])
        #expect(r.status == 0)
        #expect(r.stdout.contains("1 failed delivery"))
        #expect(r.stdout.contains(try eventID(s, "order.fulfilled", order: order)))
        #expect(r.stdout.contains("550"), "the SMTP reply is shown: \(r.stdout)")
        #expect(try sink.mails().isEmpty)
        _ = procs
    }

    @Test("4xx SMTP replies are retried with backoff until delivered")
    func transientFailure() throws {
        let sink = try MailSink(mode: "tempfail:2")
        let (s, procs) = try stack(["SMTP_URL": sink.smtpURL, "NOTIFIER_RETRY_BASE_MS": "20", "NOTIFIER_RETRY_MAX_MS": "100"])
        let order = try s.createOrder([("mug", 1)], email: "sam@example.com")
        try pay(s, order)
        try s.waitUntil("delivered") { try sink.mails().count == 1 }
        try s.waitUntil("recorded") { try s.sql("notifier", "SELECT status, attempts FROM deliveries") == ["delivered|3"] }
        let r = try s.command("notifier", ["failures"])
        #expect(r.stdout.contains("0 failed deliveries"))
        _ = procs
    }

    @Test("merchant posts: every order event, signed (Shop-Signature) and keyed (Idempotency-Key), retried on 503")
    func merchantWebhook() throws {
        let sink = try MailSink(http: true, httpMode: "fail:1")
        let (s, procs) = try stack(["MERCHANT_WEBHOOK_URL": sink.webhookURL, "MERCHANT_WEBHOOK_SECRET": Self.secret,
                                    "NOTIFIER_RETRY_BASE_MS": "20"])
        let order = try s.createOrder([("mug", 1)])
        try pay(s, order)
        try s.waitUntil("2 posts") { try sink.hooks().count == 2 }
        let hooks = try sink.hooks()
        var types: [String] = []
        for h in hooks {
            let signature = h.headers["Shop-Signature"]
            #expect(throws: Never.self) {
                try WebhookSignature.verify(body: h.body, header: signature, secrets: [Self.secret], now: Int64(Date().timeIntervalSince1970))
            }
            #expect(throws: (any Error).self) {
                try WebhookSignature.verify(body: h.body, header: signature, secrets: ["whsec_wrong_secret_000000"],
                                            now: Int64(Date().timeIntervalSince1970))
            }
            struct Posted: Decodable {
                struct D: Decodable { var object: Order; var payment_intent_id: String? }
                var id: String; var object: String; var type: String; var created: Int64; var data: D
            }
            let posted = try JSONDecoder().decode(Posted.self, from: Data(h.body))
            #expect(h.headers["Idempotency-Key"] == posted.id)
            #expect(h.headers["Content-Type"] == "application/json")
            #expect(posted.object == "event" && posted.data.object.orderID == order.orderID)
            #expect(try posted.id == eventID(s, posted.type, order: order))
            types.append(posted.type)
        }
        #expect(Set(types) == ["order.paid", "order.fulfilled"])
        try s.waitUntil("recorded") {
            try s.count("notifier", "SELECT COUNT(*) FROM deliveries WHERE channel = 'webhook' AND status = 'delivered'") == 2
        }
        #expect(try s.count("notifier", "SELECT SUM(attempts) FROM deliveries WHERE channel = 'webhook'") == 3, "one 503 retried")
        _ = procs
    }

    @Test("bad notifier configuration stops start-up with exit 78 naming the variable")
    func badConfig() throws {
        let s = try ShopStack()
        var r = try s.command("notifier", ["serve"], ["MERCHANT_WEBHOOK_URL": "http://127.0.0.1:1/x"])
        #expect(r.status == 78 && r.stderr.contains("MERCHANT_WEBHOOK_SECRET"))
        r = try s.command("notifier", ["serve"], ["SMTP_URL": "http://mail.example"])
        #expect(r.status == 78 && r.stderr.contains("SMTP_URL"))
        r = try s.command("notifier", ["serve"], ["SMTP_URL": "smtp://mail.example:25", "SMTP_USERNAME": "u", "SMTP_PASSWORD": "p",
                                                  "SMTP_STARTTLS": "off"])
        #expect(r.status == 78 && r.stderr.contains("SMTP_STARTTLS") && !r.stderr.contains("=p"))
    }
}

/// Checks on `.eml` files written by the notifier.
enum EML {
    /// A whole message: starts with the headers and ends with the closing line of its own MIME boundary.
    static func isComplete(_ data: Data) -> Bool {
        let text = String(decoding: data, as: UTF8.self)
        guard text.hasPrefix("Date: "), let r = text.range(of: "boundary=\""),
              let end = text[r.upperBound...].firstIndex(of: "\"") else { return false }
        return text.hasSuffix("\r\n--\(text[r.upperBound..<end])--\r\n")
    }

    /// The `.eml` files and the other entries (temporary files) of a mail directory.
    static func list(_ dir: String) -> (eml: [String], other: [String]) {
        let all = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
        return (all.filter { $0.hasSuffix(".eml") }, all.filter { !$0.hasSuffix(".eml") })
    }
}
