import FoundationEssentials

/// Start-up configuration problems, each naming the variable and what it expects.
public struct ConfigError: Error, Sendable, CustomStringConvertible {
    public var problems: [String]
    public var description: String {
        "invalid configuration:\n" + problems.map { "  - \($0)" }.joined(separator: "\n")
    }
}

/// Reads environment variables once at start, collecting every problem so the operator sees them all at
/// once instead of fixing one per restart.
public struct ConfigReader {
    private let environment: [String: String]
    public private(set) var problems: [String] = []

    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.environment = environment
    }

    /// The raw value, or nil when unset or empty.
    public func raw(_ name: String) -> String? {
        guard let v = environment[name], !v.isEmpty else { return nil }
        return v
    }

    /// A string, or `fallback` when unset.
    public func string(_ name: String, default fallback: String) -> String {
        raw(name) ?? fallback
    }

    /// A string that must be set.
    public mutating func requiredString(_ name: String, expected: String) -> String {
        guard let v = raw(name) else {
            problems.append("\(name) is required: expected \(expected)")
            return ""
        }
        return v
    }

    /// An integer in `range`, or `fallback` when unset.
    public mutating func int(_ name: String, default fallback: Int, range: ClosedRange<Int>) -> Int {
        guard let v = raw(name) else { return fallback }
        guard let n = Int(v), range.contains(n) else {
            problems.append("\(name)='\(v)': expected an integer from \(range.lowerBound) to \(range.upperBound)")
            return fallback
        }
        return n
    }

    /// One of `choices`, or `fallback` when unset.
    public mutating func choice(_ name: String, default fallback: String, choices: [String]) -> String {
        guard let v = raw(name) else { return fallback }
        guard choices.contains(v.lowercased()) else {
            problems.append("\(name)='\(v)': expected one of \(choices.joined(separator: ", "))")
            return fallback
        }
        return v.lowercased()
    }

    /// Records a problem found by the caller's own validation.
    public mutating func problem(_ name: String, _ message: String) {
        problems.append("\(name): \(message)")
    }

    /// Records a problem already worded with its variable's name (`NAME='value': expected ...`).
    public mutating func problem(_ line: String) {
        problems.append(line)
    }

    /// Throws if any value was missing or malformed.
    public func finish() throws(ConfigError) {
        if !problems.isEmpty { throw ConfigError(problems: problems) }
    }
}
