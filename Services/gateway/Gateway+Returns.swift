import Core
import HTTPServer
import Messages
import Wire

/// Where Stripe sends the customer back. The query is only a claim: payments asks Stripe, and the
/// answer decides the page. Fulfilment never happens here (the webhook, or payments' own
/// verification event, drives it); these handlers only choose what the customer sees.
///
/// Every outcome is a `303` to a page, never a JSON error: the client is a browser mid-redirect.
/// - `succeeded` and `processing` go to `/order/success` (which shows the live order status, so a
///   payment still processing reads as such there);
/// - a failed, abandoned or unauthenticated payment goes to `/payment/error` with a `reason` code and
///   the order id, from where the customer can pay again;
/// - missing or malformed parameters, or a client secret that does not belong to the PaymentIntent,
///   go to `/payment/error?reason=invalid_return`;
/// - payments unavailable goes to `/payment/error?reason=verification_unavailable` (the webhook will
///   still settle the order).
extension Gateway {
    /// Reason codes the error page knows how to explain.
    enum ReturnReason: String, CaseIterable {
        case paymentFailed = "payment_failed"
        case authenticationRequired = "authentication_required"
        case canceled
        case expired
        case invalidReturn = "invalid_return"
        case verificationUnavailable = "verification_unavailable"
    }

    /// `GET /payment/return?payment_intent=&payment_intent_client_secret=&redirect_status=`.
    func paymentReturn(_ request: HTTPRequest) async -> HTTPResponse {
        guard let intent = try? Self.validID(request.queryValue("payment_intent"), field: "payment_intent"),
              let secret = request.queryValue("payment_intent_client_secret"),
              secret.hasPrefix(intent + "_secret_"), secret.utf8.count <= 255 else {
            return Self.errorPage(orderID: nil, reason: .invalidReturn)
        }
        let reply: VerifyReply
        do {
            reply = try await upstream.call(.payments, PaymentMessages.verifyPaymentIntent,
                                            VerifyPaymentIntentRequest(paymentIntentID: intent, clientSecret: secret),
                                            traceID: request.requestID, deadline: nil)
        } catch {
            return Self.errorPage(orderID: nil, reason: Self.reason(for: error))
        }
        logger.info("payment return verified", ["trace.id": request.requestID, "order.id": reply.orderID,
                                                "stripe.payment_intent": intent, "payment.verdict": reply.verdict.rawValue,
                                                "redirect_status": String((request.queryValue("redirect_status") ?? "").prefix(32))])
        switch reply.verdict {
        case .succeeded, .processing: return Self.successPage(orderID: reply.orderID)
        case .requiresPaymentMethod: return Self.errorPage(orderID: reply.orderID, reason: .paymentFailed)
        case .requiresAction: return Self.errorPage(orderID: reply.orderID, reason: .authenticationRequired)
        case .canceled: return Self.errorPage(orderID: reply.orderID, reason: .canceled)
        case .expired: return Self.errorPage(orderID: reply.orderID, reason: .expired)
        }
    }

    /// `GET /stripe_return?session_id=`: `complete` (paid, or an async method processing) to success,
    /// `open` (failed or abandoned) back to the embedded Checkout page of the order, `expired` to the
    /// error page.
    func checkoutReturn(_ request: HTTPRequest) async -> HTTPResponse {
        guard let session = try? Self.validID(request.queryValue("session_id"), field: "session_id") else {
            return Self.errorPage(orderID: nil, reason: .invalidReturn)
        }
        let reply: VerifyReply
        do {
            reply = try await upstream.call(.payments, PaymentMessages.verifyCheckoutSession,
                                            VerifyCheckoutSessionRequest(sessionID: session),
                                            traceID: request.requestID, deadline: nil)
        } catch {
            return Self.errorPage(orderID: nil, reason: Self.reason(for: error))
        }
        logger.info("checkout return verified", ["trace.id": request.requestID, "order.id": reply.orderID,
                                                 "stripe.checkout_session": session, "payment.verdict": reply.verdict.rawValue])
        switch reply.verdict {
        case .succeeded, .processing: return Self.successPage(orderID: reply.orderID)
        case .requiresPaymentMethod, .requiresAction:
            return Self.redirect("/checkout/embedded?order_id=" + PercentEncoding.encode(reply.orderID))
        case .canceled: return Self.errorPage(orderID: reply.orderID, reason: .canceled)
        case .expired: return Self.errorPage(orderID: reply.orderID, reason: .expired)
        }
    }

    static func reason(for error: UpstreamError) -> ReturnReason {
        switch error.error.code {
        case .invalidArgument, .notFound: .invalidReturn
        default: .verificationUnavailable
        }
    }

    static func successPage(orderID: String) -> HTTPResponse {
        redirect("/order/success?order_id=" + PercentEncoding.encode(orderID))
    }

    static func errorPage(orderID: String?, reason: ReturnReason) -> HTTPResponse {
        var location = "/payment/error?"
        if let orderID { location += "order_id=" + PercentEncoding.encode(orderID) + "&" }
        return redirect(location + "reason=" + reason.rawValue)
    }

    /// A 303 that is never cached and sends no `Referer` onward (the URL that led here carried a client
    /// secret).
    static func redirect(_ location: String) -> HTTPResponse {
        var response = HTTPResponse.redirect(.seeOther, to: location)
        response.headers.set("Cache-Control", "no-store")
        response.headers.set("Referrer-Policy", "no-referrer")
        return response
    }
}
