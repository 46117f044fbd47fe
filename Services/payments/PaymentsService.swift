@preconcurrency import Dispatch
import Events
import Foundation
import Logging
import Messages
import ServiceKit
import Storage
import Stripe
import Transport
import Wire

/// payments: the only service that holds the Stripe secret key and calls Stripe; verifies webhooks and
/// turns them into durable events for fulfillment.
enum PaymentsService {
    static let spec = ServiceSpec(
        name: "payments",
        summary: "talks to Stripe, verifies webhooks, publishes payment events",
        migrations: PaymentsSchema.migrations,
        peers: ["fulfillment"],
        emits: Subscriptions.table.emitted(by: "payments"),
        variables: PaymentsConfig.variables,
        commands: [.events, catchUpCommand, refundCommand],
        retention: [.deliveredOutbox, PaymentsSchema.webhookBodies])

    static func build(config: PaymentsConfig, context: ServiceContext) throws -> ServiceParts {
        let logger = context.logger
        let database = context.database!
        let outbox = Outbox(publisher: "payments")
        let stripe = config.makeClient(logger: logger)
        // One waker for both books: intake wakes it after recording a refund or dispute event.
        let booksWaker = Waker()
        let books = RefundBooks(stripe: stripe, database: database, outbox: outbox, logger: logger, waker: booksWaker)
        let disputes = DisputeBooks(stripe: stripe, database: database, outbox: outbox, logger: logger, waker: booksWaker)
        var intakeBuilder = WebhookIntake(database: database, outbox: outbox, secrets: config.webhookSecrets, live: config.isLive,
                                          logger: logger)
        intakeBuilder.booksWaker = books.waker
        let intake = intakeBuilder
        let flows = PaymentFlows(stripe: stripe, database: database, config: config, logger: logger)
        let verification = ReturnVerification(stripe: stripe, intake: intake, database: database, logger: logger)

        var router = Router()
        router.on(PaymentMessages.config, EmptyRequest.self) { _, _ in
            PaymentsConfigReply(publishableKey: config.publishableKey, mode: config.mode, apiVersion: config.apiVersion.name,
                                checkoutUIMode: config.apiVersion.embeddedCheckoutUIMode)
        }
        router.on(PaymentMessages.createPaymentIntent, CreatePaymentRequest.self) { _, r in try await flows.createPaymentIntent(r) }
        router.on(PaymentMessages.createCheckoutSession, CreatePaymentRequest.self) { _, r in try await flows.createCheckoutSession(r) }
        router.on(PaymentMessages.createInvoice, CreatePaymentRequest.self) { _, r in try await flows.createInvoice(r) }
        router.on(PaymentMessages.verifyPaymentIntent, VerifyPaymentIntentRequest.self) { request, r in
            try await verification.verifyPaymentIntent(r, traceID: request.traceID)
        }
        router.on(PaymentMessages.verifyCheckoutSession, VerifyCheckoutSessionRequest.self) { request, r in
            try await verification.verifyCheckoutSession(r, traceID: request.traceID)
        }
        router.on(PaymentMessages.refund, RefundRequest.self) { _, r in try await books.refund(r) }
        let cancellation = PaymentCancellation(stripe: stripe, database: database, logger: logger)
        router.on(PaymentMessages.cancelPayment, CancelPaymentRequest.self) { _, r in try await cancellation.cancel(r) }
        PaymentsAdmin(database: database, catchUp: stripe.map { CatchUp(stripe: $0, intake: intake, database: database, logger: logger) },
                      catchUpWindowSeconds: config.catchUpWindowSeconds).register(&router, context: context)
        // Answered from the database writer's thread the moment the event is durable (no task hop).
        router.onDeferred(PaymentMessages.webhook, WebhookRequest.self) { request, r, completion in
            intake.receive(r, traceID: request.traceID, completion: completion)
        }

        let stripeCheck = HealthCheck(name: "stripe", severity: .degraded) {
            config.secretKey == nil ? "STRIPE_SECRET_KEY is not set: payments cannot be taken" : nil
        }
        // A check of its own, so that the gateway's public /readyz (which shows check names and states,
        // never details) names the missing piece.
        let webhookCheck = HealthCheck(name: "webhook_secret", severity: .degraded) {
            config.webhookSecrets.isEmpty ? "STRIPE_WEBHOOK_SECRET is not set: webhooks are refused with 503" : nil
        }
        var parts = context.publishingParts(outbox, router: router, checks: [stripeCheck, webhookCheck])
        // The books' sync loops run until stopped (the refund loop first resumes requests a crash left open).
        parts.services += [PeriodicTask("refund books", every: .seconds(1)) { await books.run() },
                           PeriodicTask("dispute books", every: .seconds(1)) { await disputes.run() }]
        if let stripe, config.catchUpIntervalSeconds > 0 {
            let catchUp = CatchUp(stripe: stripe, intake: intake, database: database, logger: logger)
            parts.services.append(PeriodicTask("catch-up", every: .seconds(config.catchUpIntervalSeconds)) {
                do throws(WireError) { _ = try await catchUp.run(windowSeconds: config.catchUpWindowSeconds) } catch {
                    logger.warn("periodic catch-up failed", ["error": error.description])
                }
            })
        }
        logger.info("payments configured", ["stripe.mode": config.mode, "stripe.api_base": config.apiBase,
                                            "stripe.api_version": config.apiVersion.name,
                                            "webhook.verifiers": "\(config.webhookSecrets.count)"])
        if config.secretKey != nil, config.webhookSecrets.isEmpty {
            // Orders still get paid through the return page, so without this line the gap goes unnoticed
            // while every webhook (the source of truth) is refused.
            logger.warn("STRIPE_WEBHOOK_SECRET is not set: every Stripe webhook will be refused with 503 until it is; "
                + "set it to the signing secret of the Stripe endpoint", ["stripe.mode": config.mode])
        }
        return parts
    }

    /// `payments catch-up [--window SECONDS]`: records every event of the window the inbox has not seen.
    static let catchUpCommand = ServiceCommand(
        name: "catch-up",
        usage: "catch-up [--window SECONDS]     feed events from Stripe's Events API that no webhook delivered") { arguments, database in
        guard let database else { return 1 }
        let config: PaymentsConfig
        do { config = try PaymentsConfig.read() } catch {
            ServiceMain.printError("\(error)")
            return 78
        }
        var window = config.catchUpWindowSeconds
        if arguments.count == 2, arguments[0] == "--window", let n = Int(arguments[1]), (60...2_592_000).contains(n) {
            window = n
        } else if !arguments.isEmpty {
            ServiceMain.printError("usage: payments catch-up [--window SECONDS]  (60 to 2592000)")
            return 64
        }
        let logger = Logger(service: "payments", level: .warn)
        guard let stripe = config.makeClient(logger: logger) else {
            ServiceMain.printError("STRIPE_SECRET_KEY is not set")
            return 78
        }
        let intake = WebhookIntake(database: database, outbox: Outbox(publisher: "payments"), secrets: config.webhookSecrets,
                                   live: config.isLive, logger: logger)
        let catchUp = CatchUp(stripe: stripe, intake: intake, database: database, logger: logger)
        let result = BlockingResult<CatchUp.Report>()
        Task {
            do throws(WireError) { result.set(.success(try await catchUp.run(windowSeconds: window))) } catch { result.set(.failure(error)) }
        }
        switch result.wait() {
        case .success(let report):
            print("listed \(report.listed) events, recorded \(report.recorded) new, \(report.alreadySeen) already seen")
            return 0
        case .failure(let error):
            ServiceMain.printError("catch-up failed: \(error.message)")
            return 1
        }
    }
}

/// A request without fields.
struct EmptyRequest: Decodable, Sendable {}

/// Hands a value from a task to a thread that waits for it.
final class BlockingResult<T: Sendable>: @unchecked Sendable {
    // @unchecked: `value` is written once before `signal` and read after `wait`.
    private var value: Result<T, WireError>?
    private let done = DispatchSemaphore(value: 0)

    func set(_ result: Result<T, WireError>) {
        value = result
        done.signal()
    }

    func wait() -> Result<T, WireError> {
        done.wait()
        return value!
    }
}
