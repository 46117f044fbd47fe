@preconcurrency import Dispatch
import Foundation
import Logging
import Storage
import Stripe
import Wire

/// Recovery after an outage: list recent events from Stripe's Events API and feed every one the inbox
/// has not seen through the same intake path (no signature to check: the events come from Stripe's API
/// over TLS with our key).
struct CatchUp: Sendable {
    let stripe: StripeClient
    let intake: WebhookIntake
    let database: Database
    let logger: Logger

    struct Report: Sendable, Equatable {
        var listed = 0
        var recorded = 0
        var alreadySeen = 0
    }

    /// Pages through events created in the last `windowSeconds` (newest first) and records the unseen ones.
    func run(windowSeconds: Int, pageSize: Int = 100) async throws(WireError) -> Report {
        let since = Int64(Date().timeIntervalSince1970) - Int64(windowSeconds)
        var report = Report()
        var startingAfter: String?
        while true {
            let page: EventPage
            do { page = try await stripe.listEvents(limit: pageSize, startingAfter: startingAfter, createdSince: since) } catch {
                throw WireError.from(error)
            }
            for event in page.events {
                report.listed += 1
                let reply = try await intake.record(event, body: event.raw, source: "catch_up", traceID: nil)
                if reply.outcome == .accepted { report.recorded += 1 } else { report.alreadySeen += 1 }
            }
            guard page.hasMore, let last = page.events.last else { break }
            startingAfter = last.id
        }
        if report.recorded > 0 { logger.info("catch-up recorded missed events", ["events.recorded": "\(report.recorded)"]) }
        return report
    }
}
