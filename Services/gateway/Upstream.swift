import Logging
import ServiceKit
import Transport
import Wire

/// The services the gateway calls.
enum Peer: String, Sendable, CaseIterable {
    case payments
    case fulfillment
    case notifier
}

/// A failed call to another service: which service, and the error as the wire describes it (a
/// ``ClientError`` that never reached the service becomes `unavailable` or `deadline_exceeded`).
struct UpstreamError: Error, Sendable, CustomStringConvertible {
    var peer: Peer
    var error: WireError

    var description: String { "\(peer.rawValue): \(error.code): \(error.message)" }
}

/// How the handlers reach the other services. The live gateway uses ``SocketUpstream``; a test can
/// substitute canned answers, so the handlers run without sockets.
protocol Upstream: Sendable {
    /// Calls `type` on `peer` with `payload`, tracing with `traceID`, and decodes the reply as `Out`.
    func call<Out: Decodable & Sendable>(_ peer: Peer, _ type: String, _ payload: some Encodable & Sendable,
                                         traceID: String, deadline: Duration?) async throws(UpstreamError) -> Out
}

extension Upstream {
    /// Calls with the default deadline.
    func call<Out: Decodable & Sendable>(_ peer: Peer, _ type: String, _ payload: some Encodable & Sendable,
                                         traceID: String, as: Out.Type = Out.self) async throws(UpstreamError) -> Out {
        try await call(peer, type, payload, traceID: traceID, deadline: nil)
    }
}

/// Calls over the services' Unix sockets through the context's shared clients, counting failures in
/// the metrics.
struct SocketUpstream: Upstream {
    let context: ServiceContext
    let metrics: Metrics

    func call<Out: Decodable & Sendable>(_ peer: Peer, _ type: String, _ payload: some Encodable & Sendable,
                                         traceID: String, deadline: Duration?) async throws(UpstreamError) -> Out {
        do {
            return try await context.client(for: peer.rawValue).call(type, payload, traceID: traceID, as: Out.self,
                                                                     deadline: deadline)
        } catch {
            let wire = error.wireError
            metrics.upstreamError(service: peer.rawValue, code: wire.code.rawValue)
            if error.code != .remote || wire.code == .internal {
                context.logger.warn("call to \(peer.rawValue) failed", [
                    "trace.id": traceID, "rpc.type": type, "error.code": wire.code.rawValue,
                    "error.message": Redactor.scrub(wire.message),
                ])
            }
            throw UpstreamError(peer: peer, error: wire)
        }
    }
}
