import FluxCore
import Foundation
import PostgresNIO

/// Typed, throwing access to the columns of one PostgresNIO row; FluxCore's ``StoredRows`` turns these
/// into records exactly as for SQLite.
struct PostgresRowReader: StoreColumnReader {
    let row: PostgresRandomAccessRow
    let table: String
    let key: String

    init(_ row: PostgresRow, table: String, key: String) {
        self.init(row: row.makeRandomAccess(), table: table, key: key)
    }

    private init(row: PostgresRandomAccessRow, table: String, key: String) {
        self.row = row
        self.table = table
        self.key = key
    }

    func keyed(_ key: String) -> PostgresRowReader {
        PostgresRowReader(row: row, table: table, key: key)
    }

    private func decode<T: PostgresDecodable>(_: T.Type, _ index: Int, _ column: String) throws -> T {
        guard index < row.count else { throw corrupt(column, "is missing from the result") }
        do {
            return try row[index].decode(T.self)
        } catch {
            // PostgresDecodingError's description is deliberately empty: name the type that was found.
            throw corrupt(column, "cannot be read as \(T.self) (it holds \(row[index].bytes == nil ? "NULL" : "a value of type \(row[index].dataType)"))")
        }
    }

    func string(_ index: Int, _ column: String) throws -> String { try decode(String.self, index, column) }
    func optionalString(_ index: Int, _ column: String) throws -> String? { try decode(String?.self, index, column) }
    func int(_ index: Int, _ column: String) throws -> Int { try decode(Int.self, index, column) }
    func double(_ index: Int, _ column: String) throws -> Double { try decode(Double.self, index, column) }
    func optionalDouble(_ index: Int, _ column: String) throws -> Double? { try decode(Double?.self, index, column) }
    func bytes(_ index: Int, _ column: String) throws -> Data { try decode(Data.self, index, column) }
    func bool(_ index: Int, _ column: String) throws -> Bool { try decode(Bool.self, index, column) }
}

/// Row decoding for the store's queries: FluxCore's ``StoredRows`` over PostgresNIO rows.
enum PostgresRows {
    static let executionColumns = StoredRows.executionColumns
    static let eventColumns = StoredRows.eventColumns
    static let workflowColumns = StoredRows.workflowColumns

    static func execution(_ row: PostgresRow) throws -> ExecutionRecord {
        try StoredRows.execution(PostgresRowReader(row, table: "executions", key: "?"))
    }

    static func event(_ row: PostgresRow, executionID: String) throws -> ExecutionEvent {
        try StoredRows.event(PostgresRowReader(row, table: "execution_events", key: executionID), executionID: executionID)
    }

    static func workflow(_ row: PostgresRow) throws -> WorkflowRecord {
        try StoredRows.workflow(PostgresRowReader(row, table: "workflows", key: "?"))
    }
}
