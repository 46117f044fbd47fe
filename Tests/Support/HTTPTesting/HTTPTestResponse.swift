/// One HTTP response as a test client read it: the status, the headers in order, the body. The HTTP
/// server's tests (raw bytes over loopback) and the integration tests (the gateway, the stand-in) read
/// responses into this one type.
public struct HTTPTestResponse: Sendable, CustomStringConvertible {
    public var status: Int
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]

    public init(status: Int, headers: [(name: String, value: String)], body: [UInt8]) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// The first header named `name` (any case).
    public func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }

    public var text: String { String(decoding: body, as: UTF8.self) }

    public var description: String { "\(status) \(text.prefix(600))" }

    /// The status and headers of a response head (the bytes before its blank line): nil when the status
    /// line is not `HTTP-version SP status ...`. Header values lose the spaces and tabs around them;
    /// lines without a colon are skipped.
    public static func parseHead(_ head: some Collection<UInt8>) -> (status: Int, headers: [(name: String, value: String)])? {
        var lines = String(decoding: head, as: UTF8.self).split(separator: "\r\n", omittingEmptySubsequences: false)
        guard !lines.isEmpty else { return nil }
        let statusLine = lines.removeFirst().split(separator: " ")
        guard statusLine.count >= 2, let status = Int(statusLine[1]) else { return nil }
        let headers = lines.compactMap { line -> (name: String, value: String)? in
            guard let colon = line.firstIndex(of: ":") else { return nil }
            let isSpace = { (c: Character) in c == " " || c == "\t" }
            var value = line[line.index(after: colon)...].drop(while: isSpace)
            while let last = value.last, isSpace(last) { value = value.dropLast() }
            return (String(line[..<colon]), String(value))
        }
        return (status, headers)
    }
}
