import CSQLite

/// A failed SQLite call, with the extended result code (e.g. `SQLITE_CONSTRAINT_UNIQUE` = 2067) and
/// the statement that failed.
public struct SQLiteError: Error, Sendable, CustomStringConvertible {
    /// The primary result code (`extendedCode & 0xFF`).
    public var code: Int32 { extendedCode & 0xFF }
    /// SQLite's extended result code.
    public var extendedCode: Int32
    /// SQLite's message.
    public var message: String
    /// The SQL that failed, if any.
    public var sql: String?

    public init(extendedCode: Int32, message: String, sql: String? = nil) {
        self.extendedCode = extendedCode
        self.message = message
        self.sql = sql
    }

    /// Whether the database was busy or locked: retrying later can succeed.
    public var isBusy: Bool { code == SQLITE_BUSY || code == SQLITE_LOCKED }
    /// Whether a constraint (unique, primary key, check, foreign key) was violated.
    public var isConstraintViolation: Bool { code == SQLITE_CONSTRAINT }
    /// Whether the disk is full or failing: retrying later may succeed once an operator intervenes.
    public var isIOFailure: Bool { code == SQLITE_IOERR || code == SQLITE_FULL || code == SQLITE_CANTOPEN }

    public var description: String {
        var s = "SQLite error \(extendedCode): \(message)"
        if let sql { s += " (in: \(sql.prefix(120)))" }
        return s
    }
}
