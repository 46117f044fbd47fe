/// The delivery of one event to one webhook endpoint: its state, attempts and outcome.
///
/// `pending` until a 2xx answer (`succeeded`) or until the attempts run out (`failed`). Failed attempts
/// (non-2xx or a connection error) are retried after `min(base * 2^(n-1), max)`.
struct Delivery: Sendable {
    /// One attempt: when, the HTTP status if any answer came, the transport error otherwise.
    struct Attempt: Sendable {
        var at: Int64
        var statusCode: Int?
        var error: String?
        var durationMs: Int64
    }

    var eventID: String
    var eventType: String
    var endpointID: String
    var url: String
    var status: String = "pending"
    var nextAttemptAtMs: Int64
    var createdAtMs: Int64
    var deliveredAtMs: Int64?
    var attempts: [Attempt] = []
    var seq: Int64
    /// Being sent right now (not persisted: after a restart it is simply due again).
    var inFlight = false

    static func key(event: String, endpoint: String) -> String { "\(event)|\(endpoint)" }
    var key: String { Self.key(event: eventID, endpoint: endpointID) }

    var json: JSON {
        var o: JSONObject = [
            "event": .string(eventID), "type": .string(eventType), "endpoint": .string(endpointID), "url": .string(url),
            "status": .string(status), "attempt_count": .int(Int64(attempts.count)),
            "created_ms": .int(createdAtMs), "next_attempt_ms": status == "pending" ? .int(nextAttemptAtMs) : .null,
            "delivered_ms": JSON(deliveredAtMs),
            "last_status_code": JSON(attempts.last?.statusCode), "last_error": JSON(attempts.last?.error),
        ]
        o["attempts"] = .array(attempts.map { a in
            ["at": .int(a.at), "status_code": JSON(a.statusCode), "error": JSON(a.error), "duration_ms": .int(a.durationMs)]
        })
        return .object(o)
    }

    init(eventID: String, eventType: String, endpointID: String, url: String, nowMs: Int64, seq: Int64) {
        self.eventID = eventID
        self.eventType = eventType
        self.endpointID = endpointID
        self.url = url
        self.nextAttemptAtMs = nowMs
        self.createdAtMs = nowMs
        self.seq = seq
    }

    /// Reads a delivery back from its ``json``.
    init?(json: JSONObject, seq: Int64) {
        guard let e = json.string("event"), let t = json.string("type"), let ep = json.string("endpoint"),
              let url = json.string("url"), let status = json.string("status") else { return nil }
        self.init(eventID: e, eventType: t, endpointID: ep, url: url, nowMs: json.int("created_ms") ?? 0, seq: seq)
        self.status = status
        self.nextAttemptAtMs = json.int("next_attempt_ms") ?? 0
        self.deliveredAtMs = json.int("delivered_ms")
        self.attempts = (json["attempts"]?.array ?? []).compactMap { $0.object }.map { a in
            Attempt(at: a.int("at") ?? 0, statusCode: a.int("status_code").map { Int($0) }, error: a.string("error"),
                    durationMs: a.int("duration_ms") ?? 0)
        }
    }
}
