import Foundation

/// Typed, throwing access to the columns of one row a store has read. Each store implements the
/// primitives for its driver; the rest, and the decoding of whole records, is shared, so that both
/// stores read rows alike and report a value that does not decode (a NULL where none may be, JSON that
/// does not parse, an unknown state) as the same ``StoreError/corrupt(_:)``, naming the table, the row
/// and the column, instead of crashing.
///
/// ```swift
/// let record = try StoredRows.execution(MyColumnReader(row: row, table: "executions", key: "?"))
/// ```
public protocol StoreColumnReader {
    /// The table the row comes from, for messages.
    var table: String { get }
    /// What identifies the row in messages (an execution id, a workflow name and version...).
    var key: String { get }
    /// The same row, named by `key` in messages.
    func keyed(_ key: String) -> Self
    func string(_ index: Int, _ column: String) throws -> String
    func optionalString(_ index: Int, _ column: String) throws -> String?
    func int(_ index: Int, _ column: String) throws -> Int
    func double(_ index: Int, _ column: String) throws -> Double
    func optionalDouble(_ index: Int, _ column: String) throws -> Double?
}

extension StoreColumnReader {
    public func corrupt(_ column: String, _ why: String) -> StoreError {
        .corrupt("\(table) row \(key): column \(column) \(why)")
    }

    /// A time stored as Unix seconds.
    public func date(_ index: Int, _ column: String) throws -> Date {
        Date(timeIntervalSince1970: try double(index, column))
    }

    public func optionalDate(_ index: Int, _ column: String) throws -> Date? {
        try optionalDouble(index, column).map { Date(timeIntervalSince1970: $0) }
    }

    public func state(_ index: Int, _ column: String) throws -> ExecutionState {
        let name = try string(index, column)
        guard let state = ExecutionState(rawValue: name) else { throw corrupt(column, "holds unknown state \(name)") }
        return state
    }

    /// A column holding `JSONValue.canonicalJSON` text.
    public func json(_ index: Int, _ column: String) throws -> JSONValue {
        try parseJSON(try string(index, column), column)
    }

    public func optionalJSON(_ index: Int, _ column: String) throws -> JSONValue? {
        guard let text = try optionalString(index, column) else { return nil }
        return try parseJSON(text, column)
    }

    private func parseJSON(_ text: String, _ column: String) throws -> JSONValue {
        do {
            return try JSONValue(parsing: text)
        } catch {
            throw corrupt(column, "is not valid JSON (\(error))")
        }
    }
}

/// The stores' column lists, and the decoding of their rows into records. Every store selects the
/// columns in these orders.
public enum StoredRows {
    public static let executionColumns = """
        id, workflow_name, workflow_version, state, input, output, owner, claim_generation, \
        lease_expires_at, last_sequence, created_at, updated_at
        """
    public static let eventColumns = "sequence, event_id, type, source_id, name, value, time"
    public static let workflowColumns = "name, version, kind, source, description, input_schema, content_hash, created_at"

    /// An `executions` row selected as ``executionColumns``.
    public static func execution(_ reader: some StoreColumnReader) throws -> ExecutionRecord {
        let id = try reader.string(0, "id")
        let r = reader.keyed(id)
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

    /// An `execution_events` row selected as ``eventColumns``.
    public static func event(_ reader: some StoreColumnReader, executionID: String) throws -> ExecutionEvent {
        let sequence = try reader.keyed(executionID).int(0, "sequence")
        let r = reader.keyed("\(executionID)#\(sequence)")
        let typeName = try r.string(2, "type")
        guard let type = EventType(rawValue: typeName) else { throw r.corrupt("type", "unknown event type \(typeName)") }
        return ExecutionEvent(
            id: try r.string(1, "event_id"),
            type: type,
            sourceID: try r.string(3, "source_id"),
            name: try r.string(4, "name"),
            value: try r.json(5, "value"),
            time: try r.date(6, "time"),
            sequence: sequence)
    }

    /// A `workflows` row selected as ``workflowColumns``.
    public static func workflow(_ reader: some StoreColumnReader) throws -> WorkflowRecord {
        let name = try reader.string(0, "name")
        let version = try reader.int(1, "version")
        let r = reader.keyed("\(name) v\(version)")
        let kindName = try r.string(2, "kind")
        guard let kind = WorkflowKind(rawValue: kindName) else { throw r.corrupt("kind", "unknown workflow kind \(kindName)") }
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
}
