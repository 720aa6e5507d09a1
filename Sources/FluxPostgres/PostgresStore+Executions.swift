import FluxCore
import Foundation
import PostgresNIO

extension PostgresStore {
    /// Inserts a new execution and its first events in one transaction.
    ///
    /// ```swift
    /// try await store.createExecution(ExecutionRecord(id: ExecutionRecord.newID(), workflowName: "hello",
    ///                                                 workflowVersion: 1, state: .created, input: ["name": "World"]), events: [])
    /// ```
    ///
    /// - Throws: ``StoreError/duplicateExecution(_:)`` when the id exists.
    public func createExecution(_ record: ExecutionRecord, events: [ExecutionEvent]) async throws {
        // One statement (so one round trip and its own transaction): the row, then its events.
        let query: PostgresQuery = """
            WITH created AS (
                INSERT INTO executions (\(unescaped: PostgresRows.executionColumns))
                VALUES (\(record.id), \(record.workflowName), \(record.workflowVersion), \(record.state.rawValue),
                        \(record.input.canonicalJSON), \(record.output.canonicalJSON), \(record.owner), \(record.claimGeneration),
                        \(record.leaseExpiresAt?.storeSeconds), \(events.map(\.sequence).max() ?? 0),
                        \(record.createdAt.storeSeconds), \(record.updatedAt.storeSeconds))
                RETURNING id)
            INSERT INTO execution_events (execution_id, \(unescaped: PostgresRows.eventColumns))
            SELECT created.id, e.* FROM created, unnest(
                \(events.map(\.sequence))::bigint[], \(events.map(\.id))::text[], \(events.map(\.type.rawValue))::text[],
                \(events.map(\.sourceID))::text[], \(events.map(\.name))::text[], \(events.map(\.value.canonicalJSON))::text[],
                \(events.map(\.time.storeSeconds))::float8[]) AS e
            ON CONFLICT (execution_id, sequence) DO NOTHING
            """
        do {
            _ = try await untranslatedRows(query)
        } catch {
            // unique_violation: the events skip conflicts, so only the execution's id can collide.
            if Self.sqlState(of: error) == "23505" { throw StoreError.duplicateExecution(record.id) }
            throw translate(error)
        }
    }

    /// The execution's row, or nil when there is none.
    ///
    /// ```swift
    /// if let record = try await store.execution(id: id) { print(record.state) }
    /// ```
    public func execution(id: String) async throws -> ExecutionRecord? {
        try await rows("SELECT \(unescaped: PostgresRows.executionColumns) FROM executions WHERE id = \(id)")
            .first.map(PostgresRows.execution)
    }

    /// The execution's events with a sequence number greater than `after`, in order (empty for an unknown id).
    ///
    /// ```swift
    /// let all = try await store.events(executionID: id, after: 0)
    /// ```
    public func events(executionID: String, after sequence: Int) async throws -> [ExecutionEvent] {
        try await rows("""
            SELECT \(unescaped: PostgresRows.eventColumns) FROM execution_events
            WHERE execution_id = \(executionID) AND sequence > \(sequence) ORDER BY sequence
            """).map { try PostgresRows.event($0, executionID: executionID) }
    }

    /// Appends events and updates the row in one transaction, in one round trip: the schema's
    /// `flux_commit` function locks the row (`SELECT … FOR UPDATE`), checks the guards, inserts the events
    /// and updates the row, so the guards and the writes see the same row.
    ///
    /// In order: an unknown execution throws ``StoreError/executionNotFound(_:)``; a `claimGeneration`
    /// other than the stored one throws ``StoreError/staleClaim(executionID:)``; a stored state outside
    /// `expectedStates` returns `applied == false` and writes nothing. Otherwise events whose sequence is
    /// already stored are skipped (`ON CONFLICT DO NOTHING`), and the row is updated as asked.
    ///
    /// ```swift
    /// let outcome = try await store.commit(ExecutionCommit(executionID: id, events: [done], state: .completed,
    ///                                                      output: result, claimGeneration: generation, releaseOwnership: true))
    /// ```
    public func commit(_ commit: ExecutionCommit) async throws -> CommitOutcome {
        let id = commit.executionID
        let events = commit.events
        let result = try await rows("""
            SELECT o_found, o_state, o_generation, o_applied FROM flux_commit(
                \(id), \(commit.claimGeneration), \(commit.expectedStates.map { $0.map(\.rawValue).sorted() }), \(commit.state?.rawValue),
                \(commit.output?.canonicalJSON), \(commit.releaseOwnership), \(Date().storeSeconds),
                \(events.map(\.sequence)), \(events.map(\.id)), \(events.map(\.type.rawValue)), \(events.map(\.sourceID)),
                \(events.map(\.name)), \(events.map(\.value.canonicalJSON)), \(events.map(\.time.storeSeconds)))
            """)
        guard let row = result.first else { throw StoreError.unavailable("flux_commit returned no row for \(id)") }
        let r = PostgresRowReader(row, table: "executions", key: id)
        guard try r.bool(0, "found") else { throw StoreError.executionNotFound(id) }
        if let expected = commit.claimGeneration, try r.int(2, "claim_generation") != expected {
            throw StoreError.staleClaim(executionID: id)
        }
        return CommitOutcome(applied: try r.bool(3, "applied"), state: try r.state(1, "state"))
    }

    /// A page of executions, newest first by `(created_at, id)`; `limit` is clamped to 1...1000. The
    /// cursors are the SQLite store's.
    ///
    /// ```swift
    /// var page = try await store.listExecutions(ExecutionQuery(workflowName: "hello", limit: 20))
    /// while let cursor = page.nextCursor { page = try await store.listExecutions(ExecutionQuery(workflowName: "hello", limit: 20, cursor: cursor)) }
    /// ```
    ///
    /// - Throws: ``InvalidCursorError`` when `cursor` is not a `nextCursor` a store issued.
    public func listExecutions(_ query: ExecutionQuery) async throws -> ExecutionPage {
        let limit = query.clampedLimit
        let after = try query.cursor.map(ExecutionCursor.init(decoding:))
        var conditions: [String] = []
        var binds = PostgresBindings()
        if let name = query.workflowName {
            binds.append(name)
            conditions.append("workflow_name = $\(binds.count)")
        }
        if let state = query.state {
            binds.append(state.rawValue)
            conditions.append("state = $\(binds.count)")
        }
        if let after {
            binds.append(after.createdAt)
            binds.append(after.id)
            conditions.append("(created_at, id) < ($\(binds.count - 1), $\(binds.count))")
        }
        binds.append(limit + 1)
        let whereClause = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        let records = try await rows(PostgresQuery(unsafeSQL: """
            SELECT \(PostgresRows.executionColumns) FROM executions \(whereClause)
            ORDER BY created_at DESC, id DESC LIMIT $\(binds.count)
            """, binds: binds)).map(PostgresRows.execution)
        return ExecutionPage(fetched: records, limit: limit)
    }

    /// Executions in one of `states`, oldest first; at most `limit` of them (none when `limit` < 1).
    ///
    /// ```swift
    /// let orphans = try await store.executions(inStates: [.claimed, .running], limit: 100)
    /// ```
    public func executions(inStates states: Set<ExecutionState>, limit: Int) async throws -> [ExecutionRecord] {
        guard !states.isEmpty, limit > 0 else { return [] }
        return try await rows("""
            SELECT \(unescaped: PostgresRows.executionColumns) FROM executions
            WHERE state = ANY(\(states.map(\.rawValue).sorted())) ORDER BY created_at, id LIMIT \(limit)
            """).map(PostgresRows.execution)
    }

    /// Takes ownership of an execution if its claim generation is still `expectedGeneration` and its state
    /// is in `fromStates`: one conditional `UPDATE`, so of concurrent claimers exactly one matches the row
    /// (the others wait for its lock, re-check, and match nothing). Returns the new row, or nil.
    ///
    /// ```swift
    /// guard let mine = try await store.claim(executionID: id, expectedGeneration: record.claimGeneration,
    ///                                        fromStates: [.created, .scheduled], owner: "host:123:1",
    ///                                        leaseExpiresAt: .now + 30, newState: .claimed) else { return }
    /// ```
    public func claim(executionID: String, expectedGeneration: Int, fromStates: Set<ExecutionState>,
                      owner: String, leaseExpiresAt: Date, newState: ExecutionState?) async throws -> ExecutionRecord? {
        guard !fromStates.isEmpty else { return nil }
        return try await rows("""
            UPDATE executions
            SET claim_generation = claim_generation + 1, owner = \(owner), lease_expires_at = \(leaseExpiresAt.storeSeconds),
                state = COALESCE(\(newState?.rawValue), state), updated_at = \(Date().storeSeconds)
            WHERE id = \(executionID) AND claim_generation = \(expectedGeneration)
              AND state = ANY(\(fromStates.map(\.rawValue).sorted()))
            RETURNING \(unescaped: PostgresRows.executionColumns)
            """).first.map(PostgresRows.execution)
    }

    /// Picks and claims the oldest execution in `fromStates` that nobody holds, in one statement: the
    /// candidate is locked with `FOR UPDATE SKIP LOCKED`, so concurrent claimers (other threads, replicas
    /// or workers) each take a different row instead of waiting for one another.
    ///
    /// ```swift
    /// let work = try await store.claimNext(fromStates: [.created], owner: "worker-1",
    ///                                      leaseExpiresAt: .now + 30, newState: .claimed, now: .now)
    /// ```
    public func claimNext(fromStates: Set<ExecutionState>, owner: String, leaseExpiresAt: Date, newState: ExecutionState?,
                          now: Date) async throws -> ExecutionRecord? {
        guard !fromStates.isEmpty else { return nil }
        return try await rows("""
            UPDATE executions
            SET claim_generation = claim_generation + 1, owner = \(owner), lease_expires_at = \(leaseExpiresAt.storeSeconds),
                state = COALESCE(\(newState?.rawValue), state), updated_at = \(Date().storeSeconds)
            WHERE id = (
                SELECT id FROM executions
                WHERE state = ANY(\(fromStates.map(\.rawValue).sorted()))
                  AND (owner IS NULL OR lease_expires_at IS NULL OR lease_expires_at < \(now.storeSeconds))
                ORDER BY created_at, id LIMIT 1
                FOR UPDATE SKIP LOCKED)
            RETURNING \(unescaped: PostgresRows.executionColumns)
            """).first.map(PostgresRows.execution)
    }

    /// Extends the lease of every execution `owner` holds; returns how many it touched. A heartbeat:
    /// `updated_at` is left alone, and no change is announced.
    ///
    /// ```swift
    /// let held = try await store.renewLeases(owner: "host:123:1", until: .now + 30)
    /// ```
    public func renewLeases(owner: String, until: Date) async throws -> Int {
        try await count("""
            WITH touched AS (UPDATE executions SET lease_expires_at = \(until.storeSeconds) WHERE owner = \(owner) RETURNING 1)
            SELECT COUNT(*) FROM touched
            """)
    }

    /// Moves an execution from one of `fromStates` to `to` without appending events. Returns the row after
    /// the attempt (unchanged when its state was not in `fromStates`), or nil for an unknown id.
    ///
    /// ```swift
    /// let after = try await store.transition(executionID: id, fromStates: [.running, .paused], to: .cancelling)
    /// ```
    public func transition(executionID: String, fromStates: Set<ExecutionState>, to: ExecutionState) async throws -> ExecutionRecord? {
        if !fromStates.isEmpty, let moved = try await rows("""
            UPDATE executions SET state = \(to.rawValue), updated_at = \(Date().storeSeconds)
            WHERE id = \(executionID) AND state = ANY(\(fromStates.map(\.rawValue).sorted()))
            RETURNING \(unescaped: PostgresRows.executionColumns)
            """).first {
            return try PostgresRows.execution(moved)
        }
        return try await execution(id: executionID)
    }

    /// Number of executions in each state; states without executions are absent.
    ///
    /// ```swift
    /// let running = try await store.countExecutionsByState()[.running] ?? 0
    /// ```
    public func countExecutionsByState() async throws -> [ExecutionState: Int] {
        var counts: [ExecutionState: Int] = [:]
        for row in try await rows("SELECT state, COUNT(*) FROM executions GROUP BY state") {
            let r = PostgresRowReader(row, table: "executions", key: "(count by state)")
            counts[try r.state(0, "state")] = try r.int(1, "count")
        }
        return counts
    }

    // MARK: - Shared by the operations above

    /// The single number a `SELECT COUNT(*)` returns.
    func count(_ query: PostgresQuery) async throws -> Int {
        guard let row = try await rows(query).first else { return 0 }
        return try PostgresRowReader(row, table: "(count)", key: "?").int(0, "count")
    }
}
