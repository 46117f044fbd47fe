import Foundation
import Wire

/// A Stripe event. The object in `data.object` is decoded on demand with `object(as:)`, by the type its
/// `type` names, so events of types this project does not know still decode.
public struct Event: StripeObject {
    public var id: String
    public var type: String
    public var created: Int64
    public var livemode: Bool?
    public var apiVersion: String?
    /// `data.object.object`, e.g. `payment_intent`, `checkout.session`, `invoice`.
    public var objectType: String?
    /// The event exactly as received.
    public var raw: [UInt8]
    /// `data.object`, parsed, for `object(as:)`.
    private var dataObject: ParsedJSON?

    /// Decodes an event from the raw webhook body or an Events API item. The bytes are parsed once;
    /// `object(as:)` decodes from the same parse.
    public static func decode(_ body: [UInt8]) throws(StripeError) -> Event {
        do {
            let document = try ParsedJSON(parsing: body)
            var event = try Event(json: document)
            event.raw = body
            event.dataObject = document["data"]?["object"]
            return event
        } catch {
            throw StripeError(kind: .api, message: "Stripe's response did not decode as Event: \(error)")
        }
    }

    public init(from decoder: any Decoder) throws {
        try self.init(json: ParsedJSON(from: decoder))
    }

    init(json: ParsedJSON) throws {
        id = try json.required("id")
        type = try json.required("type")
        created = json.lenientInt("created", as: Int64.self) ?? 0
        livemode = json.lenientBool("livemode")
        apiVersion = json.lenientString("api_version")
        guard let data = json["data"] else {
            throw DecodingError.keyNotFound(AnyKey("data"), .init(codingPath: [], debugDescription: "event has no data"))
        }
        objectType = data["object"]?["object"]?.string
        raw = []
    }

    /// `data.object` decoded as `T`.
    public func object<T: Decodable>(as type: T.Type) throws(StripeError) -> T {
        guard let dataObject else { throw StripeError(kind: .api, message: "the event has no data.object") }
        do {
            return try dataObject.decode(T.self)
        } catch {
            throw StripeError(kind: .api, message: "the event's data.object did not decode as \(T.self): \(error)")
        }
    }
}

/// An item of `GET /v1/events`, decoded keeping each event's own raw bytes.
public struct EventPage: Sendable {
    public var events: [Event]
    public var hasMore: Bool

    /// Splits a list body into events, each with its own raw JSON exactly as Stripe wrote it (only used
    /// for catching up, where no signature is checked).
    public static func decode(_ body: [UInt8]) throws(StripeError) -> EventPage {
        guard let list = try? RawJSON(validating: body), let data = list.member("data")?.elements else {
            throw StripeError(kind: .api, message: "Stripe's event list did not decode")
        }
        var events: [Event] = []
        for item in data { events.append(try Event.decode(item.bytes)) }
        let hasMore = (try? list.member("has_more")?.decode(Bool.self)) ?? false
        return EventPage(events: events, hasMore: hasMore)
    }
}
