import HTTP

/// The shop's pages: plain HTML, one stylesheet and one script, all embedded in the binary.
///
/// No page contains a secret or anything from the request: the HTML is static apart from two values
/// validated at start-up (`STRIPE_JS_URL` and the return URL built from `PUBLIC_BASE_URL`), and the
/// script reads ids from the query string and writes them into the DOM only as text. Client secrets
/// travel from the API to Stripe.js in memory (and `sessionStorage` for the tab), never into a URL the
/// gateway serves.
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

    /// A static asset, cacheable for a short while (the binary is the version).
    static func asset(_ text: String, type: String) -> HTTPResponse {
        HTTPResponse(status: .ok, headers: ["Content-Type": type, "Cache-Control": "public, max-age=300"], body: Array(text.utf8))
    }

    /// Escapes text for an HTML attribute or text node.
    static func escape(_ text: String) -> String { HTML.escape(text) }
}
