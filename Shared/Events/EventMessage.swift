import FoundationEssentials
import Wire

/// The payload of an `event` message: who published what, about which key, and the event's data.
///
/// ```json
/// {"event_id":"evt_…","publisher":"payments","key":"ord_42","occurred_at":1795276603000,"data":{…}}
/// ```
/// `key` (usually the order id) orders delivery: events with the same key reach a subscriber in the order
/// they were published.
public struct EventHeader: Decodable, Sendable, Equatable {
    public var eventID: String
    public var publisher: String
    public var key: String
    public var occurredAt: Int64

    enum CodingKeys: String, CodingKey {
        case eventID = "event_id", publisher, key
        case occurredAt = "occurred_at"
    }

    /// Builds the full payload around `data`.
    public static func payload(eventID: String, publisher: String, key: String, occurredAt: Int64, data: RawJSON) -> [UInt8] {
        var w = JSONWriter(reservingCapacity: 128 + data.bytes.count)
        w.beginObject()
        w.field("event_id", eventID)
        w.field("publisher", publisher)
        w.field("key", key)
        w.field("occurred_at", occurredAt)
        w.key("data")
        w.raw(data.bytes)
        w.endObject()
        return w.bytes
    }
}

/// An event as a consumer sees it.
public struct ConsumedEvent: Sendable {
    public let type: String
    public let header: EventHeader
    public let traceID: String?
    let payload: RawJSON

    /// Decodes the event's `data` as `T`.
    public func data<T: Decodable>(_ type: T.Type = T.self) throws(WireError) -> T {
        try payload.decode(DataBox<T>.self).data
    }

    private struct DataBox<T: Decodable>: Decodable { let data: T }
}
