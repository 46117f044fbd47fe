/// The request methods this server implements. Any other syntactically valid method is answered
/// `501 Not Implemented` by the parser, before a handler sees it.
public enum HTTPMethod: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    case get = "GET"
    case head = "HEAD"
    case post = "POST"
    case put = "PUT"
    case delete = "DELETE"
    case patch = "PATCH"
    case options = "OPTIONS"

    /// The method as it appears on the request line, e.g. `GET`.
    public var description: String { rawValue }
}
