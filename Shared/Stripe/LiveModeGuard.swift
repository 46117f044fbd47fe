/// The rules that keep a live Stripe key safe, in one place: which keys are live, where a live key may
/// be sent, and which webhook secrets are public because this repository ships them.
public enum LiveModeGuard {
    /// The only API base a live key is ever sent to.
    public static let stripeAPIBase = "https://api.stripe.com"

    /// Webhook signing secrets written in this repository (compose's dev profile, `scripts/run`'s local
    /// test mode, the benchmarks). Anyone can read them, so anyone can sign a webhook with them: a live
    /// key paired with one of them would accept forged payments. Keep every `whsec_` literal of
    /// compose/, scripts/, bench/ and docs/ here (a test scans those folders).
    public static let shippedWebhookSecrets: Set<String> = [
        "whsec_local_test_mode",
        "whsec_compose_local_emulator",
        "whsec_bench_secret",
        "whsec_bench_gateway_secret",
        "whsec_bench_orders_secret",
    ]

    /// True for `sk_live_...` and `rk_live_...`: keys that move real money.
    public static func isLiveKey(_ key: String) -> Bool {
        key.hasPrefix("sk_live_") || key.hasPrefix("rk_live_")
    }

    /// True when `apiBase` is exactly Stripe's API (a trailing `/` allowed).
    public static func isStripeAPIBase(_ apiBase: String) -> Bool {
        apiBase == stripeAPIBase || apiBase == stripeAPIBase + "/"
    }

    /// True when a request to `url` may carry `key`: any URL for a test key, only
    /// `https://api.stripe.com/...` for a live key (no other scheme, port, user-info or host).
    public static func mayCarry(_ key: String, to url: String) -> Bool {
        !isLiveKey(key) || url.hasPrefix(stripeAPIBase + "/")
    }

    /// Why a live configuration is unsafe, one message per variable (empty when it is safe or not live).
    /// The messages never contain a secret.
    public static func problems(secretKey: String?, webhookSecrets: [String], apiBase: String) -> [(variable: String, message: String)] {
        guard let secretKey, isLiveKey(secretKey) else { return [] }
        var problems: [(String, String)] = []
        if webhookSecrets.contains(where: shippedWebhookSecrets.contains) {
            problems.append(("STRIPE_WEBHOOK_SECRET", "is a secret published in this repository (for local test mode only); "
                + "with a live key anyone could sign a webhook with it. Use the signing secret of your Stripe endpoint"))
        }
        if !isStripeAPIBase(apiBase) {
            problems.append(("STRIPE_API_BASE", "'\(apiBase.prefix(200))': a live key is only sent to \(stripeAPIBase)"))
        }
        return problems
    }
}
