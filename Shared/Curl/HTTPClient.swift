import CCurl
@preconcurrency import Dispatch
import Foundation

/// An outbound HTTP request.
public struct ClientRequest: Sendable {
    public var method: String
    public var url: String
    /// Sent in this order, exactly as given.
    public var headers: [(String, String)]
    public var body: [UInt8]

    public init(method: String, url: String, headers: [(String, String)] = [], body: [UInt8] = []) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
    }
}

/// A complete response.
public struct ClientResponse: Sendable {
    public var status: Int
    /// Header fields of the final response, names as received.
    public var headers: [(String, String)]
    public var body: [UInt8]

    /// The first value of the header `name` (case-insensitive).
    public func header(_ name: String) -> String? {
        headers.first { $0.0.caseInsensitiveCompare(name) == .orderedSame }?.1
    }
}

/// Timeouts for one client.
public struct ClientTimeouts: Sendable {
    public var connect: Duration
    public var total: Duration

    public init(connect: Duration = .seconds(10), total: Duration = .seconds(80)) {
        self.connect = connect
        self.total = total
    }
}

/// An HTTP(S) client on libcurl.
///
/// TLS certificate and host verification are always on (there is no switch to turn them off). Easy
/// handles are pooled and reused so keep-alive connections are reused across requests. `perform` blocks
/// the calling thread; the async `send` runs it on a queue of its own so the cooperative pool never blocks.
public final class HTTPClient: Sendable {
    public let timeouts: ClientTimeouts
    /// Optional CA bundle file (PEM), for tests that run TLS on loopback; nil uses the system store.
    public let caBundle: String?
    /// The largest response body accepted; a larger one ends the transfer with a `tooLarge` error, so a
    /// misbehaving or hostile server cannot make the process buffer without bound.
    public let maxResponseBytes: Int
    /// Default for ``maxResponseBytes``: Stripe's largest list pages are a few hundred KB.
    public static let defaultMaxResponseBytes = 4 << 20
    private let pool = IdlePool(limit: 16) { EasyHandle() }
    private let queue = DispatchQueue(label: "shop.curl", attributes: .concurrent)

    public init(timeouts: ClientTimeouts = ClientTimeouts(), caBundle: String? = nil,
                maxResponseBytes: Int = HTTPClient.defaultMaxResponseBytes) {
        Curl.initializeOnce()
        self.timeouts = timeouts
        self.caBundle = caBundle
        self.maxResponseBytes = maxResponseBytes
    }

    /// Performs `request` on a curl thread and resumes when the response is complete.
    public func send(_ request: ClientRequest) async throws(CurlError) -> ClientResponse {
        let result: Result<ClientResponse, CurlError> = await withCheckedContinuation { continuation in
            queue.async { continuation.resume(returning: Result { () throws(CurlError) in try self.perform(request) }) }
        }
        return try result.get()
    }

    /// Performs `request` on the calling thread.
    public func perform(_ request: ClientRequest) throws(CurlError) -> ClientResponse {
        let handle = pool.take()
        defer { pool.give(handle) }
        return try handle.perform(request, timeouts: timeouts, caBundle: caBundle, maxResponseBytes: maxResponseBytes)
    }
}

/// Process-wide libcurl state.
public enum Curl {
    private static let initialized: Bool = { curl_global_init(Int(CURL_GLOBAL_DEFAULT)) == CURLE_OK }()

    /// Calls `curl_global_init` once, before any handle exists.
    public static func initializeOnce() { precondition(initialized, "curl_global_init failed") }

    /// The libcurl version string, e.g. `8.5.0`.
    public static var version: String { String(cString: ccurl_version_string()) }
}

/// Accumulates one transfer's status line, headers and body; passed to curl's callbacks with `Unmanaged`.
final class TransferSink {
    var headers: [(String, String)] = []
    var body: [UInt8] = []
    var upload: [UInt8] = []
    var uploadOffset = 0
    var maxBody = Int.max
    /// Set when the body outgrew `maxBody` and the transfer was aborted.
    var tooLarge = false
}

extension TransferSink {
    /// Makes curl read the request body from `upload` (so any bytes, NUL included, go as given).
    static func feedUpload(to h: UnsafeMutableRawPointer, from context: Unmanaged<TransferSink>) -> CURLcode {
        let code = ccurl_setopt_read_function(h, { buffer, size, count, context in
            let sink = Unmanaged<TransferSink>.fromOpaque(context!).takeUnretainedValue()
            let n = min(size * count, sink.upload.count - sink.uploadOffset)
            if n > 0, let buffer {
                sink.upload.withUnsafeBytes { src in
                    UnsafeMutableRawPointer(buffer).copyMemory(from: src.baseAddress! + sink.uploadOffset, byteCount: n)
                }
                sink.uploadOffset += n
            }
            return n
        })
        return code != CURLE_OK ? code : ccurl_setopt_pointer(h, CURLOPT_READDATA, context.toOpaque())
    }
}

/// One curl easy handle (keeps its connection cache between transfers); HTTP here, SMTP in SMTPClient.
final class EasyHandle {
    let handle: UnsafeMutableRawPointer
    /// Where curl writes the last transfer's error message (`CURLOPT_ERRORBUFFER`).
    var errorBuffer = [CChar](repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)

    init() {
        guard let h = curl_easy_init() else { fatalError("curl_easy_init failed") }
        handle = h
    }

    deinit { curl_easy_cleanup(handle) }

    func perform(_ request: ClientRequest, timeouts: ClientTimeouts, caBundle: String?,
                 maxResponseBytes: Int = HTTPClient.defaultMaxResponseBytes) throws(CurlError) -> ClientResponse {
        curl_easy_reset(handle)
        let sink = TransferSink()
        sink.maxBody = maxResponseBytes
        let context = Unmanaged.passRetained(sink)
        defer { context.release() }
        var headerList: UnsafeMutablePointer<curl_slist>?
        defer { curl_slist_free_all(headerList) }
        for (name, value) in request.headers { headerList = curl_slist_append(headerList, "\(name): \(value)") }
        // curl would otherwise add these on its own; the caller's headers are the whole story.
        headerList = curl_slist_append(headerList, "Expect:")
        if !request.headers.contains(where: { $0.0.lowercased() == "accept" }) {
            headerList = curl_slist_append(headerList, "Accept:")
        }

        let h = handle
        errorBuffer[0] = 0
        var code = ccurl_setopt_string(h, CURLOPT_URL, request.url)
        code = or(code, ccurl_setopt_long(h, CURLOPT_NOSIGNAL, 1))
        code = or(code, ccurl_setopt_string(h, CURLOPT_PROTOCOLS_STR, "http,https"))
        code = or(code, ccurl_setopt_long(h, CURLOPT_SSL_VERIFYPEER, 1))
        code = or(code, ccurl_setopt_long(h, CURLOPT_SSL_VERIFYHOST, 2))
        if let caBundle { code = or(code, ccurl_setopt_string(h, CURLOPT_CAINFO, caBundle)) }
        code = or(code, ccurl_setopt_long(h, CURLOPT_CONNECTTIMEOUT_MS, timeouts.connect.curlMilliseconds))
        code = or(code, ccurl_setopt_long(h, CURLOPT_TIMEOUT_MS, timeouts.total.curlMilliseconds))
        code = or(code, ccurl_setopt_long(h, CURLOPT_FOLLOWLOCATION, 0))
        code = or(code, ccurl_setopt_slist(h, CURLOPT_HTTPHEADER, headerList))
        code = errorBuffer.withUnsafeMutableBufferPointer { or(code, ccurl_setopt_pointer(h, CURLOPT_ERRORBUFFER, $0.baseAddress)) }
        code = or(code, ccurl_setopt_write_function(h, { data, size, count, context in
            let sink = Unmanaged<TransferSink>.fromOpaque(context!).takeUnretainedValue()
            let n = size * count
            if sink.body.count + n > sink.maxBody {
                // Returning less than was handed over makes curl abort with CURLE_WRITE_ERROR.
                sink.tooLarge = true
                return 0
            }
            if n > 0, let data { sink.body.append(contentsOf: UnsafeRawBufferPointer(start: data, count: n)) }
            return n
        }))
        code = or(code, ccurl_setopt_pointer(h, CURLOPT_WRITEDATA, context.toOpaque()))
        code = or(code, ccurl_setopt_header_function(h, { data, size, count, context in
            let sink = Unmanaged<TransferSink>.fromOpaque(context!).takeUnretainedValue()
            let n = size * count
            guard n > 0, let data else { return n }
            let line = String(decoding: UnsafeRawBufferPointer(start: data, count: n), as: UTF8.self)
            if line.hasPrefix("HTTP/") {
                sink.headers = []  // a new response (after 100-continue or a redirect): start over
            } else if let colon = line.firstIndex(of: ":") {
                let name = String(line[..<colon])
                let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespacesAndNewlines)
                sink.headers.append((name, value))
            }
            return n
        }))
        code = or(code, ccurl_setopt_pointer(h, CURLOPT_HEADERDATA, context.toOpaque()))

        let method = request.method.uppercased()
        switch method {
        case "GET":
            code = or(code, ccurl_setopt_long(h, CURLOPT_HTTPGET, 1))
        case "HEAD":
            code = or(code, ccurl_setopt_long(h, CURLOPT_NOBODY, 1))
        default:
            // The body goes through a read callback so any bytes (including NUL) are sent as given.
            sink.upload = request.body
            code = or(code, ccurl_setopt_long(h, CURLOPT_POST, 1))
            code = or(code, ccurl_setopt_off_t(h, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(request.body.count)))
            code = or(code, TransferSink.feedUpload(to: h, from: context))
            if method != "POST" { code = or(code, ccurl_setopt_string(h, CURLOPT_CUSTOMREQUEST, method)) }
        }
        guard code == CURLE_OK else { throw CurlError.from(code, detail: "") }

        let result = curl_easy_perform(h)
        if sink.tooLarge {
            throw CurlError(kind: .tooLarge, code: Int(CURLE_WRITE_ERROR.rawValue),
                            message: "the response body is larger than \(sink.maxBody) bytes; transfer aborted")
        }
        guard result == CURLE_OK else {
            throw CurlError.from(result, detail: errorBuffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) })
        }
        var status = 0
        _ = ccurl_getinfo_long(h, CURLINFO_RESPONSE_CODE, &status)
        return ClientResponse(status: status, headers: sink.headers, body: sink.body)
    }

    private func or(_ a: CURLcode, _ b: CURLcode) -> CURLcode { a != CURLE_OK ? a : b }
}

extension Duration {
    /// Whole milliseconds for curl, at least 1 (0 would mean "no timeout").
    var curlMilliseconds: Int {
        let (s, attos) = components
        return max(1, Int(s) * 1000 + Int(attos / 1_000_000_000_000_000))
    }
}
