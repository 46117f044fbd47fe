/// Decodes Stripe's form encoding (`application/x-www-form-urlencoded` with nested brackets) into a
/// ``JSONObject`` whose leaves are strings:
///
/// - `metadata[order_id]=o1` → `{"metadata":{"order_id":"o1"}}`
/// - `expand[0]=a&expand[1]=b` and `expand[]=a&expand[]=b` → `{"expand":["a","b"]}`
/// - `line_items[0][price_data][currency]=eur` → `{"line_items":[{"price_data":{"currency":"eur"}}]}`
///
/// A container whose keys are all integers becomes an array ordered by index (so `x[1]` before `x[0]`
/// still gives `[x0, x1]`). An empty value is kept as `""` (Stripe uses it to unset a field).
enum FormDecoder {
    struct Failure: Error {
        var message: String
        var param: String
    }

    /// The `(name, value)` pairs of a form body or query string, percent-decoded, `+` as space.
    static func pairs(_ text: String) -> [(name: String, value: String)] {
        text.split(separator: "&", omittingEmptySubsequences: true).map { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = decodeComponent(parts[0])
            let value = parts.count > 1 ? decodeComponent(parts[1]) : ""
            return (name, value)
        }
    }

    /// Decodes pairs into nested parameters.
    static func decode(_ pairs: [(name: String, value: String)]) throws(Failure) -> JSONObject {
        var root = Node.dict([], [:])
        for (name, value) in pairs {
            let path = try keyPath(name)
            try root.insert(value, at: path[...], fullName: name)
        }
        guard case .object(let object) = root.json else { return JSONObject() }
        return object
    }

    /// Splits `a[b][0][]` into `["a", "b", "0", ""]`.
    static func keyPath(_ name: String) throws(Failure) -> [String] {
        guard let open = name.firstIndex(of: "[") else { return [name] }
        var path = [String(name[..<open])]
        var rest = name[open...]
        while !rest.isEmpty {
            guard rest.first == "[", let close = rest.firstIndex(of: "]") else {
                throw Failure(message: "Invalid parameter name: \(name)", param: name)
            }
            path.append(String(rest[rest.index(after: rest.startIndex)..<close]))
            rest = rest[rest.index(after: close)...]
        }
        guard !path[0].isEmpty else { throw Failure(message: "Invalid parameter name: \(name)", param: name) }
        return path
    }

    /// A parameter tree under construction.
    private indirect enum Node {
        case leaf(String)
        /// Keys in first-seen order and their nodes.
        case dict([String], [String: Node])

        mutating func insert(_ value: String, at path: ArraySlice<String>, fullName: String) throws(Failure) {
            guard let head = path.first else {
                self = .leaf(value)
                return
            }
            guard case .dict(var keys, var children) = self else {
                throw Failure(message: "Invalid parameter: \(fullName) mixes a value and nested fields", param: fullName)
            }
            // `x[]` appends a new element.
            let key = head.isEmpty ? String(keys.count) : head
            var child = children[key] ?? .dict([], [:])
            if children[key] == nil { keys.append(key) }
            if case .leaf = child, path.count > 1 {
                throw Failure(message: "Invalid parameter: \(fullName) mixes a value and nested fields", param: fullName)
            }
            try child.insert(value, at: path.dropFirst(), fullName: fullName)
            children[key] = child
            self = .dict(keys, children)
        }

        var json: JSON {
            switch self {
            case .leaf(let s): return .string(s)
            case .dict(let keys, let children):
                let indices = keys.compactMap { Int($0) }
                if !keys.isEmpty, indices.count == keys.count {
                    return .array(keys.sorted { Int($0)! < Int($1)! }.map { children[$0]!.json })
                }
                return .object(JSONObject(keys.map { ($0, children[$0]!.json) }))
            }
        }
    }

    /// Percent-decodes one component; a malformed escape is kept literally.
    static func decodeComponent(_ text: Substring) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count)
        var it = Array(text.utf8)[...]
        while let b = it.popFirst() {
            if b == UInt8(ascii: "+") {
                out.append(0x20)
            } else if b == UInt8(ascii: "%"), it.count >= 2, let v = UInt8(String(decoding: it.prefix(2), as: UTF8.self), radix: 16) {
                out.append(v)
                it = it.dropFirst(2)
            } else {
                out.append(b)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Percent-encodes a component for a form or query string (unreserved characters and brackets kept).
    static func encodeComponent(_ text: String) -> String {
        var out = ""
        for b in text.utf8 {
            switch b {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."),
                 UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(b))
            default:
                let hex = Array("0123456789ABCDEF".unicodeScalars)
                out += "%"
                out.unicodeScalars.append(hex[Int(b >> 4)])
                out.unicodeScalars.append(hex[Int(b & 0xF)])
            }
        }
        return out
    }
}
