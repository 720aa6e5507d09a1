import FluxCore
import Foundation
import GRDB

/// Row decoding for the store's queries: FluxCore's ``StoredRows`` over GRDB rows.
///
/// Rows are decoded by column index rather than through GRDB's Codable records: it is faster on the
/// hot paths, and every value that does not decode becomes ``StoreError/corrupt(_:)`` naming the
/// table and row instead of a crash.
enum Rows {
    static let executionColumns = StoredRows.executionColumns
    static let eventColumns = StoredRows.eventColumns
    static let workflowColumns = StoredRows.workflowColumns

    static func execution(_ row: Row) throws -> ExecutionRecord {
        try StoredRows.execution(RowReader(row: row, table: "executions", key: "?"))
    }

    static func event(_ row: Row, executionID: String) throws -> ExecutionEvent {
        try StoredRows.event(RowReader(row: row, table: "execution_events", key: executionID), executionID: executionID)
    }

    static func workflow(_ row: Row) throws -> WorkflowRecord {
        try StoredRows.workflow(RowReader(row: row, table: "workflows", key: "?"))
    }
}

/// Typed, throwing access to the columns of one GRDB row.
struct RowReader: StoreColumnReader {
    let row: Row
    let table: String
    let key: String

    func keyed(_ key: String) -> RowReader {
        RowReader(row: row, table: table, key: key)
    }

    private func decode<T: DatabaseValueConvertible & StatementColumnConvertible>(_: T.Type, _ index: Int, _ column: String) throws -> T {
        do {
            return try row.decode(T.self, atIndex: index)
        } catch {
            throw corrupt(column, "cannot be read as \(T.self): \(error)")
        }
    }

    private func decodeOptional<T: DatabaseValueConvertible & StatementColumnConvertible>(_: T.Type, _ index: Int, _ column: String) throws -> T? {
        do {
            return try row.decode(T?.self, atIndex: index)
        } catch {
            throw corrupt(column, "cannot be read as \(T.self): \(error)")
        }
    }

    func string(_ index: Int, _ column: String) throws -> String { try decode(String.self, index, column) }
    func optionalString(_ index: Int, _ column: String) throws -> String? { try decodeOptional(String.self, index, column) }
    func int(_ index: Int, _ column: String) throws -> Int { try decode(Int.self, index, column) }
    func double(_ index: Int, _ column: String) throws -> Double { try decode(Double.self, index, column) }
    func optionalDouble(_ index: Int, _ column: String) throws -> Double? { try decodeOptional(Double.self, index, column) }
}
