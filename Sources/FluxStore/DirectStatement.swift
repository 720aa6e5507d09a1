import GRDB
import GRDBSQLite

/// A cached write statement run with its values bound through SQLite's C API, for the store's hottest writes
/// (a new execution's row, every event row).
///
/// GRDB's `execute(arguments:)` boxes each value as an existential, builds `StatementArguments` and binds from
/// them: in a profile of a durable hello_world (one execution row and four event rows) that was 7% of the CPU,
/// more than SQLite's own work on those rows. Here each value is bound directly; the statement still comes from
/// GRDB's per-connection cache and runs inside GRDB's transaction, and SQLite's errors come back as GRDB's
/// `DatabaseError` with the extended result code, as `execute(arguments:)` reports them.
///
/// ```swift
/// let insert = try DirectStatement(db, sql: "INSERT INTO t (a, b) VALUES (?, ?)")
/// insert.bind(1, "text")
/// insert.bind(2, 42)
/// try insert.run()
/// ```
///
/// Every use of a given SQL text must go through this type, so that GRDB never runs that cached statement with
/// bindings it did not set.
struct DirectStatement {
    private let handle: OpaquePointer
    private let db: Database

    init(_ db: Database, sql: String) throws {
        self.db = db
        handle = try db.cachedStatement(sql: sql).sqliteStatement
        sqlite3_reset(handle)
    }

    func bind(_ index: Int32, _ value: String) {
        sqlite3_bind_text(handle, index, value, -1, sqliteTransient)
    }

    func bind(_ index: Int32, _ value: String?) {
        if let value { bind(index, value) } else { sqlite3_bind_null(handle, index) }
    }

    func bind(_ index: Int32, _ value: Int) {
        sqlite3_bind_int64(handle, index, sqlite3_int64(value))
    }

    func bind(_ index: Int32, _ value: Double) {
        sqlite3_bind_double(handle, index, value)
    }

    func bind(_ index: Int32, _ value: Double?) {
        if let value { bind(index, value) } else { sqlite3_bind_null(handle, index) }
    }

    /// Steps the statement to its end and resets it.
    func run() throws {
        let code = sqlite3_step(handle)
        guard code == SQLITE_DONE else {
            let connection = db.sqliteConnection
            let error = DatabaseError(resultCode: ResultCode(rawValue: sqlite3_extended_errcode(connection)),
                                      message: String(cString: sqlite3_errmsg(connection)),
                                      sql: sqlite3_sql(handle).map { String(cString: $0) })
            sqlite3_reset(handle)
            throw error
        }
        sqlite3_reset(handle)
    }
}

/// SQLite's SQLITE_TRANSIENT: copy the bound text before the call returns.
private let sqliteTransient = unsafeBitCast(OpaquePointer(bitPattern: -1), to: sqlite3_destructor_type.self)
