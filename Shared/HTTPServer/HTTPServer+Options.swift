extension HTTPServer {
    /// Limits and timeouts. The defaults suit a JSON API behind a TLS-terminating proxy.
    public struct Options: Sendable {
        /// Longest request line (414 beyond).
        public var maxRequestLineBytes = 8 * 1024
        /// Most bytes in a header section (431 beyond).
        public var maxHeaderBytes = 16 * 1024
        /// Most header fields (431 beyond).
        public var maxHeaderCount = 100
        /// Largest request body (413 beyond).
        public var maxBodyBytes = 1 << 20
        /// Open connections beyond this are answered 503 and closed.
        public var maxConnections = 1024
        /// How long a keep-alive connection may sit between requests before it is closed (silently).
        public var idleTimeout: Duration = .seconds(30)
        /// How long a client has from the first byte of a request (for a new connection: from accept) to
        /// the end of its headers; past it the server answers 408 and closes. This is the defence
        /// against slowloris: the deadline is absolute, trickling bytes does not extend it.
        public var headerTimeout: Duration = .seconds(10)
        /// How long a client has from the end of the headers to the end of the body (408 beyond).
        public var bodyTimeout: Duration = .seconds(30)
        /// How long writing one response may take before the connection is dropped.
        public var writeTimeout: Duration = .seconds(30)
        /// How long a handler may take before the client gets 504 and the connection is closed (the
        /// handler's task is cancelled; its late answer is dropped).
        public var handlerTimeout: Duration = .seconds(60)
        /// After a response that closes the connection, how long unread input is drained so the client
        /// gets the response rather than a reset.
        public var lingerTimeout: Duration = .seconds(1)
        /// How long ``HTTPServer/stop()`` waits for in-flight requests.
        public var drainTimeout: Duration = .seconds(5)
        /// The listen backlog.
        public var listenBacklog: Int32 = 511

        /// The defaults.
        public init() {}

        /// The parser limits these options imply.
        public var parserLimits: HTTPRequestParser.Limits {
            var limits = HTTPRequestParser.Limits()
            limits.maxRequestLineBytes = maxRequestLineBytes
            limits.maxHeaderBytes = maxHeaderBytes
            limits.maxHeaderCount = maxHeaderCount
            limits.maxBodyBytes = maxBodyBytes
            return limits
        }
    }
}
