import Curl
import Events
import Messages
import ServiceKit
import Storage
import Transport
import Wire

/// notifier: tells customers (email) and the merchant (signed webhook) about orders, once each.
enum NotifierService {
    static let spec = ServiceSpec(
        name: "notifier",
        summary: "emails customers and posts signed events to the merchant",
        migrations: NotifierSchema.migrations,
        consumes: Subscriptions.table.consumed(by: "notifier"),
        variables: NotifierConfig.variables,
        commands: [NotifierCommands.failures, NotifierCommands.deliveries, NotifierCommands.retry],
        retention: [.inbox])

    /// The notifier's own settings, from the environment.
    static func readConfig(_ common: CommonConfig) throws -> NotifierConfig {
        try NotifierConfig.read(dataDirectory: common.dataDirectory)
    }

    static func build(config: NotifierConfig, context: ServiceContext) throws -> ServiceParts {
        let db = context.database!
        let logger = context.logger
        // The inbox wakes the sender right after new deliveries are recorded, instead of at its next poll.
        let deliveriesRecorded = Waker()
        let inbox = Inbox(database: db, waking: deliveriesRecorded)
        var router = Router()
        for type in Subscriptions.table.consumed(by: "notifier") {
            inbox.consume(type, into: &router) { c, event in
                let planned = try Notifications.plan(event, config: config)
                guard !planned.isEmpty else { return }
                try Notifications.record(planned, in: c, now: Envelope.now())
                logger.debug("deliveries recorded", ["event.id": event.header.eventID, "event.type": event.type,
                                                     "order.id": event.header.key, "count": String(planned.count)])
            }
        }
        NotifierAdmin(database: db).register(&router)
        let sender = DeliverySender(database: db, config: config, waker: deliveriesRecorded, logger: logger)
        // The URL only without its user-info (a password may be in it).
        let (transport, startTLS): (String, String) = switch config.mail {
        case .smtp(let smtp): (SMTPURL(smtp.url)?.redacted ?? "smtp", smtp.startTLS == .require ? "require" : "off")
        case .directory(let dir): ("eml files in \(dir)", "-")
        }
        logger.info("notifier configured", ["mail": transport, "smtp.starttls": startTLS,
                                            "merchant_webhook": config.webhookURL == nil ? "off" : "on"])
        return ServiceParts(router: router, services: [sender])
    }
}
