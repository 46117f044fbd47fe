import CCurl

/// A transfer that failed before a complete response arrived.
public struct CurlError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure, for retry decisions.
    public enum Kind: String, Sendable {
        /// Could not connect (refused, unreachable, DNS): the request was never sent.
        case connect
        /// The connect or total timeout passed; the request may or may not have been processed.
        case timeout
        /// TLS handshake or certificate verification failed.
        case tls
        /// The connection broke mid-transfer (reset, empty reply, ...); the request may have been processed.
        case transfer
        /// A bad URL, an unsupported protocol, or a local misuse.
        case usage
        /// The response body passed the client's limit; the transfer was aborted (not worth retrying).
        case tooLarge = "too_large"
    }

    public var kind: Kind
    /// libcurl's `CURLcode`.
    public var code: Int
    /// libcurl's explanation (from `CURLOPT_ERRORBUFFER`, or `curl_easy_strerror`).
    public var message: String

    public init(kind: Kind, code: Int, message: String) {
        self.kind = kind
        self.code = code
        self.message = message
    }

    public var description: String { "curl \(kind.rawValue) error \(code): \(message)" }

    static func from(_ code: CURLcode, detail: String) -> CurlError {
        let message = detail.isEmpty ? String(cString: curl_easy_strerror(code)) : detail
        let kind: Kind = switch code {
        case CURLE_COULDNT_CONNECT, CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY: .connect
        case CURLE_OPERATION_TIMEDOUT: .timeout
        case CURLE_SSL_CONNECT_ERROR, CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CERTPROBLEM, CURLE_SSL_CIPHER,
             CURLE_SSL_CACERT_BADFILE, CURLE_SSL_ISSUER_ERROR, CURLE_SSL_PINNEDPUBKEYNOTMATCH: .tls
        case CURLE_UNSUPPORTED_PROTOCOL, CURLE_URL_MALFORMAT, CURLE_BAD_FUNCTION_ARGUMENT, CURLE_LOGIN_DENIED: .usage
        default: .transfer
        }
        return CurlError(kind: kind, code: Int(code.rawValue), message: message)
    }
}
