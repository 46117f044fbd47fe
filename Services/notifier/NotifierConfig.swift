import Core
import Curl
import FoundationEssentials
import ServiceKit

/// notifier's own settings, read once at start.
struct NotifierConfig: Sendable {
    /// Where mail goes: an SMTP server, or `.eml` files in a directory.
    enum MailTransport: Sendable {
        case smtp(SMTPConfiguration)
        case directory(String)
    }

    var mail: MailTransport
    /// `SMTP_FROM` as given (`Shop <shop@example.com>` or a bare address).
    var from: MailAddress
    /// `PUBLIC_BASE_URL` without a trailing slash.
    var publicBaseURL: String
    var webhookURL: String?
    var webhookSecrets: [String]
    var webhookTimeout: Duration
    var retryBase: Duration
    var retryMax: Duration
    var maxAttempts: Int
    var concurrency: Int
    /// `MERCHANT_EMAIL`: where dispute alerts (`order.disputed`) are emailed; nil: none.
    var merchantEmail: MailAddress? = nil

    static let variables: [(String, String)] = [
        ("SMTP_URL", "smtp://host:port or smtps://host:port (user-info counts as credentials; never logged); unset: emails are written as .eml files to NOTIFIER_MAIL_DIR"),
        ("SMTP_STARTTLS", "require or off, for smtp:// URLs (default require; off only for a loopback host without credentials)"),
        ("SMTP_USERNAME", "SMTP login user (optional; with SMTP_PASSWORD)"),
        ("SMTP_PASSWORD", "SMTP login password (never logged)"),
        ("SMTP_FROM", "sender, 'Name <addr@domain>' or 'addr@domain' (default 'Shop <shop@localhost>')"),
        ("SMTP_CA_FILE", "PEM CA bundle for the SMTP server's certificate (default: system store)"),
        ("SMTP_TIMEOUT_MS", "bound on one SMTP submission in ms, 100 to 600000 (default 30000)"),
        ("NOTIFIER_MAIL_DIR", "where .eml files go without SMTP_URL (default $SHOP_DATA_DIR/notifier/outbox-mail)"),
        ("PUBLIC_BASE_URL", "base of links in emails (default http://127.0.0.1:8080)"),
        ("MERCHANT_WEBHOOK_URL", "http(s) URL that receives every order event as signed JSON (unset: no merchant posts)"),
        ("MERCHANT_WEBHOOK_SECRET", "signing secret(s) for Shop-Signature, comma-separated to rotate; required with the URL"),
        ("MERCHANT_EMAIL", "the merchant's address: dispute alerts (order.disputed, with the evidence deadline) are emailed there (unset: none)"),
        ("MERCHANT_WEBHOOK_TIMEOUT_MS", "bound on one merchant post in ms, 100 to 120000 (default 10000)"),
        ("NOTIFIER_RETRY_BASE_MS", "first retry delay after a transient failure, doubling, 10 to 3600000 (default 1000)"),
        ("NOTIFIER_RETRY_MAX_MS", "largest retry delay in ms, 10 to 86400000 (default 600000)"),
        ("NOTIFIER_MAX_ATTEMPTS", "attempts before a transient failure counts as permanent, 1 to 1000 (default 25)"),
        ("NOTIFIER_CONCURRENCY", "SMTP submissions and merchant posts performed at once, 1 to 64 (default 4; .eml files go a batch at a time)"),
    ]

    static func read(dataDirectory: String,
                     environment: [String: String] = ProcessInfo.processInfo.environment) throws(ConfigError) -> NotifierConfig {
        var r = ConfigReader(environment: environment)
        let fromText = r.string("SMTP_FROM", default: "Shop <shop@localhost>")
        let from = MailAddress.parse(fromText)
        if from == nil { r.problem("SMTP_FROM", "'\(fromText)': expected 'Name <addr@domain>' or 'addr@domain'") }
        let username = r.raw("SMTP_USERNAME"), password = r.raw("SMTP_PASSWORD")
        if (username == nil) != (password == nil) {
            r.problem(username == nil ? "SMTP_USERNAME" : "SMTP_PASSWORD", "SMTP_USERNAME and SMTP_PASSWORD go together")
        }
        let timeout = r.int("SMTP_TIMEOUT_MS", default: 30_000, range: 100...600_000)
        var mail: MailTransport
        if let url = r.raw("SMTP_URL") {
            // The URL may carry a password in its user-info: only its redacted form is ever shown.
            let parsed = SMTPURL(url)
            if parsed == nil {
                r.problem("SMTP_URL", "expected smtp://host:port or smtps://host:port (value not shown: it may hold a password)")
            }
            let credentials = username != nil || parsed?.hasCredentials == true
            let remote = parsed.map { !$0.isLoopback } ?? true
            // STARTTLS is required by default wherever the connection leaves the machine, and whenever
            // there is a login to protect; `off` stays possible for a loopback relay.
            let startTLS = r.choice("SMTP_STARTTLS", default: credentials || remote ? "require" : "off", choices: ["require", "off"])
            if credentials, parsed?.implicitTLS == false, startTLS == "off", remote {
                r.problem("SMTP_STARTTLS", "off would send the SMTP credentials (SMTP_USERNAME/SMTP_PASSWORD or the user-info of "
                    + "SMTP_URL) in clear text to a remote server; use require or smtps://")
            }
            mail = .smtp(SMTPConfiguration(url: url, startTLS: startTLS == "require" ? .require : .off, username: username,
                                           password: password, caBundle: r.raw("SMTP_CA_FILE"),
                                           connectTimeout: .milliseconds(min(timeout, 10_000)), totalTimeout: .milliseconds(timeout)))
        } else {
            let base = dataDirectory.hasSuffix("/") ? String(dataDirectory.dropLast()) : dataDirectory
            mail = .directory(r.string("NOTIFIER_MAIL_DIR", default: base + "/notifier/outbox-mail"))
        }
        var publicBase = r.string("PUBLIC_BASE_URL", default: "http://127.0.0.1:8080")
        if !(publicBase.hasPrefix("http://") || publicBase.hasPrefix("https://")) {
            r.problem("PUBLIC_BASE_URL", "'\(publicBase)': expected an http:// or https:// URL")
        }
        while publicBase.hasSuffix("/") { publicBase.removeLast() }
        var merchantEmail: MailAddress?
        if let text = r.raw("MERCHANT_EMAIL") {
            merchantEmail = MailAddress.parse(text)
            if merchantEmail == nil { r.problem("MERCHANT_EMAIL", "'\(text)': expected 'Name <addr@domain>' or 'addr@domain'") }
        }
        let webhookURL = r.raw("MERCHANT_WEBHOOK_URL")
        var secrets: [String] = []
        if let webhookURL {
            if !(webhookURL.hasPrefix("http://") || webhookURL.hasPrefix("https://")) {
                r.problem("MERCHANT_WEBHOOK_URL", "'\(webhookURL)': expected an http:// or https:// URL")
            }
            secrets = (r.raw("MERCHANT_WEBHOOK_SECRET") ?? "").split(separator: ",")
                .map { String($0).trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            if secrets.isEmpty {
                r.problem("MERCHANT_WEBHOOK_SECRET", "required when MERCHANT_WEBHOOK_URL is set: the merchant verifies posts with it")
            } else if secrets.contains(where: { $0.count < 16 }) {
                r.problem("MERCHANT_WEBHOOK_SECRET", "each secret must have at least 16 characters")
            }
        }
        let webhookTimeout = r.int("MERCHANT_WEBHOOK_TIMEOUT_MS", default: 10_000, range: 100...120_000)
        let base = r.int("NOTIFIER_RETRY_BASE_MS", default: 1_000, range: 10...3_600_000)
        let max = r.int("NOTIFIER_RETRY_MAX_MS", default: 600_000, range: 10...86_400_000)
        let attempts = r.int("NOTIFIER_MAX_ATTEMPTS", default: 25, range: 1...1_000)
        let concurrency = r.int("NOTIFIER_CONCURRENCY", default: 4, range: 1...64)
        try r.finish()
        return NotifierConfig(mail: mail, from: from!, publicBaseURL: publicBase, webhookURL: webhookURL, webhookSecrets: secrets,
                              webhookTimeout: .milliseconds(webhookTimeout), retryBase: .milliseconds(base),
                              retryMax: .milliseconds(Swift.max(base, max)), maxAttempts: attempts, concurrency: concurrency,
                              merchantEmail: merchantEmail)
    }

}
