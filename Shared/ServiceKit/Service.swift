/// A piece of a service's background work (an event relay, a periodic task, an HTTP listener, the
/// socket server itself), run by ``ServiceGroup``: started in order, cancelled in reverse.
///
/// The shape of swift-service-lifecycle's `Service`, plus a synchronous ``prepare()``: ServiceKit opens
/// the service's socket only after every earlier piece is prepared, and `health` answers on that socket,
/// so whatever must be up before the service counts as ready (a bound HTTP port) is done there.
public protocol Service: Sendable {
    /// Set-up that must be done before the next piece starts (binding a socket). An error stops start-up.
    /// Runs on the starting thread, before ``run()``. The default does nothing.
    func prepare() throws

    /// Runs until the task is cancelled, then finishes the work in flight and returns. An error (other
    /// than cancellation) stops the whole service.
    func run() async throws
}

extension Service {
    public func prepare() throws {}
}

/// Suspends until the current task is cancelled (what a ``Service`` that only holds something open does).
public func untilCancelled() async {
    while !Task.isCancelled {
        try? await Task.sleep(for: .seconds(3_600))
    }
}
