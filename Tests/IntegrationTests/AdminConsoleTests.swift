import Crypto
import Foundation
import Messages
import Testing
import Transport
import Wire

/// The operator console (issue 18) on the real stack: its own listener, bearer tokens and sessions, the
/// API served by the services over their sockets, audited idempotent actions.
@Suite(.serialized)
struct AdminConsoleTests {
    /// A full stack (its console on a free port, with ``TestConsole``'s tokens) and a client for the console.
    static func stack(_ extra: [String: String] = [:]) throws -> (FullStack, HTTPTestClient) {
        let stack = try FullStack(environment: extra, emulatorEnvironment: ["EMULATOR_ASYNC_SETTLE_MS": "0"])
        return (stack, HTTPTestClient(port: try TestConsole.port(of: stack.gateway)))
    }

    /// Logs in through the page and returns the session cookie and the CSRF token of its forms.
    static func login(_ admin: HTTPTestClient, token: String) throws -> (cookie: String, csrf: String) {
        let r = try admin.send("POST", "/admin/login", headers: [("Content-Type", "application/x-www-form-urlencoded")],
                               body: Array("token=\(token)".utf8))
        #expect(r.status == 303, "\(r)")
        let setCookie = try #require(r.header("Set-Cookie"))
        #expect(setCookie.contains("HttpOnly") && setCookie.contains("SameSite=Strict") && setCookie.contains("Max-Age="))
        #expect(!setCookie.contains("Secure"), "plain-http console: no Secure flag")
        let cookie = String(setCookie.prefix { $0 != ";" })
        let page = try admin.get("/admin/dead-letters", headers: [("Cookie", cookie)])
        #expect(page.status == 200)
        let csrf = try #require(page.text.range(of: #"name="csrf" value=""#).map { String(page.text[$0.upperBound...].prefix { $0 != "\"" }) })
        #expect(csrf.count == 48)
        return (cookie, csrf)
    }

    @Test("gateway admin-token makes a token whose line opens the console; no tokens file: the console is off; a bad one stops start-up")
    func tokenCommandAndStartUp() throws {
        let dir = try TemporaryDirectory()
        let env = ServiceProcess.environment(in: dir, extra: ["GATEWAY_PORT": "0", "ADMIN_PORT": "0"])
        let made = try runCommand(Binaries.path("gateway"), ["admin-token", "alice", "read"], environment: env)
        #expect(made.status == 0)
        let line = made.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let token = try #require(made.stderr.range(of: "shown once: ").map { String(made.stderr[$0.upperBound...].prefix { !$0.isWhitespace }) })
        #expect(token.hasPrefix("adm_") && token.count == 68)
        #expect(line == "alice read \(Hex.encode(Digest.sha256(Array(token.utf8))))", "the file keeps only the hash")
        #expect(try runCommand(Binaries.path("gateway"), ["admin-token", "alice", "admin"], environment: env).status == 64)

        // Without ADMIN_TOKENS_FILE: no console listener, and the log says so.
        let off = try ServiceProcess("gateway", environment: env, logDirectory: dir)
        try waitUntil("the gateway says the console is off") { off.log.contains("operator console off") }
        off.signal(SIGTERM)
        _ = off.waitForExit()

        // A malformed file stops start-up, naming the variable and the line (never a hash).
        try "alice read nothex\n".write(toFile: dir.file("bad-tokens"), atomically: true, encoding: .utf8)
        let bad = try runCommand(Binaries.path("gateway"), ["serve"], environment: env.merging(["ADMIN_TOKENS_FILE": dir.file("bad-tokens")]) { $1 })
        #expect(bad.status == 78)
        #expect(bad.stderr.contains("ADMIN_TOKENS_FILE") && bad.stderr.contains("line 1"), "\(bad.stderr)")

        // The command's line opens the console (no other service runs: the read answers 503, not 401).
        try (line + "\n").write(toFile: dir.file("tokens"), atomically: true, encoding: .utf8)
        let on = try ServiceProcess("gateway", environment: env.merging(["ADMIN_TOKENS_FILE": dir.file("tokens")]) { $1 }, logDirectory: dir)
        let admin = HTTPTestClient(port: try TestConsole.port(of: on))
        #expect(try admin.get("/admin/api/audit").status == 401)
        #expect(try admin.get("/admin/api/audit", headers: TestConsole.bearer(token)).status == 503)
        #expect(try admin.get("/admin/api/audit", headers: TestConsole.bearer(token + "0")).status == 401)
        #expect(!on.log.contains(token), "the token reached the log")
        on.signal(SIGTERM)
        _ = on.waitForExit()
    }

    @Test("every console route: 401 without a token, reads with read, actions only with write; nothing on the public port")
    func authorization() throws {
        let (stack, admin) = try Self.stack()
        let order = try stack.create(sku: "sticker", quantity: 1)
        let orderID = try #require(order["order_id"] as? String)
        let routes = try runCommand(Binaries.path("gateway"), ["routes"], environment: stack.env).stdout
            .split(separator: "\n").filter { $0.contains(" /admin/api/") }
        #expect(routes.count >= 12, "\(routes)")
        for route in routes {
            let parts = route.split(separator: " ")
            let method = String(parts[0]).uppercased()
            let path = String(parts[1]).replacingOccurrences(of: "{order_id}", with: orderID)
                .replacingOccurrences(of: "{event_id}", with: "evt_none").replacingOccurrences(of: "{service}", with: "payments").replacingOccurrences(of: "{sku}", with: "sticker")
            let none = try admin.send(method, path, headers: method == "POST" ? [("Content-Type", "application/json")] : [],
                                      body: method == "POST" ? Array("{}".utf8) : [])
            #expect(none.status == 401, "\(route) without a token: \(none)")
            #expect(none.header("WWW-Authenticate") == "Bearer")
            let wrong = try admin.send(method, path, headers: TestConsole.bearer("adm_wrong"), body: method == "POST" ? Array("{}".utf8) : [])
            #expect(wrong.status == 401, "\(route) with a wrong token")
            // Nothing of the console exists on the public port.
            let publicPort = try stack.http.send(method, path, headers: TestConsole.writeAuth, body: method == "POST" ? Array("{}".utf8) : [])
            #expect(publicPort.status == 404 || publicPort.status == 405, "\(route) on the public port: \(publicPort)")
            let read = try admin.send(method, path, headers: TestConsole.readAuth, body: method == "POST" ? Array("{}".utf8) : [])
            if method == "POST" {
                #expect(read.status == 403 && read.errorValue("reason") == "read_only_token", "\(route) with read: \(read)")
            } else if path.contains("evt_none") {
                #expect(read.status == 404, "\(route) with read: \(read)")
            } else {
                #expect(read.status == 200, "\(route) with read: \(read)")
            }
            if method == "GET" {
                let write = try admin.send(method, path, headers: TestConsole.writeAuth)
                #expect(write.status == read.status, "\(route) with write: \(write)")
            }
        }
        // The write token's actions on an unpaid order: a refund is refused by payments, a cancel works.
        let refund = try admin.postJSON("/admin/api/orders/\(orderID)/refunds", #"{"amount":100}"#, headers: TestConsole.writeAuth)
        #expect(refund.status >= 400 && refund.status < 500, "\(refund)")
        let cancel = try admin.postJSON("/admin/api/orders/\(orderID)/cancel", "{}", headers: TestConsole.writeAuth)
        #expect(cancel.status == 200 && cancel.json["status"] as? String == "canceled", "\(cancel)")
        // Pages: the login page is open, everything else sends a stranger to it.
        #expect(try admin.get("/admin/login").status == 200)
        for page in ["/admin/orders", "/admin/orders/\(orderID)", "/admin/health", "/admin/dead-letters", "/admin/audit"] {
            let r = try admin.get(page)
            #expect(r.status == 303 && r.header("Location") == "/admin/login", "\(page): \(r)")
            #expect(try stack.http.get(page).status == 404)
        }
        let csp = try #require(try admin.get("/admin/login").header("Content-Security-Policy"))
        #expect(csp.contains("frame-ancestors 'none'") && csp.contains("script-src 'self'"))
        #expect(!stack.gateway.log.contains(TestConsole.writeToken) && !stack.gateway.log.contains(TestConsole.readToken), "a token reached the log")
    }

    @Test("sessions: a wrong token never gets in, a POST without the CSRF token is refused, an expired session is out, logins are rate-limited")
    func sessions() throws {
        let (stack, admin) = try Self.stack(["ADMIN_SESSION_TTL_S": "2", "ADMIN_LOGIN_ATTEMPTS_PER_MINUTE": "6"])
        let order = try stack.create(sku: "sticker", quantity: 1)
        let orderID = try #require(order["order_id"] as? String)
        let wrong = try admin.send("POST", "/admin/login", headers: [("Content-Type", "application/x-www-form-urlencoded")],
                                   body: Array("token=adm_guess".utf8))
        #expect(wrong.status == 401 && wrong.header("Set-Cookie") == nil)
        #expect(!wrong.text.contains("adm_guess"), "the login page echoes the token")
        let (cookie, csrf) = try Self.login(admin, token: TestConsole.writeToken)
        // A session's POST without its CSRF token (form or header) does nothing.
        let noCSRF = try admin.send("POST", "/admin/orders/\(orderID)/cancel", headers: [("Cookie", cookie),
                                    ("Content-Type", "application/x-www-form-urlencoded")], body: Array("confirm=1".utf8))
        #expect(noCSRF.status == 403, "\(noCSRF)")
        let apiNoCSRF = try admin.postJSON("/admin/api/orders/\(orderID)/cancel", "{}", headers: [("Cookie", cookie)])
        #expect(apiNoCSRF.status == 403 && apiNoCSRF.errorValue("reason") == "csrf_token_missing", "\(apiNoCSRF)")
        #expect(try stack.status(orderID) == "awaiting_payment")
        // With it, the form cancels and redirects back to the order.
        let cancel = try admin.send("POST", "/admin/orders/\(orderID)/cancel", headers: [("Cookie", cookie),
                                    ("Content-Type", "application/x-www-form-urlencoded")],
                                    body: Array("csrf=\(csrf)&request_id=form1&confirm=1".utf8))
        #expect(cancel.status == 303, "\(cancel)")
        #expect(try stack.status(orderID) == "canceled")
        // Logging out ends the session at once; a new login makes a new one.
        let logout = try admin.send("POST", "/admin/logout", headers: [("Cookie", cookie), ("Content-Type", "application/x-www-form-urlencoded")],
                                    body: Array("csrf=\(csrf)".utf8))
        #expect(logout.status == 303 && logout.header("Set-Cookie")?.contains("Max-Age=0") == true, "\(logout)")
        #expect(try admin.get("/admin/api/audit", headers: [("Cookie", cookie)]).status == 401)
        let (cookie2, _) = try Self.login(admin, token: TestConsole.writeToken)
        #expect(cookie2 != cookie)
        #expect(try admin.get("/admin/api/audit", headers: [("Cookie", cookie2)]).status == 200)
        // The session lasts ADMIN_SESSION_TTL_S (2 s here): after it, the cookie opens nothing.
        try waitUntil("the session expired", timeout: .seconds(10)) {
            try admin.get("/admin/api/audit", headers: [("Cookie", cookie2)]).status == 401
        }
        #expect(try admin.get("/admin/orders", headers: [("Cookie", cookie2)]).status == 303)
        // Failed logins are limited per address: 6 a minute here, one used above and one by the login.
        var statuses: [Int] = []
        for _ in 0..<6 {
            statuses.append(try admin.send("POST", "/admin/login", headers: [("Content-Type", "application/x-www-form-urlencoded")],
                                           body: Array("token=adm_guess".utf8)).status)
        }
        #expect(statuses.contains(429), "\(statuses)")
        let limited = try admin.send("POST", "/admin/login", headers: [("Content-Type", "application/x-www-form-urlencoded")],
                                     body: Array("token=\(TestConsole.writeToken)".utf8))
        #expect(limited.status == 429 && limited.header("Retry-After") != nil)
        // Another site cannot post to the console at all, not even a login.
        let crossSite = try admin.send("POST", "/admin/orders/\(orderID)/cancel", headers: [("Cookie", cookie), ("Sec-Fetch-Site", "cross-site"),
                                       ("Content-Type", "application/x-www-form-urlencoded")], body: Array("csrf=\(csrf)".utf8))
        #expect(crossSite.status == 403 && crossSite.errorValue("reason") == "cross_site")
    }

    @Test("a refund from the console: audited once per Idempotency-Key, shown in the timeline after Stripe's webhook; 1,000 orders page by cursor")
    func refundAuditAndPagination() async throws {
        // No caps on open orders per email: 1,000 unpaid orders go to 50 addresses.
        let (stack, admin) = try Self.stack(["ORDER_MAX_OPEN_PER_EMAIL": "0", "ORDER_MAX_OPEN_PER_CLIENT": "0"])
        let (orderID, _) = try RefundTests.paidOrder(stack, quantity: 2)
        let headers = TestConsole.writeAuth + [("Idempotency-Key", "refund-1")]
        let first = try admin.postJSON("/admin/api/orders/\(orderID)/refunds", #"{"amount":500,"reason":"requested_by_customer"}"#,
                                       headers: headers)
        #expect(first.status == 201, "\(first)")
        #expect(first.json["amount"] as? Int == 500)
        let again = try admin.postJSON("/admin/api/orders/\(orderID)/refunds", #"{"amount":500,"reason":"requested_by_customer"}"#,
                                       headers: headers)
        #expect(again.status == 201 && again.header("Idempotent-Replayed") == "true")
        #expect(again.json["refund_id"] as? String == first.json["refund_id"] as? String)
        let other = try admin.postJSON("/admin/api/orders/\(orderID)/refunds", #"{"amount":700}"#, headers: headers)
        #expect(other.status == 409, "the same key for another refund: \(other)")
        #expect(try RefundTests.stripeRefunds(stack, try #require(first.json["payment_intent_id"] as? String)).count == 1)
        try stack.waitForStatus(orderID, "partially_refunded")
        // The timeline has the refund as fulfillment applied it (after the webhook), the Stripe events with
        // their raw bodies, the emails, and the operator's action.
        try waitUntil("the timeline shows the refund and its email") {
            let detail = try admin.get("/admin/api/orders/\(orderID)", headers: TestConsole.readAuth)
            let kinds = (detail.json["timeline"] as? [[String: Any]] ?? []).compactMap { $0["kind"] as? String }
            return kinds.contains("refund") && kinds.contains("operator") && kinds.contains("stripe_event") && kinds.contains("email")
                && kinds.contains("fulfilment")
        }
        let detail = try admin.get("/admin/api/orders/\(orderID)", headers: TestConsole.readAuth)
        let timeline = detail.json["timeline"] as? [[String: Any]] ?? []
        let times = timeline.compactMap { $0["at"] as? Int }
        #expect(times == times.sorted(), "the timeline is in time order")
        let eventID = try #require(timeline.compactMap { $0["stripe_event_id"] as? String }.first)
        let raw = try admin.get("/admin/api/stripe-events/\(eventID)", headers: TestConsole.readAuth)
        #expect(raw.status == 200 && (raw.json["body"] as? String)?.contains(eventID) == true)
        // The audit log has each action once, with who and what came of it.
        let audit = try admin.get("/admin/api/audit", headers: TestConsole.readAuth).json["entries"] as? [[String: Any]] ?? []
        let refunds = audit.filter { $0["action"] as? String == "refund" }
        #expect(refunds.count == 1, "one entry per request key; a refused reuse of the key is none: \(audit)")
        #expect(refunds.contains { $0["actor"] as? String == "writer" && $0["result"] as? String == "ok" && $0["target"] as? String == "order:\(orderID)" })
        // Health: the last webhook and its age, refused webhooks of the last hour by reason, backlogs.
        let forged = try stack.http.postJSON("/webhooks/stripe", #"{"id":"evt_forged","type":"payment_intent.succeeded"}"#,
                                             headers: [("Stripe-Signature", "t=1,v1=00")])
        #expect(forged.status == 400)
        let health = try admin.get("/admin/api/health", headers: TestConsole.readAuth)
        #expect(health.status == 200, "\(health)")
        let services = health.json["services"] as? [[String: Any]] ?? []
        let payments = try #require(services.first { $0["service"] as? String == "payments" })
        #expect((payments["last_webhook_at"] as? Int ?? 0) > 0 && payments["last_webhook_type"] is String, "\(health)")
        #expect(services.contains { ($0["outbox"] as? [[String: Any]] ?? []).contains { $0["subscriber"] as? String == "notifier" } })
        let refused = health.json["webhook_failures_last_hour"] as? [[String: Any]] ?? []
        #expect(refused.contains { $0["name"] as? String == "invalid_signature" && ($0["count"] as? Int ?? 0) >= 1 }, "\(health)")
        #expect((health.json["unreachable"] as? [String])?.isEmpty == true)

        // The other actions a shell command offers, each audited.
        let write = TestConsole.writeAuth
        let stock = try admin.postJSON("/admin/api/catalog/mug/stock", #"{"stock":40}"#, headers: write)
        #expect(stock.status == 200 && stock.json["stock"] as? Int == 40, "\(stock)")
        let tooLow = try admin.postJSON("/admin/api/catalog/nope/stock", #"{"stock":1}"#, headers: write)
        #expect(tooLow.status == 409, "\(tooLow)")
        try waitUntil("the order's email was sent") {
            try sqlite(stack.dir.file("d/notifier.sqlite"), "SELECT COUNT(*) FROM deliveries WHERE order_id = '\(orderID)' AND channel = 'email' AND status = 'delivered'") != ["0"]
        }
        let resend = try admin.postJSON("/admin/api/orders/\(orderID)/resend-email", "{}", headers: write)
        #expect(resend.status == 200 && resend.json["count"] as? Int == 1, "\(resend)")
        let retry = try admin.postJSON("/admin/api/notifications/evt_unknown/retry", "{}", headers: write)
        #expect(retry.status == 404, "\(retry)")
        let catchUp = try admin.postJSON("/admin/api/catch-up", #"{"window_seconds":3600}"#, headers: write)
        #expect(catchUp.status == 200 && (catchUp.json["listed"] as? Int ?? 0) > 0 && catchUp.json["recorded"] as? Int == 0, "\(catchUp)")
        let actions = (try admin.get("/admin/api/audit", headers: TestConsole.readAuth).json["entries"] as? [[String: Any]] ?? [])
            .map { "\($0["action"] as? String ?? "") \($0["result"] as? String ?? "")" }
        for expected in ["set_stock ok", "set_stock conflict", "resend_email ok", "retry_notification not_found", "catch_up ok"] {
            #expect(actions.contains(expected), "\(expected) not in \(actions)")
        }
        // The audit table cannot be rewritten, even by its own service's SQL.
        #expect(throws: (any Error).self) { try sqlite(stack.dir.file("d/fulfillment.sqlite"), "DELETE FROM admin_audit") }

        // 1,000 orders through fulfillment's own request (its socket, as the gateway calls it), then
        // every one of them exactly once over cursor pages.
        let socket = stack.dir.file("s/fulfillment.sock")
        let client = MessageClient(socketPath: socket, defaultDeadline: .seconds(30))
        try await withThrowingTaskGroup(of: Void.self) { group in
            for batch in 0..<10 {
                group.addTask {
                    for i in 0..<100 {
                        let request = CreateOrderRequest(items: [OrderItemRequest(sku: "sticker", quantity: 1)],
                                                         email: "page\((batch * 100 + i) % 50)@example.com", flow: .paymentIntent)
                        let _: Order = try await client.call(OrderMessages.create, request)
                    }
                }
            }
            try await group.waitForAll()
        }
        client.close()
        var seen: [String] = [], cursor: String?, pages = 0
        repeat {
            let r = try admin.get("/admin/api/orders?limit=200&flow=payment_intent" + (cursor.map { "&cursor=\($0)" } ?? ""),
                                  headers: TestConsole.readAuth)
            #expect(r.status == 200, "\(r)")
            seen += (r.json["orders"] as? [[String: Any]] ?? []).compactMap { $0["order_id"] as? String }
            let totals = r.json["totals"] as? [[String: Any]] ?? []
            #expect(totals.reduce(0) { $0 + ($1["orders"] as? Int ?? 0) } == 1001, "totals cover the filter, not the page")
            cursor = r.json["next_cursor"] as? String
            pages += 1
        } while cursor != nil && pages < 20
        #expect(seen.count == 1001 && Set(seen).count == 1001, "\(seen.count) orders, \(Set(seen).count) distinct")
        let byEmail = try admin.get("/admin/api/orders?email=PAGE7@example.com", headers: TestConsole.readAuth)
        #expect((byEmail.json["orders"] as? [[String: Any]])?.count == 20)
    }

    @Test("a dead letter is listed on the console, replayed through it once the notifier is back, and delivered")
    func deadLetterReplay() throws {
        // One attempt: an event the frozen notifier never acknowledges is dead-lettered after the relay's
        // delivery deadline (10 s; an unreachable subscriber would only leave it pending).
        let (stack, admin) = try Self.stack(["SHOP_EVENT_MAX_ATTEMPTS": "1"])
        stack.notifier.signal(SIGSTOP)
        let (orderID, _) = try RefundTests.paidOrder(stack, quantity: 1)
        var letters: [[String: Any]] = []
        try waitUntil("the order's events dead-lettered for the notifier") {
            let r = try admin.get("/admin/api/dead-letters", headers: TestConsole.readAuth)
            letters = (r.json["dead_letters"] as? [[String: Any]] ?? []).filter { $0["key"] as? String == orderID }
            return !letters.isEmpty
        }
        #expect(letters.allSatisfy { $0["service"] as? String == "fulfillment" && $0["subscriber"] as? String == "notifier" })
        stack.notifier.signal(SIGCONT)
        for letter in letters {
            let eventID = try #require(letter["event_id"] as? String)
            let replay = try admin.postJSON("/admin/api/dead-letters/fulfillment/\(eventID)/replay", "{}", headers: TestConsole.writeAuth)
            #expect(replay.status == 200 && replay.json["count"] as? Int == 1, "\(replay)")
        }
        try waitUntil("the replayed email delivered") {
            let detail = try admin.get("/admin/api/orders/\(orderID)", headers: TestConsole.readAuth)
            return (detail.json["timeline"] as? [[String: Any]] ?? []).contains {
                $0["kind"] as? String == "email" && ($0["summary"] as? String ?? "").contains("delivered")
            }
        }
        let left = try admin.get("/admin/api/dead-letters", headers: TestConsole.readAuth).json["dead_letters"] as? [[String: Any]] ?? []
        #expect(!left.contains { $0["key"] as? String == orderID })
        let audit = try admin.get("/admin/api/audit?target=event:fulfillment:\(try #require(letters.first?["event_id"] as? String))",
                                  headers: TestConsole.readAuth).json["entries"] as? [[String: Any]] ?? []
        #expect(audit.count == 1 && audit.first?["action"] as? String == "replay_dead_letter" && audit.first?["result"] as? String == "ok")
    }
}
