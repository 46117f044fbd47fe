#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
@preconcurrency import Dispatch
import Curl
import HTTPServer
import Logging
import Synchronization

/// Start-up and the command line: `serve` wires config, store, ledger, HTTP server and the delivery
/// loop; `health` asks a running stand-in's `/healthz`.
enum EmulatorServer {
    static let usage: String = """
        stripe-emulator: a local stand-in for the part of the Stripe API the shop uses (test mode only).

        usage:
          stripe-emulator serve                 run the stand-in (the default command)
          stripe-emulator health [--url URL]    exit 0 when GET URL (default http://EMULATOR_HOST:EMULATOR_PORT/healthz)
                                                answers 200; 1 on another status, 3 refused, 4 timed out, 5 other error
          stripe-emulator --help                this text

        environment:
        \(Config.variables.map { "  \($0.0.padding(32))\($0.1)" }.joined(separator: "\n"))

        Endpoints, test cards and the test-helper API: docs/STRIPE-EMULATOR.md.
        """

    static func printError(_ text: String) {
        let line = Array((text.hasSuffix("\n") ? text : text + "\n").utf8)
        line.withUnsafeBytes { _ = write(2, $0.baseAddress, $0.count) }
    }

    static func serve() -> Never {
        let config: Config
        do {
            config = try Config.read()
        } catch {
            printError("stripe-emulator: \(error)")
            exit(78)  // EX_CONFIG
        }
        let logger = Logger(service: "stripe-emulator", level: config.logLevel)
        let shownHost = config.host.contains(":") ? "[\(config.host)]" : config.host
        var settings = Ledger.Settings(defaultVersion: config.apiVersion,
                                       asyncSettleMs: config.asyncSettleMs > 0 ? Int64(config.asyncSettleMs) : nil,
                                       retryBaseMs: Int64(config.retryBaseMs), retryMaxMs: Int64(config.retryMaxMs),
                                       maxAttempts: config.maxAttempts, baseURL: "")
        // The real port is known only after binding; the base URL is fixed up below once it is.
        var store: Store?
        var ledger = Ledger(settings: settings)
        if config.database != ":memory:" {
            do {
                let s = try Store(path: config.database)
                try s.load(into: &ledger)
                store = s
            } catch {
                logger.error("cannot open the emulator database", ["db.path": config.database, "error": "\(error)"])
                exit(1)
            }
        }

        // Bind first so the port is known; the handler forwards to the API once it exists.
        let apiBox = APIBox()
        let server = HTTPServer(host: config.host, port: config.port, logger: logger) { request in
            guard let api = apiBox.api else { return .error(.unavailable("starting up")) }
            return await api.handle(request)
        }
        do {
            try server.start()
        } catch {
            logger.error("cannot listen", ["http.host": config.host, "http.port": String(config.port), "error": "\(error)"])
            exit(1)
        }
        settings.baseURL = "http://\(shownHost):\(server.port)"
        ledger.settings = settings
        if let url = config.webhookURL, let secret = config.webhookSecret {
            do {
                let endpoint = try ledger.ensureWebhookEndpoint(url: url, secret: secret, events: config.webhookEvents)
                logger.info("webhook endpoint registered", ["webhook.endpoint": endpoint.id, "webhook.url": url])
            } catch {
                logger.error("cannot register EMULATOR_WEBHOOK_URL", ["error": error.message])
                exit(78)
            }
        }
        let emulator = Emulator(ledger: ledger, store: store, logger: logger)
        apiBox.api = API(emulator: emulator, defaultVersion: config.apiVersion, logger: logger)
        let delivery = Task { await WebhookDelivery(emulator: emulator, logger: logger).run() }
        // Persist what start-up changed (the registered endpoint).
        let ready = DispatchSemaphore(value: 0)
        Task {
            _ = await emulator.perform { _ in }
            ready.signal()
        }
        ready.wait()
        logger.info("stripe emulator ready", ["http.base_url": settings.baseURL, "db.path": config.database,
                                              "stripe.api_version": config.apiVersion.name])

        let stop = DispatchSemaphore(value: 0)
        let signalQueue = DispatchQueue(label: "stripe-emulator.signals")
        var sources: [any DispatchSourceSignal] = []
        for sig in [SIGTERM, SIGINT] {
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: signalQueue)
            source.setEventHandler { stop.signal() }
            source.resume()
            sources.append(source)
        }
        stop.wait()
        logger.info("stopping")
        server.stop()
        delivery.cancel()
        withExtendedLifetime(sources) {}
        exit(0)
    }

    static func health(arguments: [String]) -> Never {
        var url: String?
        var rest = arguments[...]
        while let arg = rest.popFirst() {
            if arg == "--url", let value = rest.popFirst() { url = value } else {
                printError("stripe-emulator health: unexpected argument '\(arg)'\n\n\(usage)")
                exit(64)
            }
        }
        if url == nil {
            let config: Config
            do { config = try Config.read() } catch {
                printError("stripe-emulator: \(error)")
                exit(78)
            }
            let host = config.host == "0.0.0.0" ? "127.0.0.1" : (config.host == "::" ? "::1" : config.host)
            url = "http://\(host.contains(":") ? "[\(host)]" : host):\(config.port)/healthz"
        }
        let client = HTTPClient(timeouts: ClientTimeouts(connect: .seconds(2), total: .seconds(3)))
        do {
            let response = try client.perform(ClientRequest(method: "GET", url: url!))
            if response.status == 200 {
                print("stripe-emulator healthy: \(url!)")
                exit(0)
            }
            printError("stripe-emulator unhealthy: \(url!) answered \(response.status)")
            exit(1)
        } catch {
            printError("stripe-emulator unhealthy: \(url!): \(error)")
            switch error.kind {
            case .connect: exit(3)
            case .timeout: exit(4)
            default: exit(5)
            }
        }
    }
}

/// Lets the server's handler reach the API, which is built after the port is bound (the base URL the
/// API hands out needs the real port). Until then requests are answered 503.
private final class APIBox: Sendable {
    private let value = Mutex<API?>(nil)

    var api: API? {
        get { value.withLock { $0 } }
        set { value.withLock { $0 = newValue } }
    }
}

extension String {
    fileprivate func padding(_ width: Int) -> String {
        count >= width ? self + " " : self + String(repeating: " ", count: width - count)
    }
}
