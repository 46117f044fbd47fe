import Core
import HTTPServer

/// The shop's pages: plain HTML, one stylesheet and one script (`Assets/app.css`, `Assets/app.js`,
/// embedded at build time by the EmbedFiles plugin).
///
/// No page contains a secret or anything from the request: the HTML is static apart from two values
/// validated at start-up (`STRIPE_JS_URL` and the return URL built from `PUBLIC_BASE_URL`), and the
/// script reads ids from the query string and writes them into the DOM only as text. Client secrets
/// travel from the API to Stripe.js in memory (and `sessionStorage` for the tab), never into a URL the
/// gateway serves. Every page carries a Content-Security-Policy that allows scripts, frames and
/// connections only from the shop and from Stripe.js's origin (``contentSecurityPolicy(stripeJSURL:)``).
enum Pages {
    /// One page: its path, title, and the HTML inside `<main>`.
    struct Page: Sendable {
        var path: String
        var id: String
        var title: String
        /// Whether the page loads Stripe.js.
        var stripe: Bool
        var main: String

        /// The full document for `gateway`'s settings.
        func response(_ gateway: Gateway) -> HTTPResponse {
            var html = """
                <!doctype html>
                <html lang="en">
                <head>
                <meta charset="utf-8">
                <meta name="viewport" content="width=device-width, initial-scale=1">
                <title>\(title) · shop</title>
                <link rel="stylesheet" href="/assets/app.css">

                """
            if stripe { html += "<script src=\"\(Pages.escape(gateway.stripeJSURL))\"></script>\n" }
            html += """
                <script src="/assets/app.js" defer></script>
                </head>
                <body data-page="\(id)" data-return-url="\(Pages.escape(gateway.baseURL() + "/payment/return"))">
                <header class="bar"><a href="/" class="brand">shop</a><span id="mode" class="mode" hidden></span></header>
                <main>
                \(main)
                </main>
                <noscript><p class="notice error">This page needs JavaScript to talk to the payment provider.</p></noscript>
                </body>
                </html>

                """
            var response = HTTPResponse.html(.ok, html)
            response.headers.set("Cache-Control", "no-cache")
            response.headers.set("Referrer-Policy", "strict-origin-when-cross-origin")
            response.headers.set("X-Frame-Options", "DENY")
            response.headers.set("X-Content-Type-Options", "nosniff")
            response.headers.set("Content-Security-Policy", gateway.pagePolicy)
            return response
        }
    }

    static let all: [Page] = [
        Page(path: "/", id: "home", title: "Shop", stripe: false, main: """
            <h1>Shop</h1>
            <form id="order-form" novalidate>
              <section id="products" class="products" aria-live="polite"><p class="muted">Loading the catalog…</p></section>
              <label class="field">Email for the receipt
                <input type="email" id="email" name="email" autocomplete="email" required placeholder="you@example.com">
              </label>
              <p id="total" class="total"></p>
              <div class="actions">
                <button type="submit" data-flow="payment_intent">Pay by card</button>
                <button type="submit" data-flow="checkout_session" class="secondary">Stripe Checkout</button>
                <button type="submit" data-flow="invoice" class="secondary">Get an invoice and pay it here</button>
              </div>
              <p id="message" class="notice" role="alert" hidden></p>
            </form>
            """),
        Page(path: "/checkout", id: "checkout", title: "Payment", stripe: true, main: """
            <h1>Payment</h1>
            <section id="summary" class="summary"></section>
            <form id="payment-form">
              <div id="payment-element" class="element"></div>
              <button type="submit" id="pay" disabled>Pay</button>
              <p id="message" class="notice" role="alert" hidden></p>
            </form>
            """),
        Page(path: "/invoice", id: "invoice", title: "Invoice", stripe: true, main: """
            <h1>Pay your invoice</h1>
            <section id="summary" class="summary"></section>
            <form id="payment-form">
              <div id="payment-element" class="element"></div>
              <button type="submit" id="pay" disabled>Pay invoice</button>
              <p id="message" class="notice" role="alert" hidden></p>
            </form>
            """),
        Page(path: "/checkout/embedded", id: "embedded", title: "Checkout", stripe: true, main: """
            <h1>Checkout</h1>
            <div id="checkout" class="embedded"></div>
            <p id="message" class="notice" role="alert" hidden></p>
            """),
        Page(path: "/order/success", id: "success", title: "Thank you", stripe: false, main: """
            <h1>Thank you</h1>
            <p id="status" class="status" aria-live="polite">Checking your order…</p>
            <section id="summary" class="summary"></section>
            <p><a href="/" class="button secondary">Back to the shop</a></p>
            """),
        Page(path: "/payment/error", id: "error", title: "Payment problem", stripe: false, main: """
            <h1>Payment problem</h1>
            <p id="reason" class="notice error"></p>
            <p id="status" class="status" aria-live="polite"></p>
            <section id="summary" class="summary"></section>
            <div class="actions">
              <a id="retry" class="button" hidden>Try again</a>
              <a href="/" class="button secondary">Back to the shop</a>
            </div>
            """),
        Page(path: "/order/pay", id: "pay", title: "Pay again", stripe: false, main: """
            <h1>Pay again</h1>
            <p id="status" class="status">Finding your order…</p>
            <p id="message" class="notice" role="alert" hidden></p>
            """),
    ]

    /// The stylesheet and the script, as files in `Assets/`.
    static let css = Assets.files["app.css"]!
    static let script = Assets.files["app.js"]!

    /// A static asset, cacheable for a short while (the binary is the version).
    static func asset(_ text: String, type: String) -> HTTPResponse {
        HTTPResponse(status: .ok, headers: ["Content-Type": type, "Cache-Control": "public, max-age=300",
                                            "X-Content-Type-Options": "nosniff"], body: Array(text.utf8))
    }

    /// Where Stripe.js's own frames and calls come from when it is loaded from `js.stripe.com`: the
    /// hosts Stripe's security guide lists for Stripe.js (script, frame and connect sources).
    static let stripeHosts = (script: ["https://js.stripe.com", "https://*.js.stripe.com"],
                              frame: ["https://js.stripe.com", "https://*.js.stripe.com", "https://hooks.stripe.com"],
                              connect: ["https://api.stripe.com"],
                              image: ["https://*.stripe.com"])

    /// The pages' policy: scripts, frames and connections only from the shop itself and from the origin
    /// of `STRIPE_JS_URL` (the stand-in in local test mode, whose frames and API share its origin); with
    /// the real Stripe.js, the hosts Stripe documents for it. No inline script or style, no plugins,
    /// never framed, forms post only to the shop.
    static func contentSecurityPolicy(stripeJSURL: String) -> String {
        let origin = self.origin(of: stripeJSURL)
        var script = ["'self'", origin], frame = [origin], connect = ["'self'", origin], image = ["'self'", "data:"]
        if origin == "https://js.stripe.com" {
            script = ["'self'"] + stripeHosts.script
            frame = stripeHosts.frame
            connect = ["'self'"] + stripeHosts.connect
            image += stripeHosts.image
        }
        return [
            "default-src 'self'", "script-src " + script.joined(separator: " "), "style-src 'self'",
            "frame-src " + frame.joined(separator: " "), "connect-src " + connect.joined(separator: " "),
            "img-src " + image.joined(separator: " "), "object-src 'none'", "base-uri 'none'",
            "form-action 'self'", "frame-ancestors 'none'",
        ].joined(separator: "; ")
    }

    /// `scheme://host[:port]` of an absolute URL (validated at start-up), lowercased scheme and host.
    static func origin(of url: String) -> String {
        let parts = url.split(separator: "://", maxSplits: 1)
        guard parts.count == 2 else { return url }
        let authority = parts[1].prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        return "\(parts[0].lowercased())://\(authority.lowercased())"
    }

    /// Escapes text for an HTML attribute or text node.
    static func escape(_ text: String) -> String { HTML.escape(text) }
}
