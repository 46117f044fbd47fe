import Core
import Logging

/// Maps `(method, path pattern)` to handlers. Built once at start, then immutable and shared.
///
/// Patterns are `/`-separated literal segments and `{name}` parameters: `/v1/orders/{id}/refunds`. A
/// parameter matches one non-empty segment; a literal wins over a parameter at the same position
/// (`/orders/new` before `/orders/{id}`). Trailing slashes are significant.
///
/// Unknown paths get `404 not_found`; a known path with another method gets `405 method_not_allowed`
/// and an `Allow` header. GET handlers answer HEAD too (the server drops the body). A handler may throw
/// ``HTTPError`` to answer with that error; any other error is logged and answered `500 internal`
/// without details.
public struct HTTPRouter: Sendable {
    /// A route handler: the request and the decoded path parameters in, a response out.
    public typealias Handler = @Sendable (HTTPRequest, PathParameters) async throws -> HTTPResponse

    private enum Segment: Sendable, Equatable {
        case literal(String)
        case parameter(String)
    }

    private struct Route: Sendable {
        let pattern: String
        let segments: [Segment]
        var handlers: [HTTPMethod: Handler]
    }

    /// What a path and method resolve to.
    public enum Resolution: Sendable {
        /// A handler and its parameters.
        case handler(Handler, PathParameters)
        /// No route has this path.
        case notFound
        /// Routes have this path, with these methods only.
        case methodNotAllowed(allowed: [HTTPMethod])
        /// A parameter segment held a malformed percent escape.
        case badPath
    }

    private var routes: [Route] = []
    private let logger: Logger?

    /// An empty router. Handler failures other than ``HTTPError`` are logged to `logger` when given.
    public init(logger: Logger? = nil) {
        self.logger = logger
    }

    /// Every registered `(method, pattern)`, in registration order of the patterns.
    public var registered: [(method: HTTPMethod, pattern: String)] {
        routes.flatMap { route in
            HTTPMethod.allCases.filter { route.handlers[$0] != nil }.map { (method: $0, pattern: route.pattern) }
        }
    }

    /// Registers `handler` for `method` on `pattern`. Registering the same method and pattern twice, or two
    /// patterns that differ only in parameter names, is a programming error and traps.
    public mutating func on(_ method: HTTPMethod, _ pattern: String, _ handler: @escaping Handler) {
        let segments = Self.parse(pattern: pattern)
        let shape = segments.map { segment -> Segment in
            if case .parameter = segment { return .parameter("") }
            return segment
        }
        if let i = routes.firstIndex(where: { route in
            route.segments.map { s -> Segment in if case .parameter = s { return .parameter("") }; return s } == shape
        }) {
            precondition(routes[i].segments == segments,
                         "route \(pattern) conflicts with \(routes[i].pattern): same shape, different parameter names")
            precondition(routes[i].handlers[method] == nil, "\(method) \(pattern) registered twice")
            routes[i].handlers[method] = handler
        } else {
            routes.append(Route(pattern: pattern, segments: segments, handlers: [method: handler]))
        }
    }

    /// Registers a GET handler (which also answers HEAD).
    public mutating func get(_ pattern: String, _ handler: @escaping Handler) { on(.get, pattern, handler) }
    /// Registers a POST handler.
    public mutating func post(_ pattern: String, _ handler: @escaping Handler) { on(.post, pattern, handler) }
    /// Registers a PUT handler.
    public mutating func put(_ pattern: String, _ handler: @escaping Handler) { on(.put, pattern, handler) }
    /// Registers a PATCH handler.
    public mutating func patch(_ pattern: String, _ handler: @escaping Handler) { on(.patch, pattern, handler) }
    /// Registers a DELETE handler.
    public mutating func delete(_ pattern: String, _ handler: @escaping Handler) { on(.delete, pattern, handler) }

    /// Finds the handler for `method` on the raw `path`.
    public func resolve(_ method: HTTPMethod, path: String) -> Resolution {
        guard path.hasPrefix("/") else { return .notFound }
        let parts = path.utf8.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false).dropFirst()
            .map { Substring($0) }
        var best: Route?
        var allowed = Set<HTTPMethod>()
        for route in routes where Self.matches(route.segments, parts) {
            allowed.formUnion(route.handlers.keys)
            guard route.handlers[method] != nil || (method == .head && route.handlers[.get] != nil) else { continue }
            if let current = best, !Self.isMoreSpecific(route.segments, than: current.segments) { continue }
            best = route
        }
        guard let best else {
            if allowed.isEmpty { return .notFound }
            if allowed.contains(.get) { allowed.insert(.head) }
            return .methodNotAllowed(allowed: HTTPMethod.allCases.filter(allowed.contains))
        }
        var parameters: [(name: String, value: String)] = []
        for (segment, part) in zip(best.segments, parts) {
            guard case .parameter(let name) = segment else { continue }
            guard let value = PercentEncoding.decode(part, plusAsSpace: false) else { return .badPath }
            parameters.append((name, value))
        }
        let handler = best.handlers[method] ?? best.handlers[.get]!
        return .handler(handler, PathParameters(parameters))
    }

    /// Routes `request` and runs its handler; the function to give ``HTTPServer``.
    public func handle(_ request: HTTPRequest) async -> HTTPResponse {
        switch resolve(request.method, path: request.path) {
        case .notFound:
            return .error(.notFound("no route for \(request.method) \(request.path.prefix(200))"))
        case .methodNotAllowed(let allowed):
            var response = HTTPResponse.error(status: .methodNotAllowed, code: .methodNotAllowed,
                                              message: "\(request.method) is not allowed here")
            response.headers.set("Allow", allowed.map(\.rawValue).joined(separator: ", "))
            return response
        case .badPath:
            return .error(.badRequest("malformed percent-encoding in the path"))
        case .handler(let handler, let parameters):
            do {
                return try await handler(request, parameters)
            } catch let error as HTTPError {
                return .error(error)
            } catch {
                logger?.error("HTTP handler failed", ["http.method": request.method.rawValue, "http.path": request.path,
                                                      "http.request_id": request.requestID, "error": "\(error)"])
                return .error(.internalError())
            }
        }
    }

    private static func parse(pattern: String) -> [Segment] {
        precondition(pattern.hasPrefix("/"), "route pattern \(pattern) must start with /")
        var names = Set<String>()
        return pattern.split(separator: "/", omittingEmptySubsequences: false).dropFirst().map { part in
            if part.hasPrefix("{") && part.hasSuffix("}") && part.count > 2 {
                let name = String(part.dropFirst().dropLast())
                precondition(!name.contains("{") && !name.contains("}"), "bad parameter \(part) in \(pattern)")
                precondition(names.insert(name).inserted, "parameter {\(name)} appears twice in \(pattern)")
                return .parameter(name)
            }
            precondition(!part.contains("{") && !part.contains("}"), "bad segment \(part) in \(pattern)")
            return .literal(String(part))
        }
    }

    private static func matches(_ segments: [Segment], _ parts: [Substring]) -> Bool {
        guard segments.count == parts.count else { return false }
        for (segment, part) in zip(segments, parts) {
            switch segment {
            case .literal(let literal): if part != literal { return false }
            case .parameter: if part.isEmpty { return false }
            }
        }
        return true
    }

    /// Whether `a` beats `b`: at the first position where they differ, `a` has a literal.
    private static func isMoreSpecific(_ a: [Segment], than b: [Segment]) -> Bool {
        for (x, y) in zip(a, b) {
            switch (x, y) {
            case (.literal, .parameter): return true
            case (.parameter, .literal): return false
            default: continue
            }
        }
        return false
    }
}
