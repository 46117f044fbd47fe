import CSQLite

/// One SQLite connection with a prepared-statement cache. Not thread-safe: ``Database`` confines each
/// connection to one serial queue.
public final class Connection {
    let handle: OpaquePointer
    private var statements: [String: OpaquePointer] = [:]

    init(path: String, readOnly: Bool) throws(SQLiteError) {
        var db: OpaquePointer?
        let flags = (readOnly ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE))
            | SQLITE_OPEN_NOMUTEX
        let rc = sqlite3_open_v2(path, &db, flags, nil)
        guard rc == SQLITE_OK, let db else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? "cannot open"
            if let db { sqlite3_close_v2(db) }
            throw SQLiteError(extendedCode: rc, message: "\(message): \(path)")
        }
        handle = db
        sqlite3_extended_result_codes(db, 1)
    }

    deinit {
        for (_, s) in statements { sqlite3_finalize(s) }
        sqlite3_close_v2(handle)
    }

    func error(_ rc: Int32, sql: String?) -> SQLiteError {
        SQLiteError(extendedCode: sqlite3_extended_errcode(handle) != 0 ? sqlite3_extended_errcode(handle) : rc,
                    message: String(cString: sqlite3_errmsg(handle)), sql: sql)
    }

    /// Runs one or more statements without parameters (schema, pragmas).
    public func executeScript(_ sql: String) throws(SQLiteError) {
        let rc = sqlite3_exec(handle, sql, nil, nil, nil)
        if rc != SQLITE_OK { throw error(rc, sql: sql) }
    }

    private func prepared(_ sql: String) throws(SQLiteError) -> OpaquePointer {
        if let s = statements[sql] { return s }
        var stmt: OpaquePointer?
        let rc = sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &stmt, nil)
        guard rc == SQLITE_OK, let stmt else { throw error(rc, sql: sql) }
        statements[sql] = stmt
        return stmt
    }

    private func bind(_ stmt: OpaquePointer, _ params: [any SQLBindable], sql: String) throws(SQLiteError) {
        for (i, p) in params.enumerated() {
            let index = Int32(i + 1)
            let rc: Int32
            switch p.sqlValue {
            case .null: rc = sqlite3_bind_null(stmt, index)
            case .integer(let v): rc = sqlite3_bind_int64(stmt, index, v)
            case .real(let v): rc = sqlite3_bind_double(stmt, index, v)
            case .text(let v): rc = csqlite_bind_text_transient(stmt, index, v, Int32(v.utf8.count))
            case .blob(let v): rc = v.withUnsafeBytes { csqlite_bind_blob_transient(stmt, index, $0.baseAddress, Int32($0.count)) }
            }
            if rc != SQLITE_OK { throw error(rc, sql: sql) }
        }
    }

    /// Runs a statement that returns no rows; returns the number of rows changed.
    @discardableResult
    public func execute(_ sql: String, _ params: any SQLBindable...) throws(SQLiteError) -> Int {
        try execute(sql, parameters: params)
    }

    /// Runs a statement that returns no rows; returns the number of rows changed.
    @discardableResult
    public func execute(_ sql: String, parameters: [any SQLBindable]) throws(SQLiteError) -> Int {
        let stmt = try prepared(sql)
        defer { sqlite3_reset(stmt); sqlite3_clear_bindings(stmt) }
        try bind(stmt, parameters, sql: sql)
        while true {
            let rc = sqlite3_step(stmt)
            if rc == SQLITE_DONE { break }
            if rc == SQLITE_ROW { continue }
            throw error(rc, sql: sql)
        }
        return Int(sqlite3_changes(handle))
    }

    /// Runs a query and returns all rows.
    public func query(_ sql: String, _ params: any SQLBindable...) throws(SQLiteError) -> [Row] {
        try query(sql, parameters: params)
    }

    /// Runs a query and returns all rows.
    public func query(_ sql: String, parameters: [any SQLBindable]) throws(SQLiteError) -> [Row] {
        let stmt = try prepared(sql)
        defer { sqlite3_reset(stmt); sqlite3_clear_bindings(stmt) }
        try bind(stmt, parameters, sql: sql)
        let count = sqlite3_column_count(stmt)
        let names = (0..<count).map { String(cString: sqlite3_column_name(stmt, $0)) }
        var rows: [Row] = []
        while true {
            let rc = sqlite3_step(stmt)
            if rc == SQLITE_DONE { break }
            guard rc == SQLITE_ROW else { throw error(rc, sql: sql) }
            var values: [SQLValue] = []
            values.reserveCapacity(Int(count))
            for i in 0..<count {
                switch sqlite3_column_type(stmt, i) {
                case SQLITE_INTEGER: values.append(.integer(sqlite3_column_int64(stmt, i)))
                case SQLITE_FLOAT: values.append(.real(sqlite3_column_double(stmt, i)))
                case SQLITE_TEXT: values.append(.text(String(cString: sqlite3_column_text(stmt, i))))
                case SQLITE_BLOB:
                    let n = Int(sqlite3_column_bytes(stmt, i))
                    if n == 0 { values.append(.blob([])) } else {
                        let p = sqlite3_column_blob(stmt, i)!
                        values.append(.blob(Array(UnsafeRawBufferPointer(start: p, count: n))))
                    }
                default: values.append(.null)
                }
            }
            rows.append(Row(columns: names, values: values))
        }
        return rows
    }

    /// The first row of a query, if any.
    public func queryOne(_ sql: String, _ params: any SQLBindable...) throws(SQLiteError) -> Row? {
        try query(sql, parameters: params).first
    }

    /// The rowid of the last inserted row.
    public var lastInsertRowID: Int64 { sqlite3_last_insert_rowid(handle) }
}
