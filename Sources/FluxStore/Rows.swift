import FluxCore
import Foundation
import GRDB

/// Column lists and row decoding shared by the store's queries.
///
/// Rows are decoded by column index rather than through GRDB's Codable records: it is faster on the
/// hot paths, and every value that does not decode (a NULL where none may be, JSON that does not parse,
/// an unknown state) becomes ``StoreError/corrupt(_:)`` naming the table and row instead of a crash.
enum Rows {
    static let executionColumns = """
        id, workflow_name, workflow_version, state, input, output, owner, claim_generation, \
        lease_expires_at, last_sequence, created_at, updated_at
        """
    static let eventColumns = "sequence, event_id, type, source_id, name, value, time"
    static let workflowColumns = "name, version, kind, source, description, input_schema, content_hash, created_at"

    static func execution(_ row: Row) throws -> ExecutionRecord {
        let id = try RowReader(row: row, table: "executions", key: "?").string(0, "id")
        let r = RowReader(row: row, table: "executions", key: id)
        return ExecutionRecord(
            id: id,
            workflowName: try r.string(1, "workflow_name"),
            workflowVersion: try r.int(2, "workflow_version"),
            state: try r.state(3, "state"),
            input: try r.json(4, "input"),
            output: try r.json(5, "output"),
            owner: try r.optionalString(6, "owner"),
            claimGeneration: try r.int(7, "claim_generation"),
            leaseExpiresAt: try r.optionalDate(8, "lease_expires_at"),
            lastSequence: try r.int(9, "last_sequence"),
            createdAt: try r.date(10, "created_at"),
            updatedAt: try r.date(11, "updated_at"))
    }

    static func event(_ row: Row, executionID: String) throws -> ExecutionEvent {
        let sequence = try RowReader(row: row, table: "execution_events", key: executionID).int(0, "sequence")
        let r = RowReader(row: row, table: "execution_events", key: "\(executionID)#\(sequence)")
        let typeName = try r.string(2, "type")
        guard let type = EventType(rawValue: typeName) else {
            throw r.corrupt("type", "unknown event type \(typeName)")
        }
        return ExecutionEvent(
            id: try r.string(1, "event_id"),
            type: type,
            sourceID: try r.string(3, "source_id"),
            name: try r.string(4, "name"),
            value: try r.json(5, "value"),
            time: try r.date(6, "time"),
            sequence: sequence)
    }

    static func workflow(_ row: Row) throws -> WorkflowRecord {
        let first = RowReader(row: row, table: "workflows", key: "?")
        let name = try first.string(0, "name")
        let version = try first.int(1, "version")
        let r = RowReader(row: row, table: "workflows", key: "\(name) v\(version)")
        let kindName = try r.string(2, "kind")
        guard let kind = WorkflowKind(rawValue: kindName) else {
            throw r.corrupt("kind", "unknown workflow kind \(kindName)")
        }
        return WorkflowRecord(
            name: name,
            version: version,
            kind: kind,
            source: try r.string(3, "source"),
            description: try r.string(4, "description"),
            inputSchema: try r.optionalJSON(5, "input_schema"),
            contentHash: try r.string(6, "content_hash"),
            createdAt: try r.date(7, "created_at"))
    }

    static func state(_ name: String, table: String, key: String) throws -> ExecutionState {
        guard let state = ExecutionState(rawValue: name) else {
            throw StoreError.corrupt("\(table) row \(key): column state holds unknown state \(name)")
        }
        return state
    }
}

/// Typed, throwing access to the columns of one row.
struct RowReader {
    let row: Row
    let table: String
    /// What identifies the row in messages (an execution id, a workflow name and version...).
    let key: String

    func corrupt(_ column: String, _ why: String) -> StoreError {
        .corrupt("\(table) row \(key): column \(column) \(why)")
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

    func string(_ index: Int, _ column: String) throws -> String {
        try decode(String.self, index, column)
    }

    func optionalString(_ index: Int, _ column: String) throws -> String? {
        try decodeOptional(String.self, index, column)
    }

    func int(_ index: Int, _ column: String) throws -> Int {
        try decode(Int.self, index, column)
    }

    func date(_ index: Int, _ column: String) throws -> Date {
        Date(timeIntervalSince1970: try decode(Double.self, index, column))
    }

    func optionalDate(_ index: Int, _ column: String) throws -> Date? {
        try decodeOptional(Double.self, index, column).map { Date(timeIntervalSince1970: $0) }
    }

    func state(_ index: Int, _ column: String) throws -> ExecutionState {
        try Rows.state(try string(index, column), table: table, key: key)
    }

    func json(_ index: Int, _ column: String) throws -> JSONValue {
        try parse(try string(index, column), column)
    }

    func optionalJSON(_ index: Int, _ column: String) throws -> JSONValue? {
        guard let text = try optionalString(index, column) else { return nil }
        return try parse(text, column)
    }

    private func parse(_ text: String, _ column: String) throws -> JSONValue {
        do {
            return try JSONValue(parsing: text)
        } catch {
            throw corrupt(column, "is not valid JSON (\(error))")
        }
    }
}

extension Date {
    /// How the store writes times: Unix seconds in a Double.
    ///
    /// Going through Unix seconds moves an arbitrary `Date` by up to about 0.2 µs (a Date counts from
    /// 2001, so the conversion rounds). Records the store returns therefore carry ``asStored`` dates,
    /// which equal what a later read gives.
    var storeSeconds: Double { timeIntervalSince1970 }

    /// The date exactly as reading it back from the store will give it.
    var asStored: Date { Date(timeIntervalSince1970: storeSeconds) }
}
