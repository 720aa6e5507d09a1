import FluxCore
import Foundation
import GRDB

extension SQLiteStore {
    /// Stores a new version of `draft.name` (the latest version + 1, starting at 1), unless the latest
    /// version has the same `contentHash`: then that version is returned unchanged.
    ///
    /// Reading the latest version and inserting the next one happen in one `BEGIN IMMEDIATE`
    /// transaction, so concurrent registrations, from this process or another, get contiguous versions.
    ///
    /// ```swift
    /// let v1 = try await store.saveWorkflow(WorkflowDraft(name: "hello", kind: .document, source: yaml, contentHash: hash))
    /// let same = try await store.saveWorkflow(WorkflowDraft(name: "hello", kind: .document, source: yaml, contentHash: hash))
    /// // same.version == v1.version
    /// ```
    public func saveWorkflow(_ draft: WorkflowDraft) async throws -> WorkflowRecord {
        try await write { db in
            let latest = try Self.fetchWorkflow(name: draft.name, version: nil, db)
            if let latest, latest.contentHash == draft.contentHash { return latest }
            // A deleted version's number is never reused: executions that ran it still name it.
            let usedByExecutions = try Int.fetchOne(
                db, sql: "SELECT MAX(workflow_version) FROM executions WHERE workflow_name = ?", arguments: [draft.name]) ?? 0
            let record = WorkflowRecord(
                name: draft.name, version: max(latest?.version ?? 0, usedByExecutions) + 1, kind: draft.kind, source: draft.source,
                description: draft.description, inputSchema: draft.inputSchema, contentHash: draft.contentHash,
                createdAt: Date().asStored)
            try db.cachedStatement(sql: "INSERT INTO workflows (\(Rows.workflowColumns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")
                .execute(arguments: [
                    record.name, record.version, record.kind.rawValue, record.source, record.description,
                    record.inputSchema?.canonicalJSON, record.contentHash, record.createdAt.storeSeconds,
                ])
            return record
        }
    }

    /// The given version of a workflow, or its latest version when `version` is nil.
    ///
    /// ```swift
    /// let latest = try await store.workflow(name: "hello", version: nil)
    /// ```
    public func workflow(name: String, version: Int?) async throws -> WorkflowRecord? {
        try await read { db in try Self.fetchWorkflow(name: name, version: version, db) }
    }

    /// Every version of a workflow, oldest first.
    ///
    /// ```swift
    /// let history = try await store.workflowVersions(name: "hello").map(\.version)   // [1, 2, 3]
    /// ```
    public func workflowVersions(name: String) async throws -> [WorkflowRecord] {
        try await read { db in
            try Row.fetchAll(
                db.cachedStatement(sql: "SELECT \(Rows.workflowColumns) FROM workflows WHERE name = ? ORDER BY version"),
                arguments: [name]
            ).map(Rows.workflow)
        }
    }

    /// The latest version of every workflow, ordered by name.
    ///
    /// ```swift
    /// for workflow in try await store.listWorkflows() { print(workflow.name, workflow.version) }
    /// ```
    public func listWorkflows() async throws -> [WorkflowRecord] {
        try await read { db in
            try Row.fetchAll(db.cachedStatement(sql: """
                SELECT \(Rows.workflowColumns) FROM workflows AS w
                WHERE version = (SELECT MAX(version) FROM workflows WHERE name = w.name)
                ORDER BY name
                """)
            ).map(Rows.workflow)
        }
    }

    /// Deletes one version of a workflow, or all of its versions when `version` is nil; returns how many
    /// were deleted. Executions that ran a deleted version keep their events.
    ///
    /// ```swift
    /// let removed = try await store.deleteWorkflow(name: "hello", version: nil)
    /// ```
    public func deleteWorkflow(name: String, version: Int?) async throws -> Int {
        try await write { db in
            if let version {
                try db.cachedStatement(sql: "DELETE FROM workflows WHERE name = ? AND version = ?")
                    .execute(arguments: [name, version])
            } else {
                try db.cachedStatement(sql: "DELETE FROM workflows WHERE name = ?").execute(arguments: [name])
            }
            return db.changesCount
        }
    }

    static func fetchWorkflow(name: String, version: Int?, _ db: Database) throws -> WorkflowRecord? {
        let row: Row?
        if let version {
            row = try Row.fetchOne(
                db.cachedStatement(sql: "SELECT \(Rows.workflowColumns) FROM workflows WHERE name = ? AND version = ?"),
                arguments: [name, version])
        } else {
            row = try Row.fetchOne(
                db.cachedStatement(sql: """
                    SELECT \(Rows.workflowColumns) FROM workflows WHERE name = ? ORDER BY version DESC LIMIT 1
                    """),
                arguments: [name])
        }
        return try row.map(Rows.workflow)
    }
}
