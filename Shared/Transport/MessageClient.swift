#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Synchronization
import Wire

/// Calls another service over its Unix socket.
///
/// One connection is shared by all callers and requests are pipelined on it; replies are matched by id.
/// The connection is opened lazily, reopened after it breaks, with capped exponential backoff between
/// failed attempts. Every call has a deadline, and the three ways a call fails stay distinct:
/// ``ClientError/Code/unavailable``, ``ClientError/Code/deadlineExceeded`` and ``ClientError/Code/remote``.
public final class MessageClient: Sendable {
    public let socketPath: String
    public let defaultDeadline: Duration
    public let maxFrameBytes: Int

    private struct State {
        var connection: ClientConnection?
        var backoff: Duration = .zero
        var nextAttempt: ContinuousClock.Instant?
        var lastFailure = ""
        var closed = false
    }
    private let state = Mutex(State())

    public init(socketPath: String, defaultDeadline: Duration = .seconds(5), maxFrameBytes: Int = Frame.defaultMaxPayload) {
        self.socketPath = socketPath
        self.defaultDeadline = defaultDeadline
        self.maxFrameBytes = maxFrameBytes
    }

    deinit { close() }

    /// Calls sent and not yet answered on the current connection.
    public var inFlightCount: Int {
        state.withLock { $0.connection }?.pendingCount ?? 0
    }

    /// Closes the connection; pending calls fail as unavailable.
    public func close() {
        let c = state.withLock { s -> ClientConnection? in
            s.closed = true
            defer { s.connection = nil }
            return s.connection
        }
        c?.fail(ClientError(.unavailable, "client closed"))
    }

    /// Sends a request or event and waits for its reply. An error reply throws ``ClientError/Code/remote``.
    ///
    /// - Parameter waitForConnection: when the service is unreachable, keep reconnecting (with backoff)
    ///   until the deadline (the default), or fail at once with ``ClientError/Code/unavailable`` (for
    ///   callers with their own retry policy, such as the event relay).
    public func send(_ message: Envelope, deadline: Duration? = nil,
                     waitForConnection: Bool = true) async throws(ClientError) -> Envelope {
        let due = ContinuousClock.now + (deadline ?? defaultDeadline)
        let connection = try await connection(before: waitForConnection ? due : .now)
        let reply = await connection.call(message, due: due)
        switch reply {
        case .success(let envelope):
            if let error = envelope.error { throw ClientError(.remote, error.message, remote: error) }
            return envelope
        case .failure(let error):
            throw error
        }
    }

    /// Calls `type` with an encodable payload and decodes the reply as `Out`.
    public func call<Out: Decodable>(_ type: String, _ payload: some Encodable, traceID: String? = nil,
                                     as: Out.Type = Out.self, deadline: Duration? = nil) async throws(ClientError) -> Out {
        let body: RawJSON
        do { body = try RawJSON(encoding: payload) } catch { throw ClientError(.protocolViolation, "cannot encode request: \(error)") }
        let reply = try await send(.request(type, payload: body, traceID: traceID), deadline: deadline)
        do {
            return try (reply.payload ?? .emptyObject).decode(Out.self)
        } catch {
            throw ClientError(.protocolViolation, "reply to \(type) did not decode: \(error.message)")
        }
    }

    /// Returns a live connection, connecting (with backoff between failures) until `due`.
    private func connection(before due: ContinuousClock.Instant) async throws(ClientError) -> ClientConnection {
        while true {
            let step = state.withLock { s -> Result<ClientConnection, ClientError>? in
                if s.closed { return .failure(ClientError(.unavailable, "client closed")) }
                if let c = s.connection, !c.isDead { return .success(c) }
                s.connection = nil
                let now = ContinuousClock.now
                if let next = s.nextAttempt, next > now { return nil }
                do throws(SystemError) {
                    let fd = try UnixSocket.connect(path: socketPath)
                    let c = ClientConnection(fd: fd, maxFrameBytes: maxFrameBytes)
                    s.connection = c
                    s.backoff = .zero
                    s.nextAttempt = nil
                    return .success(c)
                } catch {
                    s.lastFailure = Self.describe(error)
                    s.backoff = s.backoff == .zero ? .milliseconds(20) : min(s.backoff * 2, .seconds(1))
                    // Jitter in [half, full] so many clients do not reconnect in lockstep.
                    let jittered = s.backoff * Double.random(in: 0.5...1.0)
                    s.nextAttempt = now + jittered
                    return nil
                }
            }
            if let step { return try step.get() }
            let (next, reason) = state.withLock { ($0.nextAttempt ?? .now, $0.lastFailure) }
            if next >= due { throw ClientError(.unavailable, reason) }
            do { try await Task.sleep(until: next, clock: .continuous) } catch {
                throw ClientError(.unavailable, "cancelled while waiting to reconnect: \(reason)")
            }
        }
    }

    static func describe(_ error: SystemError) -> String {
        switch error.errno {
        case ENOENT: "no socket at \(error.operation.dropFirst(8).dropLast())"
        case ECONNREFUSED: "connection refused (\(error.operation))"
        case EAGAIN: "service backlog full (\(error.operation))"
        default: error.description
        }
    }
}

/// One client-side connection: the pending calls, and a reader thread that matches replies to them
/// and expires calls whose deadline passed.
final class ClientConnection: Sendable {
    typealias Waiter = CheckedContinuation<Result<Envelope, ClientError>, Never>
    private struct Pending {
        var waiters: [String: (waiter: Waiter, due: ContinuousClock.Instant)] = [:]
        var dead: ClientError?
    }
    private let connection: FramedConnection
    private let pending = Mutex(Pending())

    init(fd: Int32, maxFrameBytes: Int) {
        connection = FramedConnection(fd: fd)
        Threads.spawn(name: "shop-client") { [self] in readLoop(maxFrameBytes: maxFrameBytes) }
    }

    var isDead: Bool { pending.withLock { $0.dead != nil } }

    var pendingCount: Int { pending.withLock { $0.waiters.count } }

    func call(_ message: Envelope, due: ContinuousClock.Instant) async -> Result<Envelope, ClientError> {
        let frame = message.frame()
        return await withCheckedContinuation { (waiter: Waiter) in
            let refused: ClientError? = pending.withLock { p in
                if let dead = p.dead { return dead }
                p.waiters[message.id] = (waiter, due)
                return nil
            }
            if let refused { waiter.resume(returning: .failure(refused)); return }
            if !connection.send(frame) {
                fail(ClientError(.unavailable, "connection lost while sending"))
            }
        }
    }

    /// Fails every pending call and marks the connection dead; the client opens a new one next time.
    func fail(_ error: ClientError) {
        let waiters = pending.withLock { p -> [Waiter] in
            if p.dead == nil { p.dead = error }
            defer { p.waiters.removeAll() }
            return p.waiters.values.map(\.waiter)
        }
        connection.shutdownBoth()
        for w in waiters { w.resume(returning: .failure(error)) }
    }

    private func readLoop(maxFrameBytes: Int) {
        let end = connection.readLoop(maxPayload: maxFrameBytes, partialFrameTimeoutMs: 10_000, idleTickMs: 20,
                                      onTick: { expireOverdue() }) { frame in
            let envelope: Envelope
            do throws(Envelope.DecodeError) { envelope = try Envelope.decode(slice: frame) } catch {
                fail(ClientError(.protocolViolation, "undecodable reply: \(error.error.message)"))
                return false
            }
            guard let replyTo = envelope.replyTo else {
                // A connection-level error from the server (for example a refused frame).
                fail(ClientError(.unavailable, "server closed the connection: \(envelope.error?.message ?? "no reason given")"))
                return false
            }
            let waiter = pending.withLock { $0.waiters.removeValue(forKey: replyTo)?.waiter }
            waiter?.resume(returning: .success(envelope))  // No waiter: its deadline already passed.
            return true
        }
        let reason: String = switch end {
        case .peerClosed: "connection closed by the service"
        case .readError(let e): "read failed: \(String(cString: strerror(e)))"
        case .frameError(let e): "bad frame from the service: \(e)"
        case .partialFrameTimeout: "the service stopped mid-frame"
        case .stoppedByHandler: "connection dropped"
        }
        fail(ClientError(.unavailable, reason))
    }

    private func expireOverdue() {
        let now = ContinuousClock.now
        let expired = pending.withLock { p -> [Waiter] in
            var out: [Waiter] = []
            for (id, entry) in p.waiters where entry.due <= now {
                out.append(entry.waiter)
                p.waiters[id] = nil
            }
            return out
        }
        for w in expired { w.resume(returning: .failure(ClientError(.deadlineExceeded, "no reply before the deadline"))) }
    }
}
