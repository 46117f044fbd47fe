/// Typed, validating access to a request's decoded parameters, raising Stripe's errors with the
/// failing `param` (nested names spelled like the form: `line_items[0][quantity]`).
struct Params: Sendable {
    var values: JSONObject
    /// The name of this object in the request, for nested error messages (`payment_intent_data`).
    var prefix: String

    init(_ values: JSONObject, prefix: String = "") {
        self.values = values
        self.prefix = prefix
    }

    func name(_ key: String) -> String { prefix.isEmpty ? key : "\(prefix)[\(key)]" }

    func has(_ key: String) -> Bool { values[key] != nil }

    /// Refuses any key not in `allowed`, as Stripe does (`parameter_unknown`).
    func allowOnly(_ allowed: Set<String>) throws(StripeError) {
        for key in values.keys where !allowed.contains(key) { throw .unknown(name(key)) }
    }

    func string(_ key: String) throws(StripeError) -> String? {
        guard let v = values[key] else { return nil }
        guard let s = v.text else { throw .invalid(name(key), "Invalid string: \(name(key)) must be a string.") }
        return s
    }

    func requiredString(_ key: String) throws(StripeError) -> String {
        guard let s = try string(key) else { throw .missing(name(key)) }
        guard !s.isEmpty else { throw .empty(name(key)) }
        return s
    }

    func int(_ key: String) throws(StripeError) -> Int64? {
        guard let v = values[key] else { return nil }
        if v.text == "" { throw .empty(name(key)) }
        guard let n = v.int else { throw .notInteger(name(key)) }
        return n
    }

    func requiredInt(_ key: String) throws(StripeError) -> Int64 {
        guard let n = try int(key) else { throw .missing(name(key)) }
        return n
    }

    func bool(_ key: String) throws(StripeError) -> Bool? {
        guard let v = values[key] else { return nil }
        guard let b = v.bool else {
            throw .invalid(name(key), "Invalid boolean: \(v.text ?? "?"). \(name(key)) must be true or false.")
        }
        return b
    }

    func object(_ key: String) throws(StripeError) -> Params? {
        guard let v = values[key] else { return nil }
        if v.text == "" { return Params(JSONObject(), prefix: name(key)) }
        guard let o = v.object else { throw .invalid(name(key), "Invalid object: \(name(key)) must be a hash.") }
        return Params(o, prefix: name(key))
    }

    /// An array, from `x[0]=`, `x[]=` or a JSON array. A single scalar is taken as a one-element array.
    func array(_ key: String) throws(StripeError) -> [JSON]? {
        guard let v = values[key] else { return nil }
        if let a = v.array { return a }
        if v.text == "" { return [] }
        if v.object != nil { throw .invalid(name(key), "Invalid array: \(name(key)) must be an array.") }
        return [v]
    }

    func stringArray(_ key: String) throws(StripeError) -> [String]? {
        guard let items = try array(key) else { return nil }
        var out: [String] = []
        for (i, item) in items.enumerated() {
            guard let s = item.text else { throw .invalid("\(name(key))[\(i)]", "Invalid string: \(name(key))[\(i)].") }
            out.append(s)
        }
        return out
    }

    /// A `metadata` hash: string keys to string values (at most 50 keys, keys <= 40 chars, values <= 500).
    func metadata(_ key: String = "metadata") throws(StripeError) -> JSONObject? {
        guard let m = try object(key) else { return nil }
        var out = JSONObject()
        guard m.values.keys.count <= 50 else { throw .invalid(name(key), "Invalid \(name(key)): at most 50 keys.") }
        for (k, v) in m.values.pairs {
            guard k.count <= 40 else { throw .invalid(m.name(k), "Invalid \(name(key)): keys must be at most 40 characters.") }
            guard let s = v.text, s.count <= 500 else {
                throw .invalid(m.name(k), "Invalid \(name(key)): values must be strings of at most 500 characters.")
            }
            // An empty value unsets the key, as on Stripe.
            if !s.isEmpty { out[k] = .string(s) }
        }
        return out
    }

    /// `expand[]` paths.
    func expand() throws(StripeError) -> [String] { try stringArray("expand") ?? [] }

    /// A positive amount in the currency's smallest unit, at most 99999999 like Stripe.
    func amount(_ key: String = "amount", allowZero: Bool = false) throws(StripeError) -> Int64? {
        guard let n = try int(key) else { return nil }
        if n < (allowZero ? 0 : 1) || n > 99_999_999 {
            throw .invalid(name(key), "Invalid \(name(key)): must be \(allowZero ? "at least 0" : "greater than 0") and at most 99999999.",
                           code: n < 1 && !allowZero ? "amount_too_small" : "amount_too_large")
        }
        return n
    }

    /// A three-letter lowercase ISO currency code.
    func currency(_ key: String = "currency") throws(StripeError) -> String? {
        guard let c = try string(key) else { return nil }
        let lower = c.lowercased()
        guard lower.count == 3, lower.allSatisfy({ $0.isASCII && $0.isLetter }) else {
            throw .invalid(name(key), "Invalid currency: \(c). Stripe currently supports these currencies: usd, eur, cny, ...")
        }
        return lower
    }
}
