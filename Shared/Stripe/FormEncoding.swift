import Core

/// A value in a form-encoded Stripe request: scalars, nested objects (`a[b]=`) and arrays (`a[0]=`).
public indirect enum FormValue: Sendable, Equatable {
    case string(String)
    case int(Int)
    case bool(Bool)
    case object(FormParams)
    case array([FormValue])
}

/// Ordered request parameters, encoded exactly as the official clients encode them: nested keys in
/// brackets, arrays indexed from 0, booleans `true`/`false`, absent values left out, `application/x-www-
/// form-urlencoded` escaping (space as `+`) with `[` and `]` left literal.
public struct FormParams: Sendable, Equatable, ExpressibleByDictionaryLiteral {
    public private(set) var items: [(String, FormValue)]

    public init() { items = [] }
    public init(dictionaryLiteral elements: (String, FormValue)...) { items = elements }

    public static func == (a: FormParams, b: FormParams) -> Bool {
        a.items.count == b.items.count && zip(a.items, b.items).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
    }

    public var isEmpty: Bool { items.isEmpty }

    /// Appends `key` unless `value` is nil (absent values are left out, never sent empty).
    public mutating func set(_ key: String, _ value: FormValue?) {
        guard let value else { return }
        items.append((key, value))
    }

    /// The flattened `(key, value)` pairs, e.g. `("metadata[order_id]", "o1")`.
    public var pairs: [(String, String)] {
        var out: [(String, String)] = []
        for (key, value) in items { Self.flatten(key, value, into: &out) }
        return out
    }

    private static func flatten(_ key: String, _ value: FormValue, into out: inout [(String, String)]) {
        switch value {
        case .string(let s): out.append((key, s))
        case .int(let i): out.append((key, String(i)))
        case .bool(let b): out.append((key, b ? "true" : "false"))
        case .object(let params): for (k, v) in params.items { flatten("\(key)[\(k)]", v, into: &out) }
        case .array(let values): for (i, v) in values.enumerated() { flatten("\(key)[\(i)]", v, into: &out) }
        }
    }

    /// The encoded body or query string.
    public var encoded: String {
        pairs.map { Self.escape($0.0) + "=" + Self.escape($0.1) }.joined(separator: "&")
    }

    /// Form escaping: unreserved characters kept, space as `+`, brackets literal, the rest `%XX` (upper case).
    static func escape(_ s: String) -> String { PercentEncoding.encode(s, .stripeForm) }
}

extension FormValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral,
                     ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral {
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int) { self = .int(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(arrayLiteral elements: FormValue...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, FormValue)...) {
        var params = FormParams()
        for (k, v) in elements { params.set(k, v) }
        self = .object(params)
    }
}
