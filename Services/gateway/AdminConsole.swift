#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Crypto
import HTTPServer
import Logging
import Messages
import Wire

/// The operator console: `/admin/api/...` (JSON) and `/admin/...` (pages), served only on the console's own
/// listener (`ADMIN_HOST:ADMIN_PORT`), never on the public port.
///
/// Who may do what: a bearer token from `ADMIN_TOKENS_FILE` (API clients), or a session cookie made by
/// logging in with such a token (pages). `read` tokens see everything; only `write` tokens act. A
/// request authenticated by the cookie must also carry the session's CSRF token when it changes
/// anything. Every action goes through ``audited(_:action:target:parameters:_:perform:)``: written to
/// fulfillment's append-only audit log before it runs and its result after, and idempotent per request
/// id (`Idempotency-Key`). The gateway still keeps no data: orders, events and the audit log live in the
/// services, asked over their sockets.
struct AdminConsole: Sendable {
    let gateway: Gateway
    let tokens: AdminTokens
    let sessions: AdminSessions
    let config: AdminConfig
    /// The console's origin (`ADMIN_BASE_URL` or the bound address).
    let baseURL: @Sendable () -> String
    let limiter = RateLimiter()

    var logger: Logger { gateway.logger }
    var secureCookies: Bool { baseURL().lowercased().hasPrefix("https://") }

    /// How a request was authenticated.
    struct Credential: Sendable {
        var who: AdminTokens.Operator
        /// The session id and its CSRF token, when it came from the cookie.
        var session: (id: String, csrf: String)?
    }

    // MARK: Authentication

    func credential(_ request: HTTPRequest) -> Credential? {
        if let header = request.headers["Authorization"] {
            let prefix = "bearer "
            guard header.count > prefix.count, header.lowercased().hasPrefix(prefix) else { return nil }
            return tokens.authenticate(String(header.dropFirst(prefix.count))).map { Credential(who: $0) }
        }
        guard let id = Self.cookie(AdminSessions.cookieName, in: request), let s = sessions.session(id) else { return nil }
        return Credential(who: s.who, session: (id, s.csrf))
    }

    /// The value of cookie `name`.
    static func cookie(_ name: String, in request: HTTPRequest) -> String? {
        for header in request.headers.values("Cookie") {
            for pair in header.split(separator: ";") {
                let trimmed = pair.drop { $0 == " " }
                if trimmed.hasPrefix(name + "=") { return String(trimmed.dropFirst(name.count + 1)) }
            }
        }
        return nil
    }

    /// A session's CSRF token matches (compared in constant time), or the request is not from a session.
    static func csrfMatches(_ credential: Credential, given: String?) -> Bool {
        guard let session = credential.session else { return true }
        guard let given else { return false }
        return Digest.constantTimeEqual(Array(given.utf8), Array(session.csrf.utf8))
    }

    enum Need { case read, write }

    /// The API's gate: 401 without a valid credential, 403 when a `read` token tries to act or a
    /// session's POST lacks its CSRF token.
    func apiGate(_ request: HTTPRequest, _ need: Need) -> Result<Credential, APIError> {
        guard let credential = credential(request) else {
            return .failure(APIError(status: .unauthorized, code: "unauthenticated",
                                     message: "the console needs a bearer token from ADMIN_TOKENS_FILE or a session"))
        }
        if need == .write {
            guard credential.who.role == .write else {
                return .failure(APIError(status: .forbidden, code: "permission_denied", message: "this needs a write token",
                                         reason: "read_only_token"))
            }
            guard Self.csrfMatches(credential, given: request.headers["X-CSRF-Token"]) else {
                return .failure(APIError(status: .forbidden, code: "permission_denied",
                                         message: "a session's request that changes anything needs its X-CSRF-Token",
                                         reason: "csrf_token_missing"))
            }
        }
        return .success(credential)
    }

    // MARK: Audited actions

    /// The idempotency key of a request: `Idempotency-Key` (1 to 200 printable ASCII characters), else a
    /// fresh one (the action then runs each time it is sent).
    static func idempotencyKey(_ request: HTTPRequest, formValue: String? = nil) -> String? {
        guard let key = request.headers["Idempotency-Key"] ?? formValue else { return "auto:" + MessageID.random() }
        guard (1...200).contains(key.utf8.count), key.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F }) else {
            return nil
        }
        return key
    }

    /// What an action answered, kept in the audit log and replayed to a retry with the same key.
    struct Outcome: Sendable {
        var status: HTTPStatus
        var body: [UInt8]
        /// `ok` or the error code.
        var result: String
    }

    /// Runs `perform` once per (operator, request key), recording it in the audit log before and its
    /// outcome after. A retry with the same key gets the first outcome back (`Idempotent-Replayed: true`);
    /// the same key for another action is a 409. If the audit log cannot be written, nothing runs.
    func audited(_ who: AdminTokens.Operator, action: String, target: String, parameters: String, key: String,
                 _ request: HTTPRequest, perform: () async -> Outcome) async -> (Outcome, replayed: Bool) {
        let requestKey = Hex.encode(Digest.sha256(Array("\(who.name)\n\(key)".utf8)))
        let entry: AdminAuditEntry
        do {
            entry = try await gateway.call(.fulfillment, AdminMessages.auditBegin,
                                           AdminAuditBegin(requestKey: requestKey, actor: who.name, action: action, target: target,
                                                           parameters: parameters), request)
        } catch {
            return (Outcome(status: error.status, body: error.response.body, result: error.code), false)
        }
        if let result = entry.result, let status = entry.httpStatus, let response = entry.response {
            return (Outcome(status: HTTPStatus(status), body: Array(response.utf8), result: result), true)
        }
        let outcome = await perform()
        let finish = AdminAuditFinish(id: entry.id, result: outcome.result, httpStatus: outcome.status.code,
                                      response: String(decoding: outcome.body, as: UTF8.self))
        do {
            let _: AdminAuditEntry = try await gateway.call(.fulfillment, AdminMessages.auditFinish, finish, request)
        } catch {
            logger.error("the audit log did not take an action's result", ["trace.id": request.requestID, "admin.action": action,
                                                                          "error.code": error.code])
        }
        logger.info("console action", ["trace.id": request.requestID, "admin.actor": who.name, "admin.action": action,
                                       "admin.target": target, "admin.result": outcome.result])
        return (outcome, false)
    }

    /// Runs a call whose reply becomes the action's outcome.
    func outcome<Out: Encodable & Sendable>(_ status: HTTPStatus = .ok, _ body: () async throws(APIError) -> Out) async -> Outcome {
        do {
            let value = try await body()
            return Outcome(status: status, body: (try? RawJSON(encoding: value).bytes) ?? Array("{}".utf8), result: "ok")
        } catch {
            return Outcome(status: error.status, body: error.response.body, result: error.code)
        }
    }

    // MARK: Reads

    /// The order and its timeline, merged in time order from the three services. fulfillment must answer
    /// (it owns the order); a missing payments or notifier part is shown as a gap, not hidden.
    func orderDetail(_ orderID: String, _ request: HTTPRequest) async throws(APIError) -> AdminOrderDetail {
        let order: Order = try await gateway.call(.fulfillment, OrderMessages.get, GetOrderRequest(orderID: orderID), request)
        var entries: [AdminTimelineEntry] = []
        await withTaskGroup(of: [AdminTimelineEntry].self) { group in
            for peer in Peer.allCases {
                group.addTask {
                    do throws(APIError) {
                        let t: AdminTimeline = try await gateway.call(peer, AdminMessages.timeline, AdminOrderRef(orderID: orderID), request)
                        return t.entries
                    } catch {
                        return [AdminTimelineEntry(at: Envelope.now(), source: peer.rawValue, kind: "gap",
                                                   summary: "\(peer.rawValue) did not answer (\(error.code)): its part of the timeline is missing")]
                    }
                }
            }
            for await part in group { entries += part }
        }
        // Stable: entries of one service at the same millisecond keep their order.
        let sorted = entries.enumerated().sorted { ($0.element.at, $0.offset) < ($1.element.at, $1.offset) }.map(\.element)
        return AdminOrderDetail(order: order, timeline: sorted)
    }

    /// Every service's health facts; a service that does not answer is left out and named.
    func healthFacts(_ request: HTTPRequest) async -> (facts: [AdminHealth], missing: [String]) {
        var facts: [AdminHealth] = [], missing: [String] = []
        for peer in Peer.allCases {
            do throws(APIError) {
                facts.append(try await gateway.call(peer, AdminMessages.health, AdminEmpty(), request, deadline: .seconds(3)))
            } catch {
                missing.append(peer.rawValue)
            }
        }
        return (facts, missing)
    }

    /// Dead letters of the two services with an outbox.
    func deadLetters(_ request: HTTPRequest) async throws(APIError) -> [AdminDeadLetter] {
        var all: [AdminDeadLetter] = []
        for peer in [Peer.payments, .fulfillment] {
            let part: AdminDeadLetters = try await gateway.call(peer, AdminMessages.deadLetters, AdminEmpty(), request)
            all += part.deadLetters
        }
        return all.sorted { $0.createdAt < $1.createdAt }
    }

    /// `admin.orders.list` from the query string of `request`.
    static func orderQuery(_ request: HTTPRequest) throws(APIError) -> AdminOrderQuery {
        var q = AdminOrderQuery()
        func nonEmpty(_ name: String) -> String? { request.queryValue(name).flatMap { $0.isEmpty ? nil : $0 } }
        q.email = nonEmpty("email")
        q.status = nonEmpty("status")
        q.flow = nonEmpty("flow")
        q.cursor = nonEmpty("cursor")
        for (name, set) in [("created_gte", { (v: Int64) in q.createdGte = v }), ("created_lt", { (v: Int64) in q.createdLt = v })] {
            guard let raw = nonEmpty(name) else { continue }
            guard let v = Int64(raw) ?? Self.dayStart(raw) else {
                throw .badRequest("'\(name)' must be Unix milliseconds or a date YYYY-MM-DD", field: name)
            }
            set(v)
        }
        if let raw = nonEmpty("limit") {
            guard let limit = Int(raw), (1...200).contains(limit) else { throw .badRequest("'limit' must be from 1 to 200", field: "limit") }
            q.limit = limit
        }
        return q
    }

    /// `YYYY-MM-DD` as Unix milliseconds at 00:00 UTC (libc's `timegm`).
    static func dayStart(_ text: String) -> Int64? {
        let parts = text.split(separator: "-")
        guard parts.count == 3, let y = Int32(parts[0]), let m = Int32(parts[1]), let d = Int32(parts[2]),
              (1970...9999).contains(y), (1...12).contains(m), (1...31).contains(d) else { return nil }
        var t = tm()
        t.tm_year = y - 1900
        t.tm_mon = m - 1
        t.tm_mday = d
        return Int64(timegm(&t)) * 1000
    }
}

/// `GET /admin/api/orders/{id}`: the order and its timeline.
struct AdminOrderDetail: Codable, Sendable {
    var order: Order
    var timeline: [AdminTimelineEntry]
}

/// `POST /admin/api/orders/{id}/refunds`.
struct AdminRefundBody: Codable, Sendable {
    var amount: Int?
    var reason: String?
    var restock: Bool?
}

extension HTTPResponse {
    /// A console JSON answer: never cached.
    static func adminJSON(_ status: HTTPStatus, _ value: some Encodable) -> HTTPResponse {
        HTTPResponse(status: status, headers: ["Content-Type": "application/json", "Cache-Control": "no-store"],
                     body: (try? RawJSON(encoding: value).bytes) ?? Array("{}".utf8))
    }
}
