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
}
