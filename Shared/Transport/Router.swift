import Synchronization
import Wire

/// A request or event as a handler sees it.
public struct Request: Sendable {
    /// The envelope as received.
    public let envelope: Envelope

    public init(envelope: Envelope) { self.envelope = envelope }

    public var type: String { envelope.type }
    public var traceID: String? { envelope.traceID }
    public var payload: RawJSON? { envelope.payload }

    /// Decodes the payload; an absent payload decodes as `{}`.
    public func decode<T: Decodable>(_ type: T.Type = T.self) throws(WireError) -> T {
        try (envelope.payload ?? .emptyObject).decode(T.self)
    }
}

/// How a handler runs.
public enum Handler: Sendable {
    /// Runs on the connection's reader thread. Only for work that never blocks and never suspends
    /// (answering `sys.ping`, echoing): it saves two thread hops per message.
    case inline(@Sendable (Request) throws -> RawJSON?)
    /// Runs as a Swift task; may await storage, other services or Stripe. The task starts on the
    /// reader thread (`Task.immediate`) and leaves it at its first suspension, which saves a thread hop
    /// per message: the work before the first `await` (decoding, checks) must not block.
    case task(@Sendable (Request) async throws -> RawJSON?)
    /// Starts on the reader thread like ``inline`` and answers later, from any thread, through its
    /// ``Responder``. For handlers whose only wait is a callback (a group-committed database write): the
    /// answer goes out from the thread that ran the callback, without a hop through Swift's task pool.
    /// The start must not block; the callback must not block either.
    case deferred(@Sendable (Request, Responder) -> Void)
}

/// Answers one request of a ``Handler/deferred`` handler, exactly once.
///
/// The first answer wins and later ones are ignored. A responder dropped without an answer answers
/// `internal` itself, so no caller waits for a reply that never comes.
public final class Responder: Sendable {
    private let finish: @Sendable (Result<RawJSON?, any Error>) -> Void
    private let answered = Atomic<Bool>(false)

    /// `finish` receives the one answer (it builds and sends the reply frame).
    public init(finish: @escaping @Sendable (Result<RawJSON?, any Error>) -> Void) {
        self.finish = finish
    }

    deinit {
        if !answered.load(ordering: .acquiring) {
            finish(.failure(WireError.internalError("the handler dropped the request without an answer")))
        }
    }

    /// Answers with `payload` (nil answers `{}`).
    public func succeed(_ payload: RawJSON?) { answer(.success(payload)) }

    /// Answers with an error: a ``WireError`` is sent as is, anything else as `internal` (and logged).
    public func fail(_ error: any Error) { answer(.failure(error)) }

    /// Answers with the result of `body`.
    public func answer(_ body: () throws -> RawJSON?) { answer(Result { try body() }) }

    private func answer(_ result: Result<RawJSON?, any Error>) {
        guard !answered.exchange(true, ordering: .acquiringAndReleasing) else { return }
        finish(result)
    }
}

/// Maps message types to handlers. Built once at start, then immutable.
public struct Router: Sendable {
    private var handlers: [String: Handler] = [:]

    public init() {}

    /// The types this router answers, sorted.
    public var types: [String] { handlers.keys.sorted() }

    public subscript(type: String) -> Handler? { handlers[type] }

    /// Registers a raw handler.
    public mutating func register(_ type: String, _ handler: Handler) {
        precondition(handlers[type] == nil, "handler for \(type) registered twice")
        handlers[type] = handler
    }

    /// Registers a typed async handler: the payload is decoded as `In` (a mismatch answers
    /// `invalid_argument` naming the field) and the result encoded as the response payload.
    public mutating func on<In: Decodable & Sendable, Out: Encodable & Sendable>(
        _ type: String, _ input: In.Type = In.self,
        _ body: @escaping @Sendable (Request, In) async throws -> Out
    ) {
        register(type, .task { request in
            let value = try request.decode(In.self)
            return try RawJSON(encoding: await body(request, value))
        })
    }

    /// Registers a typed callback handler (see ``Handler/deferred``): the payload is decoded as `In` on the
    /// reader thread, and the value `body` later hands to its completion is encoded as the response payload.
    public mutating func onDeferred<In: Decodable & Sendable, Out: Encodable & Sendable, Failure: Error>(
        _ type: String, _ input: In.Type = In.self,
        _ body: @escaping @Sendable (Request, In, _ completion: @escaping @Sendable (Result<Out, Failure>) -> Void) -> Void
    ) {
        register(type, .deferred { request, responder in
            let value: In
            do throws(WireError) { value = try request.decode(In.self) } catch {
                responder.fail(error)
                return
            }
            body(request, value) { result in
                responder.answer { try RawJSON(encoding: result.get()) }
            }
        })
    }
}
