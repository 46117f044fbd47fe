#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Core
import Synchronization
import System
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
        /// Connection attempts that failed in a row.
        var failures = 0
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

    /// Sends several requests or events at once and waits until every one is answered or has failed.
    ///
    /// The frames go out in one write and the caller is resumed once, when the last reply arrives (or the
    /// deadline passes), instead of once per message: the way to send a burst, such as a round of the event
    /// relay. Each message fails or succeeds on its own, exactly as with ``send(_:deadline:waitForConnection:)``:
    /// an error reply is ``ClientError/Code/remote``, a reply missing at the deadline is
    /// ``ClientError/Code/deadlineExceeded``, and a connection that cannot be opened or breaks fails every
    /// message not yet answered with ``ClientError/Code/unavailable``.
    ///
    /// - Parameters:
    ///   - messages: sent in this order; an empty array returns at once.
    ///   - deadline: for the whole batch; the client's default deadline when nil.
    ///   - waitForConnection: as for ``send(_:deadline:waitForConnection:)``.
    /// - Returns: one result per message, in the order of `messages`.
    public func sendAll(_ messages: [Envelope], deadline: Duration? = nil,
                        waitForConnection: Bool = true) async -> [Result<Envelope, ClientError>] {
        if messages.isEmpty { return [] }
        let due = ContinuousClock.now + (deadline ?? defaultDeadline)
        let connection: ClientConnection
        do throws(ClientError) {
            connection = try await self.connection(before: waitForConnection ? due : .now)
        } catch {
            return Array(repeating: .failure(error), count: messages.count)
        }
        return await connection.callAll(messages, due: due).map { reply in
            if case .success(let envelope) = reply, let error = envelope.error {
                return .failure(ClientError(.remote, error.message, remote: error))
            }
            return reply
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
                    s.failures = 0
                    s.nextAttempt = nil
                    return .success(c)
                } catch {
                    s.lastFailure = Self.describe(error)
                    s.failures += 1
                    // Jittered so many clients do not reconnect in lockstep.
                    s.nextAttempt = now + Backoff.delay(attempt: s.failures, base: .milliseconds(20), cap: .seconds(1))
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
///
/// A call of ``send`` waits for its own reply; a batch of ``sendAll`` has one slot per message and one
/// continuation, resumed when its last slot is filled. Either way every message sent is one entry of
/// ``Pending/waiters``, keyed by message id, and every waiter is resumed exactly once: by its reply, by
/// ``expireOverdue()`` or by ``fail(_:)``, whichever removes the entry (or fills the last slot) first.
final class ClientConnection: Sendable {
    typealias Reply = Result<Envelope, ClientError>

    /// The replies of one batch, filled in by whoever removes its entries from ``Pending/waiters``.
    /// Touched only with `pending` locked; it never leaves the lock.
    private final class Batch {
        let continuation: CheckedContinuation<[Reply], Never>
        private var replies: [Reply?]
        private var remaining: Int

        init(_ continuation: CheckedContinuation<[Reply], Never>, count: Int) {
            self.continuation = continuation
            replies = Array(repeating: nil, count: count)
            remaining = count
        }

        /// Fills slot `index`; returns every reply once the last slot is filled.
        func fill(_ index: Int, with reply: Reply) -> [Reply]? {
            replies[index] = reply
            remaining -= 1
            return remaining == 0 ? replies.map { $0! } : nil
        }
    }

    /// Who waits for the reply to one message.
    private enum Waiter {
        /// A call of ``call(_:due:)``.
        case single(CheckedContinuation<Reply, Never>)
        /// Slot `index` of a batch of ``callAll(_:due:)``.
        case slot(Batch, index: Int)

        /// Records `reply`; returns the resumption to perform once the lock is released, if one is due.
        func complete(with reply: Reply) -> Resumption? {
            switch self {
            case .single(let continuation):
                .single(continuation, reply)
            case .slot(let batch, let index):
                batch.fill(index, with: reply).map { Resumption.batch(batch.continuation, $0) }
            }
        }
    }

    /// A continuation and what to resume it with: taken out under the lock, performed after it.
    private enum Resumption {
        case single(CheckedContinuation<Reply, Never>, Reply)
        case batch(CheckedContinuation<[Reply], Never>, [Reply])

        func resume() {
            switch self {
            case .single(let continuation, let reply): continuation.resume(returning: reply)
            case .batch(let continuation, let replies): continuation.resume(returning: replies)
            }
        }
    }

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

    /// Messages sent and not yet answered (a batch counts each of its messages).
    var pendingCount: Int { pending.withLock { $0.waiters.count } }

    func call(_ message: Envelope, due: ContinuousClock.Instant) async -> Reply {
        let frame = message.frame()
        return await withCheckedContinuation { (continuation: CheckedContinuation<Reply, Never>) in
            let refused: ClientError? = pending.withLock { p in
                if let dead = p.dead { return dead }
                p.waiters[message.id] = (.single(continuation), due)
                return nil
            }
            if let refused { continuation.resume(returning: .failure(refused)); return }
            if !connection.send(frame) {
                fail(ClientError(.unavailable, "connection lost while sending"))
            }
        }
    }

    /// Sends every message in one write and waits for all their replies; one result per message, in order.
    func callAll(_ messages: [Envelope], due: ContinuousClock.Instant) async -> [Reply] {
        if messages.isEmpty { return [] }
        // Frames are self-delimiting: the batch is their concatenation.
        var bytes: [UInt8] = []
        for message in messages { bytes.append(contentsOf: message.frame()) }
        return await withCheckedContinuation { (continuation: CheckedContinuation<[Reply], Never>) in
            let early: Resumption? = pending.withLock { p in
                if let dead = p.dead {
                    return .batch(continuation, Array(repeating: .failure(dead), count: messages.count))
                }
                let batch = Batch(continuation, count: messages.count)
                var done: Resumption?
                for (index, message) in messages.enumerated() {
                    if p.waiters[message.id] != nil {
                        // Ids are unique by construction; should one repeat, its replies could not be told
                        // apart: fail this slot at once rather than leave a waiter nobody resumes.
                        let refused = ClientError(.protocolViolation, "message id \(message.id) is already in flight")
                        done = Waiter.slot(batch, index: index).complete(with: .failure(refused))
                        continue
                    }
                    p.waiters[message.id] = (.slot(batch, index: index), due)
                }
                return done
            }
            if let early { early.resume(); return }
            if !connection.send(bytes) {
                fail(ClientError(.unavailable, "connection lost while sending"))
            }
        }
    }

    /// Fails every pending call and marks the connection dead; the client opens a new one next time.
    func fail(_ error: ClientError) {
        let resumptions = pending.withLock { p -> [Resumption] in
            if p.dead == nil { p.dead = error }
            defer { p.waiters.removeAll() }
            return p.waiters.values.compactMap { $0.waiter.complete(with: .failure(error)) }
        }
        connection.shutdownBoth()
        for r in resumptions { r.resume() }
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
            // No waiter: its deadline already passed. A batch slot resumes nobody until the batch's last one.
            let resumption = pending.withLock { $0.waiters.removeValue(forKey: replyTo)?.waiter.complete(with: .success(envelope)) }
            resumption?.resume()
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
        let overdue = ClientError(.deadlineExceeded, "no reply before the deadline")
        let expired = pending.withLock { p -> [Resumption] in
            var out: [Resumption] = []
            for (id, entry) in p.waiters where entry.due <= now {
                p.waiters[id] = nil
                if let r = entry.waiter.complete(with: .failure(overdue)) { out.append(r) }
            }
            return out
        }
        for r in expired { r.resume() }
    }
}
