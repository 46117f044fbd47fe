import Core

/// Decodes Stripe's form encoding (`application/x-www-form-urlencoded` with nested brackets) into a
/// ``JSONObject`` whose leaves are strings:
///
/// - `metadata[order_id]=o1` → `{"metadata":{"order_id":"o1"}}`
/// - `expand[0]=a&expand[1]=b` and `expand[]=a&expand[]=b` → `{"expand":["a","b"]}`
/// - `line_items[0][price_data][currency]=eur` → `{"line_items":[{"price_data":{"currency":"eur"}}]}`
///
/// A container indexed by integers becomes an array ordered by index (so `x[1]` before `x[0]` still gives
/// `[x0, x1]`). An empty value is kept as `""` (Stripe uses it to unset a field).
///
/// Every body either decodes to one tree in which each pair is one leaf, or is refused with a
/// ``Failure`` (a 400 naming the parameter), never silently reinterpreted:
/// - a name given twice (`a=1&a=2`, `x[0]=a&x[0]=b`): which one would win is a guess;
/// - a name that is both a value and a container (`a=1&a[b]=2`, in either order);
/// - one container indexed in two ways (`x[0]` with `x[]` or `x[k]`, `x[]` with `x[k]`): an array or an
///   object, and which element is which, would be a guess. An index is a canonical decimal (`0`, `12`;
///   not `01`, `+1` or `-1`, which are names);
/// - nesting deeper than ``maxDepth`` brackets (as Rack's `param_depth_limit`): without a bound, deep
///   brackets recursed until the stand-in's stack overflowed.
enum FormDecoder {
    struct Failure: Error {
        var message: String
        var param: String
    }

    /// Most brackets in one parameter name. Stripe's deepest parameters use five
    /// (`line_items[0][price_data][product_data][metadata][k]`).
    static let maxDepth = 32

    /// The `(name, value)` pairs of a form body or query string, percent-decoded, `+` as space. A
    /// malformed escape (`%`, `%4`, `%zz`, `%+f`) or one that decodes to invalid UTF-8 is refused, as
    /// Stripe refuses it, rather than kept literally.
    static func pairs(_ text: String) throws(Failure) -> [(name: String, value: String)] {
        var out: [(name: String, value: String)] = []
        for pair in text.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let name = PercentEncoding.decode(parts[0], plusAsSpace: true),
                  let value = parts.count > 1 ? PercentEncoding.decode(parts[1], plusAsSpace: true) : "" else {
                let param = String(parts[0].prefix(200))
                throw Failure(message: "Invalid percent-encoding in parameter \(param)", param: param)
            }
            out.append((name, value))
        }
        return out
    }

    /// Decodes pairs into nested parameters.
    static func decode(_ pairs: [(name: String, value: String)]) throws(Failure) -> JSONObject {
        var root = Node.container(Container(style: .named))
        for (name, value) in pairs {
            let path = try keyPath(name)
            try root.insert(value, at: path[...], fullName: name)
        }
        guard case .object(let object) = root.json else { return JSONObject() }
        return object
    }

    /// Splits `a[b][0][]` into `["a", "b", "0", ""]`.
    static func keyPath(_ name: String) throws(Failure) -> [String] {
        guard let open = name.firstIndex(of: "[") else {
            // An empty name (`=x`, `&=&`) names nothing; decoding it dropped the pair without a word.
            guard !name.isEmpty else { throw Failure(message: "Invalid parameter name: a parameter has an empty name", param: "") }
            return [name]
        }
        var path = [String(name[..<open])]
        var rest = name[open...]
        while !rest.isEmpty {
            guard rest.first == "[", let close = rest.firstIndex(of: "]") else {
                throw Failure(message: "Invalid parameter name: \(name)", param: name)
            }
            guard path.count <= maxDepth else {
                throw Failure(message: "Invalid parameter name: \(name.prefix(200)) is nested more than \(maxDepth) levels deep",
                              param: String(name.prefix(200)))
            }
            path.append(String(rest[rest.index(after: rest.startIndex)..<close]))
            rest = rest[rest.index(after: close)...]
        }
        guard !path[0].isEmpty else { throw Failure(message: "Invalid parameter name: \(name)", param: name) }
        return path
    }

    /// Whether `key` is an array index: a canonical decimal of at most nine digits.
    static func isIndex(_ key: String) -> Bool {
        let utf8 = key.utf8
        guard (1...9).contains(utf8.count), utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else {
            return false
        }
        return utf8.count == 1 || utf8.first != UInt8(ascii: "0")
    }

    /// How a container's children are named; one container uses one style only.
    private enum Style: Equatable {
        /// Not yet known (a container made by its first child).
        case unknown
        /// `x[]`: each pair appends an element.
        case appended
        /// `x[0]`, `x[1]`: an array by index.
        case indexed
        /// `x[name]`: an object.
        case named
    }

    private struct Container {
        var style: Style
        /// Keys in first-seen order and their nodes.
        var keys: [String] = []
        var children: [String: Node] = [:]
    }

    /// A parameter tree under construction.
    private indirect enum Node {
        case leaf(String)
        case container(Container)

        mutating func insert(_ value: String, at path: ArraySlice<String>, fullName: String) throws(Failure) {
            guard let head = path.first else {
                // A value where a value or a container already is.
                switch self {
                case .container(let c) where c.keys.isEmpty && c.style == .unknown: self = .leaf(value)
                case .leaf: throw Failure(message: "Invalid parameter: \(fullName) is given more than once", param: fullName)
                case .container:
                    throw Failure(message: "Invalid parameter: \(fullName) is both a value and an object or array", param: fullName)
                }
                return
            }
            guard case .container(var c) = self else {
                throw Failure(message: "Invalid parameter: \(fullName) is both a value and an object or array", param: fullName)
            }
            // Free the slot while the container is changed, so its storage is not copied: with the old
            // value still in `self`, every append copied the keys, and a body of n pairs took n² time.
            self = .leaf("")
            defer { self = .container(c) }
            let style: Style = head.isEmpty ? .appended : FormDecoder.isIndex(head) ? .indexed : .named
            if c.style == .unknown { c.style = style }
            guard c.style == style else {
                let name = fullName.prefix(200)
                throw Failure(message: "Invalid parameter: \(name) mixes \(Self.describe(c.style)) with \(Self.describe(style)) in one array or object",
                              param: String(name))
            }
            // `x[]` appends a new element.
            let key = head.isEmpty ? String(c.keys.count) : head
            // Taken out of the dictionary while it changes, for the same reason.
            var child: Node
            if let existing = c.children.removeValue(forKey: key) {
                child = existing
            } else {
                child = .container(Container(style: .unknown))
                c.keys.append(key)
            }
            do {
                try child.insert(value, at: path.dropFirst(), fullName: fullName)
            } catch {
                c.children[key] = child
                throw error
            }
            c.children[key] = child
        }

        private static func describe(_ style: Style) -> String {
            switch style {
            case .unknown: "nothing"
            case .appended: "[]"
            case .indexed: "[<index>]"
            case .named: "[<name>]"
            }
        }

        var json: JSON {
            switch self {
            case .leaf(let s): return .string(s)
            case .container(let c):
                switch c.style {
                case .appended:
                    return .array(c.keys.map { c.children[$0]!.json })
                case .indexed:
                    return .array(c.keys.sorted { Int($0)! < Int($1)! }.map { c.children[$0]!.json })
                case .named, .unknown:
                    return .object(JSONObject(c.keys.map { ($0, c.children[$0]!.json) }))
                }
            }
        }
    }
}
