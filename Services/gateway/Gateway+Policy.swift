import HTTPServer

extension Gateway {
    /// Refuses a request before its handler runs, or nil to let it through:
    /// - a `POST` to the JSON API that is cross-site (403) or not `application/json` (415);
    /// - a client over its rate for the routes that may cost a Stripe call (429 with `Retry-After`).
    ///   Order creation is limited in its handler, once the body is valid: a malformed order costs
    ///   nothing downstream, and its 400 is more useful to a developer than a 429.
    func precheck(_ method: HTTPMethod, _ pattern: String, _ request: HTTPRequest) -> HTTPResponse? {
        if method == .post, pattern.hasPrefix("/api/"),
           let refused = RequestPolicy.refusal(ofPost: request, shopOrigin: RequestPolicy.origin(of: baseURL())) {
            logger.info("request refused", ["trace.id": request.requestID, "http.route": pattern, "error.code": refused.code])
            return refused.response
        }
        switch pattern {
        case "/payment/return", "/stripe_return", "/api/checkout/session-status", "/api/orders/{order_id}/payment":
            return rateLimited("lookups", perMinute: policy.limits.lookupsPerMinute, request)?.response
        default:
            return nil
        }
    }

    /// A 429 when the request's client is over `perMinute` in `bucket`, else nil (and one request counted).
    func rateLimited(_ bucket: String, perMinute: Int, _ request: HTTPRequest) -> APIError? {
        let client = policy.clientAddress(request)
        guard let wait = limiter.take(bucket, client: client, perMinute: perMinute) else { return nil }
        let seconds = max(1, Int(wait.components.seconds) + (wait.components.attoseconds > 0 ? 1 : 0))
        logger.info("rate limited", ["trace.id": request.requestID, "http.path": String(request.path.prefix(64)),
                                     "client.address": client, "retry_after_s": "\(seconds)"])
        metrics.rateLimited(bucket)
        return APIError(status: .tooManyRequests, code: "rate_limited",
                        message: "too many requests from this address; retry in \(seconds) s", reason: bucket, retryAfter: seconds)
    }
}
