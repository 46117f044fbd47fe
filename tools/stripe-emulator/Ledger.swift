/// The emulator's whole state: every Stripe object (as its wire JSON), idempotent results and webhook
/// deliveries, plus what changed since the last ``takeChanges()`` so it can be persisted.
///
/// A value type owned by the ``Emulator`` actor; every API operation is a synchronous mutating method
/// here, so one request's state change is atomic. Fields whose name starts with `_` are internal
/// (links between objects, timers) and never rendered.
struct Ledger: Sendable {
    /// Behaviour knobs from the configuration.
    struct Settings: Sendable {
        var defaultVersion: APIVersion
        /// Delay before an asynchronous payment settles by itself; nil: only the test helper settles it.
        var asyncSettleMs: Int64?
        var retryBaseMs: Int64
        var retryMaxMs: Int64
        var maxAttempts: Int
        /// `http://host:port` of this emulator, for URLs it hands out (3-D Secure `next_action`).
        var baseURL: String
    }

    /// A stored result of an idempotent POST.
    struct IdempotentResult: Sendable {
        var fingerprint: String
        var status: Int
        var body: [UInt8]
        var created: Int64
    }

    /// What must be written to disk after an operation.
    struct Changes: Sendable {
        var objects: [(id: String, seq: Int64, json: String)] = []
        var deletedObjects: [String] = []
        var idempotency: [(key: String, json: String)] = []
        var deliveries: [(key: String, seq: Int64, json: String)] = []
        var isEmpty: Bool { objects.isEmpty && deletedObjects.isEmpty && idempotency.isEmpty && deliveries.isEmpty }
    }

    var settings: Settings
    private(set) var objects: [String: JSONObject] = [:]
    /// Object ids per `object` type, oldest first.
    private(set) var order: [String: [String]] = [:]
    private(set) var sequence: [String: Int64] = [:]
    private var nextSeq: Int64 = 1
    var idempotency: [String: IdempotentResult] = [:]
    var deliveries: [String: Delivery] = [:]

    private var dirtyObjects: Set<String> = []
    private var deletedObjects: Set<String> = []
    var dirtyIdempotency: Set<String> = []
    var dirtyDeliveries: Set<String> = []
    /// Events created by the operation in progress: `(id, type)`, for the test helpers' answers.
    var emitted: [(id: String, type: String)] = []

    init(settings: Settings) { self.settings = settings }

    // MARK: Objects

    /// Stores a new object (its `object` field gives its type).
    mutating func insert(_ object: JSONObject) {
        let id = object.id
        precondition(!id.isEmpty && objects[id] == nil, "duplicate or empty id \(id)")
        objects[id] = object
        order[object.string("object") ?? "", default: []].append(id)
        sequence[id] = nextSeq
        nextSeq += 1
        dirtyObjects.insert(id)
    }

    /// Replaces a stored object.
    mutating func update(_ object: JSONObject) {
        precondition(objects[object.id] != nil, "update of unknown \(object.id)")
        objects[object.id] = object
        dirtyObjects.insert(object.id)
    }

    /// Changes a stored object in place.
    mutating func modify(_ id: String, _ body: (inout JSONObject) -> Void) {
        guard var object = objects[id] else { return }
        body(&object)
        update(object)
    }

    /// Removes an object (deleted webhook endpoints).
    mutating func remove(_ id: String) {
        guard let object = objects.removeValue(forKey: id) else { return }
        order[object.string("object") ?? ""]?.removeAll { $0 == id }
        sequence[id] = nil
        dirtyObjects.remove(id)
        deletedObjects.insert(id)
    }

    /// The object `id` of type `type`, or Stripe's 404 naming `kind` (`payment_intent`, `checkout.session`).
    func get(_ type: String, _ id: String, param: String? = "id") throws(StripeError) -> JSONObject {
        guard let o = objects[id], o.string("object") == type else { throw .noSuch(type, id, param: param) }
        return o
    }

    func object(_ id: String) -> JSONObject? { objects[id] }

    /// All objects of `type`, newest first (Stripe's list order).
    func all(_ type: String) -> [JSONObject] {
        (order[type] ?? []).reversed().compactMap { objects[$0] }
    }

    // MARK: Restoring from disk

    /// Restores an object read back from the database, keeping its original sequence.
    mutating func restore(_ object: JSONObject, seq: Int64) {
        objects[object.id] = object
        order[object.string("object") ?? "", default: []].append(object.id)
        sequence[object.id] = seq
        nextSeq = max(nextSeq, seq + 1)
    }

    /// The next sequence number, for deliveries (kept in one counter with objects).
    mutating func takeSequence() -> Int64 {
        defer { nextSeq += 1 }
        return nextSeq
    }

    mutating func restoreSequence(atLeast seq: Int64) { nextSeq = max(nextSeq, seq + 1) }

    // MARK: Changes

    /// What changed since the last call, serialized for the database; clears the change set and ``emitted``.
    mutating func takeChanges() -> Changes {
        var changes = Changes()
        for id in dirtyObjects {
            if let o = objects[id] { changes.objects.append((id, sequence[id] ?? 0, JSON.object(o).serialized)) }
        }
        changes.deletedObjects = Array(deletedObjects)
        for key in dirtyIdempotency {
            if let r = idempotency[key] {
                let json: JSON = ["fingerprint": .string(r.fingerprint), "status": .int(Int64(r.status)),
                                  "body": .string(String(decoding: r.body, as: UTF8.self)), "created": .int(r.created)]
                changes.idempotency.append((key, json.serialized))
            }
        }
        for key in dirtyDeliveries {
            if let d = deliveries[key] { changes.deliveries.append((key, d.seq, d.json.serialized)) }
        }
        dirtyObjects = []
        deletedObjects = []
        dirtyIdempotency = []
        dirtyDeliveries = []
        emitted = []
        return changes
    }
}
