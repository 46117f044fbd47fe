import Core
import Foundation
import Logging
import ServiceKit
import Stripe

/// payments' own settings, read once at start. The secret key and webhook secrets are held here and
/// nowhere else; `description`-style output never includes them.
struct PaymentsConfig: Sendable {
    /// nil when `STRIPE_SECRET_KEY` is unset: the service starts (health `degraded`) but every Stripe
    /// call answers `unavailable`.
    var secretKey: String?
    var publishableKey: String
    var webhookSecrets: [String]
    var apiBase: String
    var apiVersion: StripeAPIVersion
    var paymentMethodTypes: [String]
    var maxRetries: Int
    /// 0: no periodic catch-up.
    var catchUpIntervalSeconds: Int
    /// How far back the periodic catch-up looks.
    var catchUpWindowSeconds: Int

    static let variables = [
        ("STRIPE_SECRET_KEY", "sk_... or rk_... key; required to take payments (never logged). Unset: payments runs degraded and refuses Stripe calls"),
        ("STRIPE_PUBLISHABLE_KEY", "pk_... key handed to the browser through the gateway's /config"),
        ("STRIPE_WEBHOOK_SECRET", "whsec_... endpoint secret(s); several comma-separated during rotation"),
        ("STRIPE_API_BASE", "Stripe API base URL (default https://api.stripe.com); http:// only with test keys, for the local stand-in"),
        ("STRIPE_API_VERSION", "Stripe-Version to pin (default \(StripeAPIVersion.pinned.name))"),
        ("STRIPE_PAYMENT_METHOD_TYPES", "comma-separated payment method types (e.g. card,alipay,wechat_pay,link); unset: automatic payment methods"),
        ("STRIPE_MAX_RETRIES", "retries of a failed Stripe request, 0 to 10 (default 2)"),
        ("STRIPE_CATCH_UP_INTERVAL_SECONDS", "run the Events API catch-up every N seconds, 0 = never (default 0)"),
        ("STRIPE_CATCH_UP_WINDOW_SECONDS", "how far back catch-up looks, 60 to 2592000 (default 259200 = 3 days)"),
    ]

    static func read(_ environment: [String: String] = ProcessInfo.processInfo.environment) throws(ConfigError) -> PaymentsConfig {
        var r = ConfigReader(environment: environment)
        let secretKey = r.raw("STRIPE_SECRET_KEY")
        if let secretKey, !(secretKey.hasPrefix("sk_") || secretKey.hasPrefix("rk_")) {
            // Never echo the value: it may be a real secret pasted into the wrong variable.
            r.problem("STRIPE_SECRET_KEY", "expected a secret key starting with sk_ or rk_ (value not shown)")
        }
        let isTestKey = secretKey.map { $0.hasPrefix("sk_test_") || $0.hasPrefix("rk_test_") } ?? true

        let publishableKey = r.string("STRIPE_PUBLISHABLE_KEY", default: "")
        if !publishableKey.isEmpty, !publishableKey.hasPrefix("pk_") {
            r.problem("STRIPE_PUBLISHABLE_KEY", "expected a publishable key starting with pk_")
        }

        let webhookSecrets = r.raw("STRIPE_WEBHOOK_SECRET").map(WebhookSignatureList.split) ?? []
        for secret in webhookSecrets where !secret.hasPrefix("whsec_") {
            r.problem("STRIPE_WEBHOOK_SECRET", "every comma-separated secret must start with whsec_ (value not shown)")
            break
        }

        let apiBase = r.string("STRIPE_API_BASE", default: "https://api.stripe.com")
        if let url = URLComponents(string: apiBase), let scheme = url.scheme?.lowercased(), url.host?.isEmpty == false,
           ["http", "https"].contains(scheme) {
            if scheme == "http", !isTestKey {
                r.problem("STRIPE_API_BASE", "'\(apiBase)' is plain http; only allowed with test keys (sk_test_/rk_test_), for a local stand-in")
            }
        } else {
            r.problem("STRIPE_API_BASE", "'\(apiBase)': expected an http(s) URL such as https://api.stripe.com")
        }

        let versionName = r.string("STRIPE_API_VERSION", default: StripeAPIVersion.pinned.name)
        if !StripeAPIVersion.isWellFormed(versionName) {
            r.problem("STRIPE_API_VERSION", "'\(versionName)': expected a Stripe version such as \(StripeAPIVersion.pinned.name)")
        }

        let types = (r.raw("STRIPE_PAYMENT_METHOD_TYPES") ?? "").split(separator: ",")
            .map { $0.trimmingCharacters(in: .whitespaces).lowercased() }.filter { !$0.isEmpty }
        if let bad = types.first(where: { !$0.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") } }) {
            r.problem("STRIPE_PAYMENT_METHOD_TYPES", "'\(bad)' is not a payment method type (letters, digits and _ only)")
        }

        // A live key with a public webhook secret or another API host would take forged payments or
        // hand the key to someone else: refuse to start rather than run unsafe.
        for problem in LiveModeGuard.problems(secretKey: secretKey, webhookSecrets: webhookSecrets, apiBase: apiBase) {
            r.problem(problem.variable, problem.message)
        }

        let maxRetries = r.int("STRIPE_MAX_RETRIES", default: 2, range: 0...10)
        let interval = r.int("STRIPE_CATCH_UP_INTERVAL_SECONDS", default: 0, range: 0...86_400)
        let window = r.int("STRIPE_CATCH_UP_WINDOW_SECONDS", default: 259_200, range: 60...2_592_000)
        try r.finish()
        return PaymentsConfig(secretKey: secretKey, publishableKey: publishableKey, webhookSecrets: webhookSecrets,
                              apiBase: apiBase, apiVersion: StripeAPIVersion(versionName), paymentMethodTypes: types,
                              maxRetries: maxRetries, catchUpIntervalSeconds: interval, catchUpWindowSeconds: window)
    }

    /// True with an `sk_live_`/`rk_live_` key: only live-mode webhook events are accepted. Without a key
    /// (or with a test key) only test-mode events are.
    var isLive: Bool { secretKey.map(LiveModeGuard.isLiveKey) ?? false }

    /// `live`, `test`, or `emulator` (a test key against another API base than Stripe's).
    var mode: String {
        guard let secretKey else { return "unconfigured" }
        if secretKey.hasPrefix("sk_live_") || secretKey.hasPrefix("rk_live_") { return "live" }
        return apiBase.hasPrefix("https://api.stripe.com") ? "test" : "emulator"
    }

    /// A client for the configured Stripe, or nil without a secret key.
    func makeClient(logger: Logger?) -> StripeClient? {
        guard let secretKey else { return nil }
        return StripeClient(StripeConfiguration(secretKey: secretKey, apiBase: apiBase, apiVersion: apiVersion,
                                                retry: RetryPolicy(maxRetries: maxRetries)), logger: logger)
    }
}

/// Splits `STRIPE_WEBHOOK_SECRET`.
enum WebhookSignatureList {
    static func split(_ list: String) -> [String] {
        list.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }
}
