import Foundation
import Stripe
import Testing

/// Stripe's error bodies, decoded leniently, with the official clients' status -> kind mapping
/// (checked against stripe-python's own `handle_error_response`).
@Suite("Decoding Stripe errors")
struct ErrorDecodingTests {
    static let statuses = [400, 401, 402, 403, 404, 409, 429, 500, 502, 503]
    static let types: [String?] = ["invalid_request_error", "card_error", "idempotency_error", "api_error",
                                   "rate_limit_error", "authentication_error", "brand_new_error", nil]

    static func body(type: String?, code: String? = nil) -> String {
        var error: [String: Any] = ["message": "m"]
        if let type { error["type"] = type }
        if let code { error["code"] = code }
        return String(decoding: try! Fixture.json(["error": error]), as: UTF8.self)
    }

    /// stripe-python's exception class for each kind.
    static let pythonClass: [StripeError.Kind: String] = [
        .invalidRequest: "InvalidRequestError", .idempotency: "IdempotencyError", .card: "CardError",
        .authentication: "AuthenticationError", .permission: "PermissionError", .rateLimit: "RateLimitError", .api: "APIError",
    ]

    @Test("status x type gives the kind stripe-python gives")
    func mappingMatchesPython() async throws {
        var inputs: [(Int, String)] = []
        for status in Self.statuses {
            for type in Self.types { inputs.append((status, Self.body(type: type))) }
        }
        // Rate limits were once 400s with code rate_limit.
        inputs.append((400, Self.body(type: "invalid_request_error", code: "rate_limit")))
        let python = try #require(try await Python.json("error_kinds.py", inputs.map { [$0.0, $0.1] }) as? [String])
        try #require(python.count == inputs.count)
        var mismatches: [String] = []
        for ((status, body), theirs) in zip(inputs, python) {
            let ours = StripeError.decode(status: status, body: Array(body.utf8), requestID: nil, attempts: 1)
            if Self.pythonClass[ours.kind] != theirs { mismatches.append("\(status) \(body): ours \(ours.kind), python \(theirs)") }
        }
        #expect(mismatches.isEmpty, "\(mismatches)")
    }

    @Test("every field of a card error")
    func cardError() {
        let body = #"{"error":{"type":"card_error","code":"card_declined","decline_code":"insufficient_funds","message":"Your card has insufficient funds.","param":"payment_method","charge":"ch_1","doc_url":"https://stripe.com/docs/error-codes/card-declined","payment_intent":{"id":"pi_1"}}}"#
        let error = StripeError.decode(status: 402, body: Array(body.utf8), requestID: "req_42", attempts: 3)
        #expect(error.kind == .card)
        #expect(error.httpStatus == 402)
        #expect(error.type == "card_error")
        #expect(error.code == "card_declined")
        #expect(error.declineCode == "insufficient_funds")
        #expect(error.message == "Your card has insufficient funds.")
        #expect(error.param == "payment_method")
        #expect(error.requestID == "req_42")
        #expect(error.attempts == 3)
        #expect(error.curlError == nil)
        #expect(error.description.contains("decline_code insufficient_funds"))
        #expect(error.description.contains("request req_42"))
    }

    @Test("lenient: unknown type, missing fields, odd types, not JSON at all")
    func lenient() {
        func decode(_ status: Int, _ body: String) -> StripeError {
            StripeError.decode(status: status, body: Array(body.utf8), requestID: "req_1", attempts: 1)
        }
        let unknown = decode(400, #"{"error":{"type":"quantum_error","code":"entangled","message":"?"}}"#)
        #expect(unknown.kind == .invalidRequest)
        #expect(unknown.type == "quantum_error")
        #expect(unknown.code == "entangled")

        let empty = decode(404, #"{"error":{}}"#)
        #expect(empty.kind == .invalidRequest)
        #expect(empty.type == nil)
        #expect(!empty.message.isEmpty)

        let noError = decode(401, "{}")
        #expect(noError.kind == .authentication)
        #expect(noError.message.contains("401"))

        // One field of an odd type must not lose the others.
        let odd = decode(402, #"{"error":{"type":"card_error","code":"card_declined","param":0,"decline_code":null,"message":"Declined","extra":[1,2]}}"#)
        #expect(odd.kind == .card)
        #expect(odd.code == "card_declined")
        #expect(odd.message == "Declined")
        #expect(odd.param == nil)
        #expect(odd.declineCode == nil)

        let oauth = decode(400, #"{"error":"invalid_grant","error_description":"bad"}"#)
        #expect(oauth.kind == .invalidRequest)
        #expect(oauth.type == nil)

        let html = decode(502, "<html><body><h1>502 Bad Gateway</h1></body></html>")
        #expect(html.kind == .api)
        #expect(html.httpStatus == 502)
        #expect(html.message.contains("502"))
        #expect(html.requestID == "req_1")

        #expect(decode(429, "<html>slow down</html>").kind == .rateLimit)
        #expect(decode(403, "").kind == .permission)
        #expect(decode(418, #"{"error":{"type":"invalid_request_error"}}"#).kind == .api)
        #expect(decode(600, "").kind == .api)
    }
}
