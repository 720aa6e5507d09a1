import FluxCore
import Foundation
import GRDB

/// Where each child execution of a `call` sits in its tree (``FluxCore/CallLineage``), in the `call_lineage` table.
extension SQLiteStore {
    /// The lineage of a child execution, or nil for a root.
    ///
    /// ```swift
    /// let depth = try await store.lineage(executionID: id)?.depth ?? 0
    /// ```
    public func lineage(executionID: String) async throws -> CallLineage? {
        try await read { db in
            try Row.fetchOne(db.cachedStatement(sql: "SELECT parent_id, root_id, depth FROM call_lineage WHERE execution_id = ?"),
                             arguments: [executionID]).map {
                CallLineage(executionID: executionID, parentID: $0[0], rootID: $0[1], depth: $0[2])
            }
        }
    }

    /// Records `lineage` unless its root has `maxDescendants` descendants; true when recorded now or before.
    ///
    /// ```swift
    /// guard try await store.recordLineage(lineage, maxDescendants: 10_000) else { throw tooMany }
    /// ```
    public func recordLineage(_ lineage: CallLineage, maxDescendants: Int) async throws -> Bool {
        try await write { db in
            // One write transaction: SQLite has one writer, so the count cannot change before the insert.
            if try Bool.fetchOne(db.cachedStatement(sql: "SELECT 1 FROM call_lineage WHERE execution_id = ?"),
                                 arguments: [lineage.executionID]) == true { return true }
            let count = try Int.fetchOne(db.cachedStatement(sql: "SELECT COUNT(*) FROM call_lineage WHERE root_id = ?"),
                                         arguments: [lineage.rootID]) ?? 0
            guard count < maxDescendants else { return false }
            try db.cachedStatement(sql: "INSERT INTO call_lineage (execution_id, parent_id, root_id, depth) VALUES (?, ?, ?, ?)")
                .execute(arguments: [lineage.executionID, lineage.parentID, lineage.rootID, lineage.depth])
            return true
        }
    }
}
