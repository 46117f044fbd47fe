/// The values a route's `{name}` segments matched, percent-decoded.
public struct PathParameters: Sendable, Equatable {
    /// Name and decoded value of each parameter, in pattern order.
    public private(set) var values: [(name: String, value: String)]

    /// Parameters from name/value pairs.
    public init(_ values: [(name: String, value: String)] = []) { self.values = values }

    /// The decoded value of parameter `name`, or nil if the route has no such parameter.
    public subscript(name: String) -> String? {
        values.first { $0.name == name }?.value
    }

    /// Number of parameters.
    public var count: Int { values.count }

    /// Equal when the same names map to the same values in the same order.
    public static func == (a: PathParameters, b: PathParameters) -> Bool {
        a.values.elementsEqual(b.values) { $0.name == $1.name && $0.value == $1.value }
    }
}
