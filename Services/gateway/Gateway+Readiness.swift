import HTTPServer
import ServiceKit
import Wire

extension Gateway {
    /// `GET /healthz`: the gateway process itself answers.
    func liveness(_ request: HTTPRequest) -> HTTPResponse {
        var w = JSONWriter()
        w.beginObject()
        w.field("status", "ok")
        w.field("service", "gateway")
        w.field("version", ShopVersion.current)
        w.endObject()
        var response = HTTPResponse.json(.ok, w)
        response.headers.set("Cache-Control", "no-store")
        return response
    }

    /// `GET /readyz`: asks payments, fulfillment and notifier for `sys.health` in parallel (the gateway
    /// itself is answering, so it is `ok`).
    ///
    /// 200 when every service answers and none is `failing`. `degraded` counts as ready, as it does for
    /// the `health` command: a degraded service still serves (its peer is slow, or events wait in dead
    /// letters for an operator), and pulling the gateway out of the load balancer would stop every
    /// order for a problem only an operator can fix. The body shows each service's state and
    /// `"status":"degraded"` so monitoring still sees it. 503 when a service is unreachable, too slow
    /// (1.5 s) or `failing`. The public answer is only `{"status":"ok"}` or `{"status":"unavailable"}`.
    /// `detailed` (the console's `/admin/api/readiness`, whose caller is an authenticated operator): the
    /// body also names each service's state and its checks' states (never their details: the services'
    /// `health` command shows those).
    func readiness(_ request: HTTPRequest, detailed: Bool = false) async -> HTTPResponse {
        let states = await withTaskGroup(of: (Peer, ServiceState).self) { group in
            for peer in Peer.allCases {
                group.addTask {
                    do throws(UpstreamError) {
                        let report: HealthReport = try await upstream.call(peer, "sys.health", EmptyPayload(),
                                                                           traceID: request.requestID,
                                                                           deadline: .milliseconds(1500))
                        return (peer, .answered(report))
                    } catch {
                        return (peer, .unreachable(error.error.code))
                    }
                }
            }
            var all: [Peer: ServiceState] = [:]
            for await (peer, state) in group { all[peer] = state }
            return all
        }
        var ready = true
        var degraded = false
        for state in states.values {
            switch state {
            case .answered(let report):
                if report.status == .failing { ready = false }
                if report.status == .degraded { degraded = true }
            case .unreachable:
                ready = false
            }
        }
        var w = JSONWriter()
        w.beginObject()
        guard detailed else {
            w.field("status", ready ? "ok" : "unavailable")
            w.endObject()
            var response = HTTPResponse.json(ready ? .ok : .serviceUnavailable, w)
            response.headers.set("Cache-Control", "no-store")
            return response
        }
        w.field("status", ready ? (degraded ? "degraded" : "ok") : "unavailable")
        w.key("services")
        w.beginObject()
        w.key("gateway")
        w.beginObject()
        w.field("status", "ok")
        w.endObject()
        for peer in Peer.allCases {
            w.key(peer.rawValue)
            w.beginObject()
            switch states[peer] ?? .unreachable(.unavailable) {
            case .answered(let report):
                w.field("status", report.status.rawValue)
                w.key("checks")
                w.beginObject()
                for check in report.checks { w.field(check.name, check.status.rawValue) }
                w.endObject()
            case .unreachable(let code):
                w.field("status", code == .deadlineExceeded ? "timeout" : "unreachable")
            }
            w.endObject()
        }
        w.endObject()
        w.endObject()
        var response = HTTPResponse.json(ready ? .ok : .serviceUnavailable, w)
        response.headers.set("Cache-Control", "no-store")
        return response
    }

    enum ServiceState: Sendable {
        case answered(HealthReport)
        case unreachable(WireError.Code)
    }
}
