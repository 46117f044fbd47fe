import Events
import Storage
import Transport

extension ServiceContext {
    /// The relay of this service's outbox, with the retry policy from `SHOP_EVENT_*`.
    public func makeRelay(_ outbox: Outbox) -> Relay {
        var options = Relay.Options()
        options.maxAttempts = config.eventMaxAttempts
        options.retryBase = .milliseconds(config.eventRetryBaseMs)
        options.retryMax = .milliseconds(config.eventRetryMaxMs)
        options.maxAge = .seconds(config.eventMaxAgeSeconds)
        return Relay(outbox: outbox, database: database!, options: options, logger: logger) { [self] in client(for: $0) }
    }

    /// `outbox` health check: dead-lettered events make the service degraded until replayed.
    public func outboxCheck() -> HealthCheck {
        let db = database!
        let name = spec.name
        return HealthCheck(name: "outbox", severity: .degraded) {
            do {
                let dead = try await db.read { c in try OutboxAdmin.deadCount(c) }
                return dead == 0 ? nil : "\(dead) dead-lettered deliver\(dead == 1 ? "y" : "ies"); see '\(name) events dead'"
            } catch {
                return "cannot read the outbox: \(error)"
            }
        }
    }

    /// The parts of a publishing service: its relay (cancelled after the socket drained, so what the last
    /// requests published is still sent) plus the outbox health check.
    public func publishingParts(_ outbox: Outbox, router: Router, checks: [HealthCheck] = []) -> ServiceParts {
        ServiceParts(router: router, checks: checks + [outboxCheck()], services: [makeRelay(outbox)])
    }
}

extension Relay: Service {}

extension ServiceCommand {
    /// `events pending|dead|backlog|replay` for a publishing service.
    public static let events = ServiceCommand(
        name: "events",
        usage: "events pending|dead [N] | backlog | replay EVENT_ID|--all   inspect the outbox, replay dead letters") { arguments, database in
        guard let database else { return 1 }
        return OutboxAdmin.command(arguments, database: database,
                                   print: { Swift.print($0) },
                                   printError: { ServiceMain.printError($0) })
    }
}
