#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Core
import HTTPServer
import Messages
import Wire

/// The console's pages: server-rendered HTML in the shop's style (`Assets/admin.css`), with one small
/// script (`Assets/admin.js`) that only asks for confirmations. Every form works without it. Every value
/// from the services is escaped; nothing but the CSRF token of the viewer's own session is ever put in
/// a page.
enum AdminPages {
    /// No inline script or style anywhere, nothing from another origin, never framed.
    static let contentSecurityPolicy = [
        "default-src 'self'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:", "connect-src 'self'",
        "object-src 'none'", "base-uri 'none'", "form-action 'self'", "frame-ancestors 'none'",
    ].joined(separator: "; ")

    static let css = Assets.files["admin.css"]!
    static let script = Assets.files["admin.js"]!

    /// Escapes text for HTML; `{` too, so no value from a service can spell the `{{csrf}}` placeholder
    /// that the page's own forms carry.
    static func e(_ text: String) -> String { HTML.escape(text).replacing("{", with: "&#123;") }

    /// A whole page. `csrf` is the viewer's session token, for the forms that post.
    static func page(_ title: String, who: AdminTokens.Operator?, status: HTTPStatus = .ok, _ main: String) -> HTTPResponse {
        var nav = ""
        if let who {
            nav = """
                <nav><a href="/admin/orders">Orders</a><a href="/admin/stock">Stock</a><a href="/admin/dead-letters">Dead letters</a>\
                <a href="/admin/health">Health</a>\
                <a href="/admin/audit">Audit</a><span class="who">\(e(who.name)) · \(who.role.rawValue)</span>\
                <form method="post" action="/admin/logout" class="inline"><input type="hidden" name="csrf" value="{{csrf}}">\
                <button type="submit" class="link">Log out</button></form></nav>
                """
        }
        let html = """
            <!doctype html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(e(title)) · shop console</title>
            <link rel="stylesheet" href="/admin/assets/admin.css">
            <script src="/admin/assets/admin.js" defer></script>
            </head>
            <body>
            <header class="bar"><a href="/admin/orders" class="brand">shop console</a>\(nav)</header>
            <main>
            \(main)
            </main>
            </body>
            </html>

            """
        var response = HTTPResponse.html(status, html)
        response.headers.set("Cache-Control", "no-store")
        response.headers.set("Referrer-Policy", "no-referrer")
        response.headers.set("X-Frame-Options", "DENY")
        response.headers.set("X-Content-Type-Options", "nosniff")
        response.headers.set("Content-Security-Policy", contentSecurityPolicy)
        return response
    }

    static func money(_ amount: Int, _ currency: String) -> String { e(Money.format(amount, currency: currency)) }

    /// Unix milliseconds as `YYYY-MM-DD HH:MM:SS` UTC (libc's `gmtime_r`, as `HTTPDate`).
    static func time(_ ms: Int64) -> String {
        var t = time_t(ms / 1000)
        var parts = tm()
        gmtime_r(&t, &parts)
        func two(_ v: Int32) -> String { v < 10 ? "0\(v)" : "\(v)" }
        return "\(parts.tm_year + 1900)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday)) "
            + "\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec))"
    }

    static func day(_ ms: Int64) -> String { String(time(ms).prefix(10)) }

    /// A form that posts `fields` (escaped) with the viewer's CSRF token, then `button` (HTML).
    static func postForm(_ action: String, class name: String, fields: [(String, String)], button: String) -> String {
        "<form method=\"post\" action=\"\(e(action))\" class=\"\(name)\"><input type=\"hidden\" name=\"csrf\" value=\"{{csrf}}\">"
            + fields.map { "<input type=\"hidden\" name=\"\(e($0.0))\" value=\"\(e($0.1))\">" }.joined() + button + "</form>"
    }

    static func notice(_ text: String?, error: Bool = false) -> String {
        guard let text, !text.isEmpty else { return "" }
        return "<p class=\"notice\(error ? " error" : "")\" role=\"alert\">\(e(text))</p>"
    }

    // MARK: Login

    static func login(message: String? = nil, status: HTTPStatus = .ok) -> HTTPResponse {
        page("Log in", who: nil, status: status, """
            <h1>Operator console</h1>
            \(notice(message, error: true))
            <form method="post" action="/admin/login" class="card narrow">
              <label class="field">Access token
                <input type="password" name="token" autocomplete="off" required autofocus>
              </label>
              <button type="submit">Log in</button>
              <p class="muted small">Tokens come from <code>gateway admin-token NAME ROLE</code>; the console keeps only their hashes.</p>
            </form>
            """)
    }

    // MARK: Orders

    static func orders(_ page: AdminOrderPage, query: AdminOrderQuery, rawQuery: [(name: String, value: String)], days: [AdminDay],
                       now: Int64, who: AdminTokens.Operator) -> HTTPResponse {
        func selected(_ a: String?, _ b: String) -> String { a == b ? " selected" : "" }
        let statuses = OrderStatus.allCases.map { "<option\(selected(query.status, $0.rawValue))>\($0.rawValue)</option>" }.joined()
        let flows = PaymentFlow.allCases.map { "<option\(selected(query.flow, $0.rawValue))>\($0.rawValue)</option>" }.joined()
        func value(_ name: String) -> String { e(rawQuery.first { $0.name == name }?.value ?? "") }
        var rows = ""
        for o in page.orders {
            let refunded = o.refundedAmount > 0 ? " <span class=\"muted\">(−\(money(o.refundedAmount, o.currency)))</span>" : ""
            rows += """
                <tr><td><a href="/admin/orders/\(e(o.orderID))">\(e(o.orderID))</a></td><td>\(e(o.email))</td>\
                <td><span class="badge \(badge(o.status))">\(e(o.status))</span>\(o.disputed ? " <span class=\"badge bad\">disputed</span>" : "")</td>\
                <td>\(e(o.flow))</td><td class="num">\(money(o.amount, o.currency))\(refunded)</td><td>\(time(o.createdAt))</td></tr>

                """
        }
        if page.orders.isEmpty { rows = "<tr><td colspan=\"6\" class=\"muted\">No orders match.</td></tr>" }
        let totals = page.totals.map { "\($0.orders) order\($0.orders == 1 ? "" : "s"), \(money($0.amount, $0.currency))" }
            .joined(separator: " · ")
        var next = ""
        if let cursor = page.nextCursor {
            var items = rawQuery.filter { $0.name != "cursor" }
            items.append(("cursor", cursor))
            next = "<p><a class=\"button secondary\" id=\"next-page\" href=\"/admin/orders?\(e(formEncode(items)))\">Older orders</a></p>"
        }
        return self.page("Orders", who: who, """
            <h1>Orders</h1>
            \(AdminChart.svg(days, until: now))
            <form method="get" action="/admin/orders" class="filters">
              <label>Email or order id<input type="search" name="email" value="\(value("email"))"></label>
              <label>Status<select name="status"><option value="">any</option>\(statuses)</select></label>
              <label>Flow<select name="flow"><option value="">any</option>\(flows)</select></label>
              <label>From<input type="date" name="created_gte" value="\(value("created_gte"))"></label>
              <label>Before<input type="date" name="created_lt" value="\(value("created_lt"))"></label>
              <button type="submit">Filter</button>
            </form>
            <p class="totals" id="totals">\(totals.isEmpty ? "No orders." : "Matching: " + totals)</p>
            <table class="grid" id="orders"><thead><tr><th>Order</th><th>Email</th><th>Status</th><th>Flow</th><th class="num">Amount</th><th>Created (UTC)</th></tr></thead>
            <tbody>
            \(rows)</tbody></table>
            \(next)
            """)
    }

    static func badge(_ status: String) -> String {
        switch status {
        case "paid", "fulfilled": "good"
        case "payment_failed", "needs_review", "refunded", "partially_refunded": "bad"
        default: ""
        }
    }

    static func formEncode(_ items: [(name: String, value: String)]) -> String {
        func enc(_ s: String) -> String {
            var out = ""
            for b in s.utf8 {
                if (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || "-_.~".utf8.contains(b) {
                    out.append(Character(UnicodeScalar(b)))
                } else {
                    let hex = Array("0123456789ABCDEF")
                    out += "%\(hex[Int(b >> 4)])\(hex[Int(b & 15)])"
                }
            }
            return out
        }
        return items.map { "\(enc($0.name))=\(enc($0.value))" }.joined(separator: "&")
    }

    // MARK: One order

    static func order(_ detail: AdminOrderDetail, who: AdminTokens.Operator, notice text: String?, error: Bool) -> HTTPResponse {
        let o = detail.order
        let items = o.items.map { "<tr><td>\($0.quantity) × \(e($0.name)) <span class=\"muted\">\(e($0.sku))</span></td><td class=\"num\">\(money($0.amount, o.currency))</td></tr>" }
            .joined()
        var timeline = ""
        for entry in detail.timeline {
            var line = e(entry.summary)
            if let id = entry.stripeEventID {
                line += " <a href=\"/admin/stripe-events/\(e(id))\" class=\"raw\">raw event</a>"
            }
            timeline += "<li class=\"kind-\(e(entry.kind))\"><time>\(time(entry.at))</time> <span class=\"src\">\(e(entry.source))</span> "
                + "<span class=\"kind\">\(e(entry.kind))</span> \(line)</li>\n"
        }
        let refunded = o.refundedAmount ?? 0
        var actions = ""
        if who.role == .write {
            let requestID = MessageID.random()
            actions = """
                <section class="card" id="actions">
                <h2>Actions</h2>
                <form method="post" action="/admin/orders/\(e(o.orderID))/refund" class="refund" data-currency="\(e(o.currency))"\
                 data-order="\(e(o.orderID))">
                  <input type="hidden" name="csrf" value="{{csrf}}"><input type="hidden" name="request_id" value="r\(requestID)">
                  <label>Amount in minor units (\(e(o.currency.uppercased())); empty: all that is left)
                    <input type="number" name="amount" min="1" max="\(max(1, o.amount - refunded))" inputmode="numeric"></label>
                  <label>Reason<select name="reason"><option value="requested_by_customer">requested by customer</option>\
                <option value="duplicate">duplicate</option><option value="fraudulent">fraudulent</option></select></label>
                  <label class="check"><input type="checkbox" name="restock" value="1"> put the units back in stock</label>
                  <label class="check noscript-confirm"><input type="checkbox" name="confirm" value="1" required> I confirm this refund</label>
                  <button type="submit">Refund</button>
                </form>
                <form method="post" action="/admin/orders/\(e(o.orderID))/cancel" class="cancel" data-order="\(e(o.orderID))">
                  <input type="hidden" name="csrf" value="{{csrf}}"><input type="hidden" name="request_id" value="c\(requestID)">
                  <label class="check noscript-confirm"><input type="checkbox" name="confirm" value="1" required> I confirm cancelling this unpaid order</label>
                  <button type="submit" class="secondary">Cancel order</button>
                </form>
                <form method="post" action="/admin/orders/\(e(o.orderID))/resend-email" class="cancel resend" data-order="\(e(o.orderID))">
                  <input type="hidden" name="csrf" value="{{csrf}}"><input type="hidden" name="request_id" value="e\(requestID)">
                  <button type="submit" class="secondary">Send the customer's last email again</button>
                </form>
                </section>
                """
        }
        let dispute = o.dispute.map { d in
            "<p class=\"notice error\">Dispute \(e(d.disputeID)): \(e(d.status)), \(money(d.amount, d.currency))\(d.reason.map { ", " + e($0) } ?? "")</p>"
        } ?? ""
        return page("Order \(o.orderID)", who: who, """
            <p><a href="/admin/orders">← Orders</a></p>
            <h1>Order <code>\(e(o.orderID))</code></h1>
            \(notice(text, error: error))
            <section class="card summary-grid">
              <div><span class="muted">Status</span><br><span class="badge \(badge(o.status.rawValue))" id="status">\(e(o.status.rawValue))</span></div>
              <div><span class="muted">Email</span><br>\(e(o.email))</div>
              <div><span class="muted">Amount</span><br>\(money(o.amount, o.currency))</div>
              <div><span class="muted">Refunded</span><br><span id="refunded">\(money(refunded, o.currency))</span></div>
              <div><span class="muted">Flow</span><br>\(e(o.flow.rawValue))</div>
              <div><span class="muted">Created (UTC)</span><br>\(time(o.createdAt))</div>
            </section>
            \(dispute)
            <table class="grid">\(items)</table>
            \(actions)
            <h2>Timeline</h2>
            <ol class="timeline" id="timeline">
            \(timeline)</ol>
            """)
    }

    static func stripeEvent(_ event: AdminStripeEvent, who: AdminTokens.Operator) -> HTTPResponse {
        page("Event \(event.eventID)", who: who, """
            <p>\(event.orderID.map { "<a href=\"/admin/orders/\(e($0))\">← Order \(e($0))</a>" } ?? "<a href=\"/admin/orders\">← Orders</a>")</p>
            <h1>Stripe event <code>\(e(event.eventID))</code></h1>
            <p>\(e(event.type)) · via \(e(event.source)) · \(e(event.outcome)) · received \(time(event.receivedAt)) UTC</p>
            <pre class="raw">\(e(event.body ?? "(the raw body was pruned by retention)"))</pre>
            """)
    }

    // MARK: Dead letters, health, audit

    static func deadLetters(_ letters: [AdminDeadLetter], failed: [AdminNotificationFailure]?, who: AdminTokens.Operator,
                            notice text: String?) -> HTTPResponse {
        var failedRows = ""
        for f in failed ?? [] {
            let retry = who.role != .write ? "" : postForm("/admin/notifications/retry", class: "inline replay",
                                                           fields: [("event_id", f.eventID), ("channel", f.channel), ("request_id", "n" + MessageID.random())],
                                                           button: "<button type=\"submit\" class=\"small\">Retry</button>")
            failedRows += "<tr><td>\(e(f.channel))</td><td>\(e(f.eventType))<br><span class=\"muted\">\(e(f.eventID))</span></td>"
                + "<td><a href=\"/admin/orders/\(e(f.orderID))\">\(e(f.orderID))</a></td><td>\(f.attempts)</td><td>\(e(f.lastError ?? ""))</td>"
                + "<td>\(time(f.createdAt))</td><td>\(retry)</td></tr>\n"
        }
        if failed == nil { failedRows = "<tr><td colspan=\"7\" class=\"notice error\">The notifier did not answer.</td></tr>" }
        else if failed?.isEmpty == true { failedRows = "<tr><td colspan=\"7\" class=\"muted\">No email or merchant webhook failed for good.</td></tr>" }
        var rows = ""
        for d in letters {
            var replay = ""
            if who.role == .write {
                replay = postForm("/admin/dead-letters/replay", class: "inline replay",
                                  fields: [("service", d.service), ("event_id", d.eventID), ("request_id", "d" + MessageID.random())],
                                  button: "<button type=\"submit\" class=\"small\">Replay</button>")
            }
            rows += "<tr><td>\(e(d.service)) → \(e(d.subscriber))</td><td>\(e(d.type))<br><span class=\"muted\">\(e(d.eventID))</span></td>"
                + "<td>\(e(d.key))</td><td>\(d.attempts)</td><td>\(e(d.lastError ?? ""))</td><td>\(time(d.createdAt))</td><td>\(replay)</td></tr>\n"
        }
        if letters.isEmpty { rows = "<tr><td colspan=\"7\" class=\"muted\">No dead letters: every event reached its subscribers.</td></tr>" }
        return page("Dead letters", who: who, """
            <h1>Dead letters</h1>
            \(notice(text))
            <table class="grid" id="dead-letters"><thead><tr><th>From → to</th><th>Event</th><th>Key</th><th>Attempts</th><th>Last error</th>\
            <th>Created (UTC)</th><th></th></tr></thead><tbody>
            \(rows)</tbody></table>
            <h2>Notifications that failed for good</h2>
            <table class="grid" id="failed-notifications"><thead><tr><th>Channel</th><th>Event</th><th>Order</th><th>Attempts</th>\
            <th>Last error</th><th>Created (UTC)</th><th></th></tr></thead><tbody>
            \(failedRows)</tbody></table>
            """)
    }

    static func health(_ reply: AdminHealthReply, readiness: String, who: AdminTokens.Operator, notice text: String?) -> HTTPResponse {
        let payments = reply.services.first { $0.service == "payments" }
        var webhook = "<p class=\"notice error\" id=\"last-webhook\">No Stripe webhook received yet.</p>"
        if let at = payments?.lastWebhookAt {
            let age = max(0, (reply.now - at) / 1000)
            let ageText = age < 120 ? "\(age) s" : age < 7200 ? "\(age / 60) min" : "\(age / 3600) h"
            webhook = "<p class=\"notice\(age > 3600 ? " error" : "")\" id=\"last-webhook\">Last Stripe webhook: "
                + "\(e(payments?.lastWebhookType ?? "")) at \(time(at)) UTC, \(ageText) ago.</p>"
        }
        if payments == nil { webhook = "<p class=\"notice error\" id=\"last-webhook\">payments did not answer.</p>" }
        let failures = reply.webhookFailuresLastHour.map { "<li>\(e($0.name)): \($0.count)</li>" }.joined()
        var outbox = ""
        for s in reply.services {
            for b in s.outbox {
                outbox += "<tr><td>\(e(s.service)) → \(e(b.subscriber))</td><td class=\"num\">\(b.pending)</td>"
                    + "<td class=\"num\">\(b.dead > 0 ? "<a href=\"/admin/dead-letters\">\(b.dead)</a>" : "0")</td>"
                    + "<td>\(b.oldestPendingAt.map(time) ?? "")</td></tr>"
            }
        }
        let notifier = reply.services.first { $0.service == "notifier" }
        let failed = notifier?.notificationFailures.map { "\(e($0.name)): \($0.count)" }.joined(separator: ", ") ?? ""
        let retrying = notifier?.notificationsRetrying.map { "\(e($0.name)): \($0.count)" }.joined(separator: ", ") ?? ""
        let unreachable = reply.unreachable.isEmpty ? "" : notice("Not answering: " + reply.unreachable.joined(separator: ", "), error: true)
        return page("Health", who: who, """
            <h1>Health</h1>
            \(notice(text))
            \(unreachable)
            \(webhook)
            \(who.role == .write ? """
                <form method="post" action="/admin/catch-up" class="inline"><input type="hidden" name="csrf" value="{{csrf}}">\
                <input type="hidden" name="request_id" value="u\(MessageID.random())">\
                <button type="submit" class="secondary">Catch up from Stripe's Events API now</button></form>
                """ : "")
            <section class="card"><h2>Webhooks refused in the last hour</h2>
            \(failures.isEmpty ? "<p class=\"muted\" id=\"webhook-failures\">None.</p>" : "<ul id=\"webhook-failures\">\(failures)</ul>")</section>
            <section class="card"><h2>Outbox backlogs</h2>
            <table class="grid"><thead><tr><th>From → to</th><th class="num">Pending</th><th class="num">Dead</th><th>Oldest pending</th></tr></thead>
            <tbody>\(outbox)</tbody></table></section>
            <section class="card"><h2>Notifications</h2>
            <p>Failed for good: \(failed.isEmpty ? "none" : failed). Retrying: \(retrying.isEmpty ? "none" : retrying).</p></section>
            <section class="card"><h2>Readiness</h2>\(readinessTable(readiness))
            <p><a href="/admin/api/metrics">Prometheus metrics</a></p></section>
            """)
    }

    /// The detailed readiness as a table: each service, its state and its checks'.
    static func readinessTable(_ json: String) -> String {
        struct Service: Decodable { var status: String; var checks: [String: String]? }
        struct Body: Decodable { var status: String; var services: [String: Service]? }
        guard let body = try? RawJSON(validating: Array(json.utf8)).decode(Body.self) else { return "<pre class=\"raw\">\(e(json))</pre>" }
        var rows = ""
        for (name, service) in (body.services ?? [:]).sorted(by: { $0.key < $1.key }) {
            let checks = (service.checks ?? [:]).sorted { $0.key < $1.key }
                .map { "<span class=\"badge \($0.value == "ok" ? "good" : "bad")\">\(e($0.key)): \(e($0.value))</span>" }.joined(separator: " ")
            rows += "<tr><td>\(e(name))</td><td><span class=\"badge \(service.status == "ok" ? "good" : "bad")\">\(e(service.status))</span></td>"
                + "<td>\(checks)</td></tr>"
        }
        return "<p id=\"readiness\">Overall: <span class=\"badge \(body.status == "ok" ? "good" : "bad")\">\(e(body.status))</span></p>"
            + "<table class=\"grid\"><thead><tr><th>Service</th><th>State</th><th>Checks</th></tr></thead><tbody>\(rows)</tbody></table>"
    }

    static func stock(_ products: [AdminStock], who: AdminTokens.Operator, notice text: String?) -> HTTPResponse {
        var rows = ""
        for p in products {
            var form = ""
            if who.role == .write {
                form = postForm("/admin/stock", class: "inline",
                                fields: [("sku", p.sku), ("request_id", "s" + MessageID.random())],
                                button: "<input type=\"number\" name=\"stock\" min=\"\(p.reserved)\" value=\"\(p.stock)\" "
                                    + "aria-label=\"units on hand of \(e(p.sku))\"><button type=\"submit\" class=\"small\">Set</button>")
            }
            rows += "<tr><td>\(e(p.sku))\(p.active ? "" : " <span class=\"muted\">(inactive)</span>")</td><td>\(e(p.name))</td>"
                + "<td class=\"num\">\(p.stock)</td><td class=\"num\">\(p.reserved)</td><td class=\"num\">\(p.stock - p.reserved)</td>"
                + "<td class=\"num\">\(p.sold)</td><td>\(form)</td></tr>\n"
        }
        return page("Stock", who: who, """
            <h1>Stock</h1>
            \(notice(text))
            <table class="grid" id="stock"><thead><tr><th>SKU</th><th>Name</th><th class="num">On hand</th><th class="num">Reserved</th>\
            <th class="num">Available</th><th class="num">Sold</th><th></th></tr></thead><tbody>
            \(rows)</tbody></table>
            <p class="muted small">On hand cannot go below the units open orders reserve.</p>
            """)
    }

    static func audit(_ entries: [AdminAuditEntry], who: AdminTokens.Operator) -> HTTPResponse {
        var rows = ""
        for a in entries {
            let target = a.target.hasPrefix("order:") ? "<a href=\"/admin/orders/\(e(String(a.target.dropFirst(6))))\">\(e(a.target))</a>" : e(a.target)
            rows += "<tr><td>\(time(a.at))</td><td>\(e(a.actor))</td><td>\(e(a.action))</td><td>\(target)</td>"
                + "<td><code>\(e(a.parameters))</code></td><td>\(e(a.result ?? "(no result)"))</td></tr>\n"
        }
        if entries.isEmpty { rows = "<tr><td colspan=\"6\" class=\"muted\">No operator actions yet.</td></tr>" }
        return page("Audit log", who: who, """
            <h1>Audit log</h1>
            <table class="grid" id="audit"><thead><tr><th>When (UTC)</th><th>Who</th><th>Action</th><th>Target</th><th>Parameters</th><th>Result</th></tr></thead>
            <tbody>
            \(rows)</tbody></table>
            """)
    }

    static func problem(_ error: APIError, who: AdminTokens.Operator?) -> HTTPResponse {
        page("Problem", who: who, status: error.status, """
            <h1>Something went wrong</h1>
            \(notice("\(error.code): \(error.message)", error: true))
            <p><a href="/admin/orders">← Orders</a></p>
            """)
    }
}
