import FluxCore
import Foundation
import PostgresNIO

extension PostgresStore {
    /// Stores a new version of `draft.name` (the latest version + 1, starting at 1), unless the latest
    /// version has the same `contentHash`: then that version is returned unchanged.
    ///
    /// A transaction-scoped advisory lock on the name serializes registrations of one workflow, from
    /// any process, so versions stay contiguous; a deleted version's number is never reused while an
    /// execution names it.
    ///
    /// ```swift
    /// let v1 = try await store.saveWorkflow(WorkflowDraft(name: "hello", kind: .document, source: yaml, contentHash: hash))
    /// ```
    public func saveWorkflow(_ draft: WorkflowDraft) async throws -> WorkflowRecord {
        try await transaction { connection in
            try await connection.query("SELECT pg_advisory_xact_lock(hashtext('flux_workflow:' || \(draft.name)))", logger: logger)
            let latest = try await Self.fetchWorkflow(name: draft.name, version: nil, on: connection, logger: logger)
            if let latest, latest.contentHash == draft.contentHash { return latest }
            let used = try await connection.query(
                "SELECT COALESCE(MAX(workflow_version), 0) FROM executions WHERE workflow_name = \(draft.name)", logger: logger
            ).collect()
            let usedByExecutions = try used.first.map { try PostgresRowReader($0, table: "executions", key: draft.name).int(0, "max") } ?? 0
            let record = WorkflowRecord(
                name: draft.name, version: max(latest?.version ?? 0, usedByExecutions) + 1, kind: draft.kind, source: draft.source,
                description: draft.description, inputSchema: draft.inputSchema, contentHash: draft.contentHash,
                createdAt: Date().asStored)
            try await connection.query("""
                INSERT INTO workflows (\(unescaped: PostgresRows.workflowColumns))
                VALUES (\(record.name), \(record.version), \(record.kind.rawValue), \(record.source), \(record.description),
                        \(record.inputSchema?.canonicalJSON), \(record.contentHash), \(record.createdAt.storeSeconds))
                """, logger: logger)
            return record
        }
    }

    /// The given version of a workflow, or its latest version when `version` is nil.
    ///
    /// ```swift
    /// let latest = try await store.workflow(name: "hello", version: nil)
    /// ```
    public func workflow(name: String, version: Int?) async throws -> WorkflowRecord? {
        try await translatingErrors {
            try await client.withConnection { connection in
                try await Self.fetchWorkflow(name: name, version: version, on: connection, logger: logger)
            }
        }
    }

    /// Every version of a workflow, oldest first.
    ///
    /// ```swift
    /// let history = try await store.workflowVersions(name: "hello").map(\.version)   // [1, 2, 3]
    /// ```
    public func workflowVersions(name: String) async throws -> [WorkflowRecord] {
        try await rows("SELECT \(unescaped: PostgresRows.workflowColumns) FROM workflows WHERE name = \(name) ORDER BY version")
            .map(PostgresRows.workflow)
    }

    /// The latest version of every workflow, ordered by name.
    ///
    /// ```swift
    /// for workflow in try await store.listWorkflows() { print(workflow.name, workflow.version) }
    /// ```
    public func listWorkflows() async throws -> [WorkflowRecord] {
        try await rows("""
            SELECT DISTINCT ON (name) \(unescaped: PostgresRows.workflowColumns) FROM workflows ORDER BY name, version DESC
            """).map(PostgresRows.workflow)
    }

    /// Deletes one version of a workflow, or all of its versions when `version` is nil; returns how many
    /// were deleted. Executions that ran a deleted version keep their events.
    ///
    /// ```swift
    /// let removed = try await store.deleteWorkflow(name: "hello", version: nil)
    /// ```
    public func deleteWorkflow(name: String, version: Int?) async throws -> Int {
        if let version {
            return try await count("""
                WITH gone AS (DELETE FROM workflows WHERE name = \(name) AND version = \(version) RETURNING 1)
                SELECT COUNT(*) FROM gone
                """)
        }
        return try await count("WITH gone AS (DELETE FROM workflows WHERE name = \(name) RETURNING 1) SELECT COUNT(*) FROM gone")
    }

    static func fetchWorkflow(name: String, version: Int?, on connection: PostgresConnection, logger: Logger) async throws -> WorkflowRecord? {
        let query: PostgresQuery
        if let version {
            query = "SELECT \(unescaped: PostgresRows.workflowColumns) FROM workflows WHERE name = \(name) AND version = \(version)"
        } else {
            query = """
                SELECT \(unescaped: PostgresRows.workflowColumns) FROM workflows WHERE name = \(name) ORDER BY version DESC LIMIT 1
                """
        }
        return try await connection.query(query, logger: logger).collect().first.map(PostgresRows.workflow)
    }
}
