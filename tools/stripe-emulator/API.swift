import Foundation
import HTTPServer
import Logging

/// The HTTP face of the stand-in: Stripe's `/v1/` wire format (Bearer or Basic auth with any
/// `sk_test_...` key, form-encoded parameters, `Stripe-Version`, `Idempotency-Key`, Stripe's error shape),
/// the unauthenticated test helpers under `/_emulator/`, and `/healthz`.
struct API: Sendable {
    /// One `/v1/` call as an operation sees it.
    struct Call: Sendable {
        var params: Params
        var version: APIVersion
        var info: RequestInfo
        var id: String
        var expand: [String]
    }

    /// A `/v1/` operation: runs atomically on the ledger and returns the JSON to answer with.
    typealias Operation = @Sendable (inout Ledger, Call) throws -> JSON

    let emulator: Emulator
    let defaultVersion: APIVersion
    let logger: Logger
    var router: HTTPRouter
    /// The `/v1/` routes Stripe.js may call with a publishable key (API+Browser.swift).
    var browserRouter: HTTPRouter

    init(emulator: Emulator, defaultVersion: APIVersion, logger: Logger) {
        self.emulator = emulator
        self.defaultVersion = defaultVersion
        self.logger = logger
        self.router = HTTPRouter(logger: logger)
        self.browserRouter = HTTPRouter(logger: logger)
        router.get("/healthz") { _, _ in
            let body: JSON = ["status": "ok", "service": "stripe-emulator"]
            return .json(.ok, body.bytes)
        }
        registerV1()
        registerTestHelpers()
        registerRefundsAndDisputes()
        registerBrowser()
    }

    /// Answers one request; unknown `/v1/` paths get Stripe's "Unrecognized request URL" 404.
    func handle(_ request: HTTPRequest) async -> HTTPResponse {
        let start = ContinuousClock.now
        var response: HTTPResponse
        if request.path.hasPrefix("/v1/") && request.method == .options {
            response = Self.preflight()
        } else if request.path.hasPrefix("/v1/"), let key = Self.publishableKey(request) {
            response = await handleBrowser(request, key: key)
        } else if request.path.hasPrefix("/v1/") {
            switch router.resolve(request.method, path: request.path) {
            case .handler:
                response = await router.handle(request)
            default:
                if let failure = Self.authenticate(request) {
                    response = failure.response
                } else {
                    response = StripeError.unrecognizedURL(request.method.rawValue, request.path).response
                }
            }
        } else {
            response = await router.handle(request)
        }
        let ms = (ContinuousClock.now - start).components
        logger.info("request", ["http.method": request.method.rawValue, "http.path": request.path,
                                "http.status": String(response.status.code),
                                "http.duration_ms": String(ms.seconds * 1000 + ms.attoseconds / 1_000_000_000_000_000),
                                "stripe.request_id": response.headers["Request-Id"] ?? ""])
        return response
    }

    // MARK: - /v1/ plumbing

    /// Registers a `/v1/` route: authentication, API version, parameters, idempotency, then `operation`.
    mutating func v1(_ method: HTTPMethod, _ pattern: String, _ operation: @escaping Operation) {
        let emulator = self.emulator, defaultVersion = self.defaultVersion
        let auth = Self.authenticate
        router.on(method, pattern) { request, path in
            let requestID = IDs.request()
            var headers: HTTPHeaders = ["Request-Id": requestID, "Cache-Control": "no-cache, no-store"]
            func answer(_ status: Int, _ body: [UInt8]) -> HTTPResponse {
                var r = HTTPResponse.json(HTTPStatus(status), body)
                for (k, v) in headers { r.headers.set(k, v) }
                return r
            }
            if let failure = auth(request) { return answer(failure.status, failure.json.bytes) }
            var version = defaultVersion
            if let header = request.headers["Stripe-Version"] {
                guard let v = APIVersion(header) else {
                    return answer(400, StripeError.invalid(nil, "Invalid Stripe API version: \(header)").json.bytes)
                }
                version = v
            }
            headers.set("Stripe-Version", version.name)
            let pairs: [(name: String, value: String)]
            let params: Params
            do throws(FormDecoder.Failure) {
                pairs = method == .post ? try FormDecoder.pairs(String(decoding: request.body, as: UTF8.self))
                                        : try FormDecoder.pairs(request.query ?? "")
                params = Params(try FormDecoder.decode(pairs))
            } catch {
                return answer(400, StripeError.invalid(error.param, error.message).json.bytes)
            }
            let key = method == .post ? request.headers["Idempotency-Key"] : nil
            if let key {
                guard !key.isEmpty, key.utf8.count <= 255 else {
                    return answer(400, StripeError.invalid(nil, "Idempotency-Key must be 1 to 255 characters.").json.bytes)
                }
                headers.set("Idempotency-Key", key)
            }
            let expand: [String]
            do throws(StripeError) { expand = try params.expand() } catch { return answer(error.status, error.json.bytes) }
            let call = Call(params: params, version: version, info: RequestInfo(requestID: requestID, idempotencyKey: key, version: version),
                            id: path["id"] ?? "", expand: expand)
            let fingerprint = "\(method) \(request.path)\n" + pairs.map { "\($0.name)=\($0.value)" }.sorted().joined(separator: "&")
            let outcome = await emulator.perform { ledger -> (status: Int, body: [UInt8], replayed: Bool) in
                if let key, let saved = ledger.idempotency[key] {
                    guard saved.fingerprint == fingerprint else {
                        let e = StripeError.idempotency("Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '\(key)' if you meant to execute a different request.")
                        return (e.status, e.json.bytes, false)
                    }
                    return (saved.status, saved.body, true)
                }
                var status = 200
                var body: [UInt8]
                do {
                    body = try operation(&ledger, call).bytes
                } catch let e as StripeError {
                    (status, body) = (e.status, e.json.bytes)
                }
                // Stripe saves results once the endpoint started executing; validation failures are not saved.
                if let key, status == 200 || status == 402 {
                    ledger.idempotency[key] = Ledger.IdempotentResult(fingerprint: fingerprint, status: status, body: body,
                                                                      created: IDs.now())
                    ledger.dirtyIdempotency.insert(key)
                }
                return (status, body, false)
            }
            switch outcome.result {
            case .success(let r):
                if r.replayed { headers.set("Idempotent-Replayed", "true") }
                return answer(r.status, r.body)
            case .failure(let e):
                return answer(e.status, e.json.bytes)
            }
        }
    }

    /// Nil when the request carries a test secret key (`Authorization: Bearer sk_test_...`, or Basic
    /// with the key as user name, as `curl -u sk_test_...:` sends it); otherwise Stripe's 401.
    static func authenticate(_ request: HTTPRequest) -> StripeError? {
        guard let header = request.headers["Authorization"] else {
            return .unauthorized("You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY').")
        }
        var key = ""
        if header.hasPrefix("Bearer ") {
            key = String(header.dropFirst(7)).trimmingCharacters(in: .whitespaces)
        } else if header.hasPrefix("Basic "), let data = Data(base64Encoded: String(header.dropFirst(6))),
                  let text = String(data: data, encoding: .utf8) {
            key = String(text.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).first ?? "")
        }
        guard key.hasPrefix("sk_test_"), key.count > 8 else {
            let shown = key.isEmpty ? "(none)" : "\(key.prefix(8))****\(key.count > 12 ? String(key.suffix(4)) : "")"
            return .unauthorized("Invalid API Key provided: \(shown). This stand-in accepts any test secret key (sk_test_...).")
        }
        return nil
    }
}
