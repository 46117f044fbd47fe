import Core

extension HTTPRequest {
    /// The query decoded as `application/x-www-form-urlencoded`: `a=1&b=x+y&c` gives
    /// `[("a", "1"), ("b", "x y"), ("c", "")]`, in order, repeats kept. A pair whose escapes are
    /// malformed keeps its raw text rather than being dropped.
    public var queryItems: [(name: String, value: String)] {
        guard let query, !query.isEmpty else { return [] }
        return query.split(separator: "&").map { pair in
            let name: Substring, value: Substring
            if let eq = pair.firstIndex(of: "=") {
                name = pair[..<eq]
                value = pair[pair.index(after: eq)...]
            } else {
                name = pair
                value = ""
            }
            return (PercentEncoding.decode(name, plusAsSpace: true) ?? String(name),
                    PercentEncoding.decode(value, plusAsSpace: true) ?? String(value))
        }
    }

    /// The decoded value of the first query item named `name`, or nil.
    public func queryValue(_ name: String) -> String? {
        queryItems.first { $0.name == name }?.value
    }

    /// The path with percent escapes decoded, or nil when an escape is malformed or the result is not
    /// UTF-8. Route on ``path``; use this only for display.
    public var decodedPath: String? {
        PercentEncoding.decode(Substring(path), plusAsSpace: false)
    }
}
