import Foundation
import HTTPTesting
#if canImport(Glibc)
import Glibc
#endif

/// A minimal HTTP/1.1 client over a loopback TCP socket for gateway tests: one request per connection
/// (`Connection: close`), redirects not followed, the raw status, headers and body returned.
struct HTTPTestClient {
    let port: Int

    /// Sends one request and reads the whole response.
    func send(_ method: String, _ target: String, headers: [(String, String)] = [], body: [UInt8] = [],
              timeout: Duration = .seconds(15)) throws -> HTTPTestResponse {
        var head = "\(method) \(target) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        if !body.isEmpty || method == "POST" { head += "Content-Length: \(body.count)\r\n" }
        head += "\r\n"
        let raw = try exchange(Array(head.utf8) + body, timeout: timeout)
        return try Self.parse(raw)
    }

    /// GET `target`.
    func get(_ target: String, headers: [(String, String)] = []) throws -> HTTPTestResponse {
        try send("GET", target, headers: headers)
    }

    /// POST a JSON text to `target`.
    func postJSON(_ target: String, _ json: String, headers: [(String, String)] = []) throws -> HTTPTestResponse {
        try send("POST", target, headers: [("Content-Type", "application/json")] + headers, body: Array(json.utf8))
    }

    private func exchange(_ bytes: [UInt8], timeout: Duration) throws -> [UInt8] {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.EIO) }
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw ServiceFailure("connect to 127.0.0.1:\(port) failed: errno \(errno)") }
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress! + offset, bytes.count - offset, Int32(MSG_NOSIGNAL)) }
            if n < 0 {
                if errno == EINTR { continue }
                throw ServiceFailure("send failed: errno \(errno)")
            }
            offset += n
        }
        let deadline = ContinuousClock.now + timeout
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let remaining = deadline - ContinuousClock.now
            guard remaining > .zero else { throw ServiceFailure("no complete response within \(timeout)") }
            var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let ms = Int32(remaining.components.seconds * 1000 + remaining.components.attoseconds / 1_000_000_000_000_000)
            if poll(&p, 1, max(1, ms)) == 0 { continue }
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress!, $0.count, 0) }
            if n == 0 { return out }
            if n < 0 {
                if errno == EINTR { continue }
                if errno == ECONNRESET, !out.isEmpty { return out }
                throw ServiceFailure("recv failed: errno \(errno)")
            }
            out += buffer[0..<n]
        }
    }

    static func parse(_ raw: [UInt8]) throws -> HTTPTestResponse {
        let separator: [UInt8] = Array("\r\n\r\n".utf8)
        guard let end = raw.firstRange(of: separator) else {
            throw ServiceFailure("incomplete response: \(String(decoding: raw.prefix(300), as: UTF8.self))")
        }
        guard let (status, headers) = HTTPTestResponse.parseHead(raw[..<end.lowerBound]) else {
            throw ServiceFailure("bad status line: \(String(decoding: raw[..<end.lowerBound].prefix(300), as: UTF8.self))")
        }
        var body = Array(raw[end.upperBound...])
        if let length = headers.first(where: { $0.name.lowercased() == "content-length" }).flatMap({ Int($0.value) }) {
            body = Array(body.prefix(length))
        }
        return HTTPTestResponse(status: status, headers: headers, body: body)
    }
}

extension HTTPTestResponse {
    /// The body parsed as a JSON object (empty when it is not one).
    var json: [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any] ?? [:]
    }

    /// `error.<name>` of an error body (the gateway's `code`, `field`, `reason`; Stripe's `code`, `param`, ...).
    func errorValue(_ name: String) -> String? { (json["error"] as? [String: Any])?[name] as? String }

    /// `error.code` of an error body.
    var errorCode: String? { errorValue("code") }
    /// `error.field` of an error body.
    var errorField: String? { errorValue("field") }
}
