#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Wire

/// Structured logging: one JSON object per line on stderr with time, level, service, message, trace id and
/// dot-separated metadata keys (`order.id`, `stripe.event_id`).
///
/// Secrets never reach a line: metadata under secret-looking keys is replaced, and Stripe keys, webhook
/// secrets and client secrets are scrubbed from every string (see ``Redactor``).
public struct Logger: Sendable {
    /// Severity, lowest first.
    public enum Level: Int, Sendable, Comparable, CaseIterable {
        case debug, info, warn, error

        /// The name used in log lines and in `SHOP_LOG_LEVEL`.
        public var name: String {
            switch self {
            case .debug: "debug"
            case .info: "info"
            case .warn: "warn"
            case .error: "error"
            }
        }

        /// Parses `debug`, `info`, `warn` (or `warning`), `error`.
        public init?(name: String) {
            switch name.lowercased() {
            case "debug": self = .debug
            case "info": self = .info
            case "warn", "warning": self = .warn
            case "error": self = .error
            default: return nil
            }
        }

        public static func < (a: Level, b: Level) -> Bool { a.rawValue < b.rawValue }
    }

    /// Where lines go. Tests may capture them; services write to stderr.
    public typealias Sink = @Sendable ([UInt8]) -> Void

    public let service: String
    public let minimumLevel: Level
    /// Metadata added to every line of this logger.
    public private(set) var metadata: [(String, String)]
    private let sink: Sink

    public init(service: String, level: Level = .info, sink: Sink? = nil) {
        self.service = service
        self.minimumLevel = level
        self.metadata = []
        self.sink = sink ?? Logger.stderrSink
    }

    /// Writes each line with a single `write(2)` so lines from many threads never interleave.
    public static let stderrSink: Sink = { line in
        line.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let n = write(2, raw.baseAddress! + offset, raw.count - offset)
                if n <= 0 { if n < 0 && errno == EINTR { continue }; return }
                offset += n
            }
        }
    }

    /// A logger that adds `key=value` to every line.
    public func with(_ key: String, _ value: String) -> Logger {
        var copy = self
        copy.metadata.append((key, value))
        return copy
    }

    public func debug(_ message: @autoclosure () -> String, _ meta: KeyValuePairs<String, String> = [:]) {
        if minimumLevel <= .debug { emit(.debug, message(), meta) }
    }
    public func info(_ message: @autoclosure () -> String, _ meta: KeyValuePairs<String, String> = [:]) {
        if minimumLevel <= .info { emit(.info, message(), meta) }
    }
    public func warn(_ message: @autoclosure () -> String, _ meta: KeyValuePairs<String, String> = [:]) {
        if minimumLevel <= .warn { emit(.warn, message(), meta) }
    }
    public func error(_ message: @autoclosure () -> String, _ meta: KeyValuePairs<String, String> = [:]) {
        emit(.error, message(), meta)
    }

    private func emit(_ level: Level, _ message: String, _ meta: KeyValuePairs<String, String>) {
        var w = JSONWriter(reservingCapacity: 256)
        w.beginObject()
        w.field("ts", Self.timestamp())
        w.field("level", level.name)
        w.field("service", service)
        w.field("msg", Redactor.scrub(message))
        for (k, v) in metadata { w.field(k, Redactor.value(forKey: k, v)) }
        for (k, v) in meta { w.field(k, Redactor.value(forKey: k, v)) }
        w.endObject()
        var line = w.bytes
        line.append(0x0A)
        sink(line)
    }

    /// RFC 3339 UTC time with milliseconds, without Foundation's formatters.
    static func timestamp() -> String {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        var t = ts.tv_sec
        var parts = tm()
        gmtime_r(&t, &parts)
        func pad(_ v: Int32, _ width: Int) -> String {
            let s = String(v)
            return String(repeating: "0", count: max(0, width - s.count)) + s
        }
        return "\(pad(parts.tm_year + 1900, 4))-\(pad(parts.tm_mon + 1, 2))-\(pad(parts.tm_mday, 2))T"
            + "\(pad(parts.tm_hour, 2)):\(pad(parts.tm_min, 2)):\(pad(parts.tm_sec, 2)).\(pad(Int32(ts.tv_nsec / 1_000_000), 3))Z"
    }
}
