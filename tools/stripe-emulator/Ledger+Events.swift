extension Ledger {
    /// Records an event about `object` (rendered at the default API version, as Stripe renders events at
    /// the account's version) and queues one delivery per enabled webhook endpoint that listens to `type`.
    @discardableResult
    mutating func emit(_ type: String, _ object: JSONObject, previous: JSONObject? = nil,
                       request: RequestInfo? = nil) -> String {
        let id = IDs.make("evt_")
        let nowMs = IDs.nowMilliseconds()
        let rendered = (try? render(object, version: settings.defaultVersion)) ?? .object(object)
        var data: JSONObject = ["object": rendered]
        if let previous { data["previous_attributes"] = .object(previous) }
        let endpoints = all("webhook_endpoint").reversed().filter { endpoint in
            endpoint.string("status") != "disabled" && Self.listens(endpoint, to: type)
        }
        let event: JSONObject = [
            "id": .string(id), "object": "event", "api_version": .string(settings.defaultVersion.name),
            "created": .int(nowMs / 1000), "data": .object(data), "livemode": false,
            "pending_webhooks": .int(Int64(endpoints.count)),
            "request": ["id": JSON(request?.requestID), "idempotency_key": JSON(request?.idempotencyKey)],
            "type": .string(type),
        ]
        insert(event)
        for endpoint in endpoints {
            let d = Delivery(eventID: id, eventType: type, endpointID: endpoint.id, url: endpoint.string("url") ?? "",
                             nowMs: nowMs, seq: takeSequence())
            deliveries[d.key] = d
            dirtyDeliveries.insert(d.key)
        }
        emitted.append((id, type))
        return id
    }

    static func listens(_ endpoint: JSONObject, to type: String) -> Bool {
        let enabled = endpoint["enabled_events"]?.array?.compactMap(\.string) ?? ["*"]
        return enabled.contains { pattern in
            pattern == "*" || pattern == type || (pattern.hasSuffix(".*") && type.hasPrefix(pattern.dropLast()))
        }
    }

    /// The deliveries of one event, oldest first.
    func deliveries(ofEvent id: String) -> [Delivery] {
        deliveries.values.filter { $0.eventID == id }.sorted { $0.seq < $1.seq }
    }

    /// An event as the Events API shows it: `pending_webhooks` counted now, plus this stand-in's own
    /// delivery record under `emulator_deliveries` (not a Stripe field; lenient decoders ignore it).
    func renderEvent(_ event: JSONObject) -> JSON {
        var o = event
        let records = deliveries(ofEvent: event.id)
        o["pending_webhooks"] = .int(Int64(records.filter { $0.status != "succeeded" }.count))
        o["emulator_deliveries"] = .array(records.map(\.json))
        return .object(o)
    }

    /// Whether every delivery of the event succeeded (true when it had none), for `delivery_success`.
    func deliverySucceeded(_ eventID: String) -> Bool {
        deliveries(ofEvent: eventID).allSatisfy { $0.status == "succeeded" }
    }

    // MARK: Delivery bookkeeping (called by the delivery loop)

    /// Deliveries due now, marked in flight, each with the event body to send.
    mutating func takeDueDeliveries(nowMs: Int64, limit: Int = 32) -> [(delivery: Delivery, body: [UInt8], secret: String)] {
        let due = deliveries.values.filter { $0.status == "pending" && !$0.inFlight && $0.nextAttemptAtMs <= nowMs }
            .sorted { $0.seq < $1.seq }.prefix(limit)
        var out: [(Delivery, [UInt8], String)] = []
        for d in due {
            guard let event = objects[d.eventID], let endpoint = objects[d.endpointID],
                  let secret = endpoint.string("secret") else {
                // The endpoint was deleted: nothing left to deliver to.
                deliveries[d.key]?.status = "failed"
                dirtyDeliveries.insert(d.key)
                continue
            }
            deliveries[d.key]?.inFlight = true
            out.append((d, JSON.object(event).bytes, secret))
        }
        return out
    }

    /// Records an attempt's outcome and schedules the retry, if any.
    mutating func recordAttempt(key: String, attempt: Delivery.Attempt) {
        guard var d = deliveries[key] else { return }
        d.inFlight = false
        d.attempts.append(attempt)
        if let code = attempt.statusCode, (200..<300).contains(code) {
            d.status = "succeeded"
            d.deliveredAtMs = attempt.at
        } else if d.attempts.count >= settings.maxAttempts {
            d.status = "failed"
        } else {
            let exponent = min(d.attempts.count - 1, 30)
            let delay = min(settings.retryBaseMs * (Int64(1) << exponent), settings.retryMaxMs)
            d.nextAttemptAtMs = attempt.at + delay
        }
        deliveries[key] = d
        dirtyDeliveries.insert(key)
    }

    /// The earliest time a pending delivery is due, if any.
    var nextDeliveryDueMs: Int64? {
        deliveries.values.filter { $0.status == "pending" && !$0.inFlight }.map(\.nextAttemptAtMs).min()
    }
}

/// Where a request came from, recorded in events' `request` field.
struct RequestInfo: Sendable {
    var requestID: String
    var idempotencyKey: String?
    /// The request's `Stripe-Version` (what its answer, also a 402's objects, is rendered in).
    var version: APIVersion?
}
