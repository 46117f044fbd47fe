import Core
import Foundation
import Logging

/// The stand-in's settings, read once from the environment at start. Every bad value is collected and
/// reported naming its variable; start-up then stops with exit status 78 (EX_CONFIG), as the services do.
struct Config: Sendable {
    var host: String
    var port: Int
    /// A SQLite file, or `:memory:` for state that lives only in the process.
    var database: String
    var webhookURL: String?
    var webhookSecret: String?
    var webhookEvents: [String]
    var retryBaseMs: Int
    var retryMaxMs: Int
    var maxAttempts: Int
    var asyncSettleMs: Int
    var apiVersion: APIVersion
    var logLevel: Logger.Level

    static let variables: [(String, String)] = [
        ("EMULATOR_HOST", "address to listen on: an IP literal or localhost (default 127.0.0.1)"),
        ("EMULATOR_PORT", "TCP port, 0 to 65535; 0 picks a free port, logged as http.port (default 12111)"),
        ("EMULATOR_DB", "SQLite file keeping state across restarts, or :memory: (default :memory:)"),
        ("EMULATOR_WEBHOOK_URL", "a webhook endpoint to register at start (http:// or https://), receiving all events"),
        ("EMULATOR_WEBHOOK_SECRET", "its signing secret, whsec_... (required with EMULATOR_WEBHOOK_URL)"),
        ("EMULATOR_WEBHOOK_EVENTS", "comma-separated event types for that endpoint (default *)"),
        ("EMULATOR_WEBHOOK_RETRY_BASE_MS", "first retry delay of a failed delivery in ms, doubling per attempt, 1 to 3600000 (default 1000)"),
        ("EMULATOR_WEBHOOK_RETRY_MAX_MS", "largest retry delay in ms, 1 to 86400000 (default 300000)"),
        ("EMULATOR_WEBHOOK_MAX_ATTEMPTS", "attempts per event and endpoint before the delivery is marked failed, 1 to 100 (default 8)"),
        ("EMULATOR_ASYNC_SETTLE_MS", "delay before a processing us_bank_account payment succeeds by itself, 0 = only via the test helper (default 3000)"),
        ("EMULATOR_API_VERSION", "API version used without a Stripe-Version header, and for events (default 2026-02-25.clover)"),
        ("EMULATOR_LOG_LEVEL", "debug, info, warn or error (default info)"),
    ]

    /// Reads with the services' ``ConfigReader``: every problem is collected, each naming its variable.
    static func read(_ env: [String: String] = ProcessInfo.processInfo.environment) throws(ConfigError) -> Config {
        var reader = ConfigReader(environment: env)
        func raw(_ name: String) -> String? { reader.raw(name) }
        func int(_ name: String, _ fallback: Int, _ range: ClosedRange<Int>) -> Int {
            reader.int(name, default: fallback, range: range)
        }

        let host = raw("EMULATOR_HOST") ?? "127.0.0.1"
        let port = int("EMULATOR_PORT", 12_111, 0...65_535)
        let database = raw("EMULATOR_DB") ?? ":memory:"
        let url = raw("EMULATOR_WEBHOOK_URL")
        if let url, !(url.hasPrefix("http://") || url.hasPrefix("https://")) {
            reader.problem("EMULATOR_WEBHOOK_URL='\(url)': expected an http:// or https:// URL")
        }
        // The secret itself never appears in a message.
        let secret = raw("EMULATOR_WEBHOOK_SECRET")
        if let secret, !secret.hasPrefix("whsec_") || secret.count < 10 {
            reader.problem("EMULATOR_WEBHOOK_SECRET: expected a secret starting with whsec_")
        }
        if url != nil && secret == nil {
            reader.problem("EMULATOR_WEBHOOK_SECRET is required with EMULATOR_WEBHOOK_URL: expected whsec_...")
        }
        let events = (raw("EMULATOR_WEBHOOK_EVENTS") ?? "*").split(separator: ",")
            .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        let retryBase = int("EMULATOR_WEBHOOK_RETRY_BASE_MS", 1_000, 1...3_600_000)
        let retryMax = int("EMULATOR_WEBHOOK_RETRY_MAX_MS", 300_000, 1...86_400_000)
        let attempts = int("EMULATOR_WEBHOOK_MAX_ATTEMPTS", 8, 1...100)
        let settle = int("EMULATOR_ASYNC_SETTLE_MS", 3_000, 0...86_400_000)
        var version = APIVersion("2026-02-25.clover")!
        if let v = raw("EMULATOR_API_VERSION") {
            if let parsed = APIVersion(v) { version = parsed } else {
                reader.problem("EMULATOR_API_VERSION='\(v)': expected a Stripe API version such as 2026-02-25.clover")
            }
        }
        var level = Logger.Level.info
        if let v = raw("EMULATOR_LOG_LEVEL") {
            if let l = Logger.Level(name: v) { level = l } else {
                reader.problem("EMULATOR_LOG_LEVEL='\(v)': expected one of debug, info, warn, error")
            }
        }
        try reader.finish()
        return Config(host: host, port: port, database: database, webhookURL: url, webhookSecret: secret,
                      webhookEvents: events.isEmpty ? ["*"] : events, retryBaseMs: retryBase, retryMaxMs: retryMax,
                      maxAttempts: attempts, asyncSettleMs: settle, apiVersion: version, logLevel: level)
    }
}
