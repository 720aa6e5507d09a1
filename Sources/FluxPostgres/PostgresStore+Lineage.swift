import FluxCore
import Foundation
import PostgresNIO

/// Where each child execution of a `call` sits in its tree (``FluxCore/CallLineage``), in the `call_lineage` table.
extension PostgresStore {
    /// The lineage of a child execution, or nil for a root.
    ///
    /// ```swift
    /// let depth = try await store.lineage(executionID: id)?.depth ?? 0
    /// ```
    public func lineage(executionID: String) async throws -> CallLineage? {
        try await rows("SELECT parent_id, root_id, depth FROM call_lineage WHERE execution_id = \(executionID)").first.map {
            let r = PostgresRowReader($0, table: "call_lineage", key: executionID)
            return CallLineage(executionID: executionID, parentID: try r.string(0, "parent_id"), rootID: try r.string(1, "root_id"),
                               depth: try r.int(2, "depth"))
        }
    }

    /// Records `lineage` unless its root has `maxDescendants` descendants; true when recorded now or before.
    /// Calls under one root take a transaction lock on it, so concurrent ones (from any process) cannot pass the limit.
    ///
    /// ```swift
    /// guard try await store.recordLineage(lineage, maxDescendants: 10_000) else { throw tooMany }
    /// ```
    public func recordLineage(_ lineage: CallLineage, maxDescendants: Int) async throws -> Bool {
        try await transaction { connection in
            try await connection.query("SELECT pg_advisory_xact_lock(hashtext('flux_call_root:' || \(lineage.rootID)))", logger: logger)
            let found = try await connection.query("""
                SELECT (SELECT COUNT(*) FROM call_lineage WHERE execution_id = \(lineage.executionID)),
                       (SELECT COUNT(*) FROM call_lineage WHERE root_id = \(lineage.rootID))
                """, logger: logger).collect()
            guard let row = found.first else { return false }
            let r = PostgresRowReader(row, table: "call_lineage", key: lineage.executionID)
            if try r.int(0, "known") > 0 { return true }
            guard try r.int(1, "descendants") < maxDescendants else { return false }
            try await connection.query("""
                INSERT INTO call_lineage (execution_id, parent_id, root_id, depth)
                VALUES (\(lineage.executionID), \(lineage.parentID), \(lineage.rootID), \(lineage.depth))
                """, logger: logger)
            return true
        }
    }
}
