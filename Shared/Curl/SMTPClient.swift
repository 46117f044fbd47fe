import CCurl
@preconcurrency import Dispatch
import Foundation

/// Where and how to submit mail.
public struct SMTPConfiguration: Sendable {
    /// When to use TLS on an `smtp://` URL.
    public enum StartTLS: String, Sendable {
        /// `STARTTLS` must succeed or nothing is sent (`CURLUSESSL_ALL`).
        case require
        /// Plain text. Only sensible on loopback or a trusted network.
        case off
    }

    /// `smtp://host:port[/ehlo-domain]` or `smtps://host:port` (TLS from the first byte).
    public var url: String
    /// Ignored for `smtps://`, which is always TLS.
    public var startTLS: StartTLS
    public var username: String?
    public var password: String?
    /// Optional CA bundle (PEM) for servers with a private CA; nil uses the system store.
    public var caBundle: String?
    public var connectTimeout: Duration
    /// Bound on one whole submission (connect, greeting, MAIL, RCPT, DATA).
    public var totalTimeout: Duration

    public init(url: String, startTLS: StartTLS = .off, username: String? = nil, password: String? = nil,
                caBundle: String? = nil, connectTimeout: Duration = .seconds(10), totalTimeout: Duration = .seconds(60)) {
        self.url = url
        self.startTLS = startTLS
        self.username = username
        self.password = password
        self.caBundle = caBundle
        self.connectTimeout = connectTimeout
        self.totalTimeout = totalTimeout
    }
}

/// A failed submission, classified for retrying.
///
/// SMTP's own rule decides: a 4xx reply is temporary (greylisting, mailbox busy, rate limits), a 5xx reply
/// is permanent (unknown recipient, rejected content, bad credentials). With no SMTP reply at all, the
/// transport decides: refused connections, timeouts and broken transfers are transient; a bad URL or
/// unsupported protocol is permanent.
public struct SMTPError: Error, Sendable, CustomStringConvertible {
    /// Whether sending the same message again can never succeed without someone changing something.
    public var isPermanent: Bool
    /// The server's last reply code (e.g. 550, 451), when it answered with one.
    public var replyCode: Int?
    /// The underlying transfer error.
    public var curl: CurlError

    public init(isPermanent: Bool, replyCode: Int?, curl: CurlError) {
        self.isPermanent = isPermanent
        self.replyCode = replyCode
        self.curl = curl
    }

    public var description: String {
        (isPermanent ? "permanent" : "transient") + " SMTP failure" + (replyCode.map { " (reply \($0))" } ?? "")
            + ": " + curl.message
    }

    /// Classifies a failed transfer by the last reply code, then by the transport error.
    public static func classify(replyCode: Int, curl: CurlError) -> SMTPError {
        switch replyCode {
        case 500..<600: return SMTPError(isPermanent: true, replyCode: replyCode, curl: curl)
        case 400..<500: return SMTPError(isPermanent: false, replyCode: replyCode, curl: curl)
        default:
            let permanent = curl.kind == .usage
            return SMTPError(isPermanent: permanent, replyCode: replyCode > 0 ? replyCode : nil, curl: curl)
        }
    }
}

/// Submits ready-made MIME messages over SMTP with libcurl: `MAIL FROM`, one `RCPT TO` per recipient,
/// `DATA`. The caller builds the message (headers and body, CRLF line endings); libcurl dot-stuffs it.
///
/// Easy handles are pooled so connections to the server can be reused; ``send(from:to:message:)`` runs
/// the blocking transfer on a queue of its own, never on the cooperative pool.
public final class SMTPClient: Sendable {
    public let configuration: SMTPConfiguration
    private let pool = IdlePool(limit: 8) { EasyHandle() }
    private let queue = DispatchQueue(label: "shop.curl.smtp", attributes: .concurrent)

    public init(_ configuration: SMTPConfiguration) {
        Curl.initializeOnce()
        self.configuration = configuration
    }

    /// Submits `message` on a curl thread.
    public func send(from sender: String, to recipients: [String], message: [UInt8]) async throws(SMTPError) {
        let result: Result<Void, SMTPError> = await withCheckedContinuation { continuation in
            queue.async {
                continuation.resume(returning: Result { () throws(SMTPError) in
                    try self.perform(from: sender, to: recipients, message: message)
                })
            }
        }
        try result.get()
    }

    /// Submits `message` on the calling thread. `sender` and `recipients` are bare addresses.
    public func perform(from sender: String, to recipients: [String], message: [UInt8]) throws(SMTPError) {
        let handle = pool.take()
        var reusable = true
        defer { if reusable { pool.give(handle) } }
        do {
            try handle.submit(configuration, from: sender, to: recipients, message: message)
        } catch {
            reusable = false  // after a failure the connection's state is unknown: start afresh next time
            throw error
        }
    }
}

/// SMTP on a curl easy handle (the same handle type as HTTP's, pooled apart).
extension EasyHandle {
    func submit(_ config: SMTPConfiguration, from sender: String, to recipients: [String], message: [UInt8]) throws(SMTPError) {
        curl_easy_reset(handle)
        let sink = TransferSink()
        sink.upload = message
        let context = Unmanaged.passRetained(sink)
        defer { context.release() }
        var rcpt: UnsafeMutablePointer<curl_slist>?
        defer { curl_slist_free_all(rcpt) }
        for r in recipients { rcpt = curl_slist_append(rcpt, "<\(r)>") }

        let h = handle
        errorBuffer[0] = 0
        var code = ccurl_setopt_string(h, CURLOPT_URL, config.url)
        code = or(code, ccurl_setopt_long(h, CURLOPT_NOSIGNAL, 1))
        code = or(code, ccurl_setopt_string(h, CURLOPT_PROTOCOLS_STR, "smtp,smtps"))
        code = or(code, ccurl_setopt_long(h, CURLOPT_SSL_VERIFYPEER, 1))
        code = or(code, ccurl_setopt_long(h, CURLOPT_SSL_VERIFYHOST, 2))
        if let ca = config.caBundle { code = or(code, ccurl_setopt_string(h, CURLOPT_CAINFO, ca)) }
        if config.url.lowercased().hasPrefix("smtp://") {
            let level = config.startTLS == .require ? CURLUSESSL_ALL : CURLUSESSL_NONE
            code = or(code, ccurl_setopt_long(h, CURLOPT_USE_SSL, Int(level.rawValue)))
        }
        if let user = config.username { code = or(code, ccurl_setopt_string(h, CURLOPT_USERNAME, user)) }
        if let password = config.password { code = or(code, ccurl_setopt_string(h, CURLOPT_PASSWORD, password)) }
        code = or(code, ccurl_setopt_long(h, CURLOPT_CONNECTTIMEOUT_MS, config.connectTimeout.curlMilliseconds))
        code = or(code, ccurl_setopt_long(h, CURLOPT_TIMEOUT_MS, config.totalTimeout.curlMilliseconds))
        code = or(code, ccurl_setopt_string(h, CURLOPT_MAIL_FROM, "<\(sender)>"))
        code = or(code, ccurl_setopt_slist(h, CURLOPT_MAIL_RCPT, rcpt))
        code = or(code, ccurl_setopt_long(h, CURLOPT_UPLOAD, 1))
        code = or(code, ccurl_setopt_off_t(h, CURLOPT_INFILESIZE_LARGE, curl_off_t(message.count)))
        code = errorBuffer.withUnsafeMutableBufferPointer { or(code, ccurl_setopt_pointer(h, CURLOPT_ERRORBUFFER, $0.baseAddress)) }
        code = or(code, TransferSink.feedUpload(to: h, from: context))
        guard code == CURLE_OK else {
            throw SMTPError(isPermanent: true, replyCode: nil, curl: CurlError.from(code, detail: ""))
        }

        let result = curl_easy_perform(h)
        guard result == CURLE_OK else {
            var reply = 0
            _ = ccurl_getinfo_long(h, CURLINFO_RESPONSE_CODE, &reply)
            let error = CurlError.from(result, detail: errorBuffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) })
            throw SMTPError.classify(replyCode: reply, curl: error)
        }
    }

    private func or(_ a: CURLcode, _ b: CURLcode) -> CURLcode { a != CURLE_OK ? a : b }
}
