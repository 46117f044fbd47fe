import Core
import FoundationEssentials
import ServiceKit

/// fulfillment's own settings, read once at start.
struct FulfillmentConfig: Sendable {
    /// The catalog file's path, or nil for the embedded default.
    var catalogFile: String?
    var catalog: Catalog
    /// How long an order may wait for payment before the sweep expires it.
    var orderTTLSeconds: Int
    /// How often the expiry sweep runs.
    var sweepIntervalMs: Int
    /// Abuse limits of `orders.create`.
    var caps = OrderCaps()
    /// What to do with money that arrives for an expired or canceled order: `refund` it automatically
    /// (the default) or keep it for a person to `review`. Never fulfilled silently either way.
    var latePaymentPolicy: String = "refund"

    static let variables: [(String, String)] = [
        ("CATALOG_FILE", "catalog JSON file (default: the built-in copy of Services/fulfillment/catalog.sample.json)"),
        ("ORDER_TTL_SECONDS", "unpaid orders expire this long after creation, 1 to 2592000 (default 1800)"),
        ("ORDER_SWEEP_INTERVAL_MS", "how often expired orders are looked for, 10 to 3600000 (default 15000)"),
        ("ORDER_MAX_UNITS", "most units (sum of quantities) in one order, 1 to 100000 (default 100)"),
        ("ORDER_MAX_OPEN_PER_EMAIL", "most open unpaid orders per email address, 0 = no cap (default 10)"),
        ("ORDER_MAX_OPEN_PER_CLIENT", "most open unpaid orders per client address (as the gateway sees it), 0 = no cap (default 50)"),
        ("LATE_PAYMENT_POLICY", "a payment for an expired or canceled order: refund (automatically, reason requested_by_customer; default) or review"),
    ]

    /// Reads and validates; the catalog file is parsed here so a bad file stops start-up (exit 78).
    static func read(environment: [String: String] = ProcessInfo.processInfo.environment) throws(ConfigError) -> FulfillmentConfig {
        var r = ConfigReader(environment: environment)
        // Seconds rather than minutes so tests can watch an order expire; production wants 30 min or more.
        let ttl = r.int("ORDER_TTL_SECONDS", default: 1800, range: 1...2_592_000)
        let interval = r.int("ORDER_SWEEP_INTERVAL_MS", default: 15_000, range: 10...3_600_000)
        let policy = r.choice("LATE_PAYMENT_POLICY", default: "refund", choices: ["refund", "review"])
        let file = r.raw("CATALOG_FILE")
        var catalog = Catalog(entries: [])
        var bytes: [UInt8]?
        if let file {
            if let data = FileManager.default.contents(atPath: file) {
                bytes = Array(data)
            } else {
                r.problem("CATALOG_FILE", "cannot read '\(file)' (missing or not readable)")
            }
        } else {
            bytes = Array(DefaultCatalog.json.utf8)
        }
        if let bytes {
            do {
                catalog = try Catalog.parse(bytes)
            } catch {
                r.problem("CATALOG_FILE", "\(file ?? "built-in catalog"): \(error)")
            }
        }
        let caps = OrderCaps(maxUnits: r.int("ORDER_MAX_UNITS", default: 100, range: 1...100_000),
                             maxOpenPerEmail: r.int("ORDER_MAX_OPEN_PER_EMAIL", default: 10, range: 0...1_000_000),
                             maxOpenPerClient: r.int("ORDER_MAX_OPEN_PER_CLIENT", default: 50, range: 0...1_000_000))
        try r.finish()
        var config = FulfillmentConfig(catalogFile: file, catalog: catalog, orderTTLSeconds: ttl, sweepIntervalMs: interval,
                                       latePaymentPolicy: policy)
        config.caps = caps
        return config
    }
}
