import FluxCore
import Foundation
import GRDB

extension SQLiteStore {
    /// Inserts a new execution and its first events in one transaction.
    ///
    /// The row's `last_sequence` is the highest sequence among `events` (0 without events), whatever
    /// `record.lastSequence` says.
    ///
    /// ```swift
    /// let record = ExecutionRecord(id: ExecutionRecord.newID(), workflowName: "hello", workflowVersion: 1,
    ///                              state: .created, input: ["name": "World"])
    /// try await store.createExecution(record, events: [])
    /// ```
    ///
    /// - Throws: ``StoreError/duplicateExecution(_:)`` when the id exists.
    public func createExecution(_ record: ExecutionRecord, events: [ExecutionEvent]) async throws {
        // Serialized before the write: the single writer is held for the inserts, not for the JSON (a large input
        // took most of a transaction's time).
        let input = record.input.canonicalJSON, output = record.output.canonicalJSON
        let values = events.map(\.value.canonicalJSON)
        try await write(rows: events.count + 1) { db in
            do {
                let insert = try DirectStatement(db, sql: """
                    INSERT INTO executions (\(Rows.executionColumns))
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """)
                insert.bind(1, record.id)
                insert.bind(2, record.workflowName)
                insert.bind(3, record.workflowVersion)
                insert.bind(4, record.state.rawValue)
                insert.bind(5, input)
                insert.bind(6, output)
                insert.bind(7, record.owner)
                insert.bind(8, record.claimGeneration)
                insert.bind(9, record.leaseExpiresAt?.storeSeconds)
                insert.bind(10, events.map(\.sequence).max() ?? 0)
                insert.bind(11, record.createdAt.storeSeconds)
                insert.bind(12, record.updatedAt.storeSeconds)
                try insert.run()
            } catch let error as DatabaseError where error.extendedResultCode == .SQLITE_CONSTRAINT_PRIMARYKEY {
                throw StoreError.duplicateExecution(record.id)
            }
            try Self.insert(events, values: values, executionID: record.id, db)
        }
        changeFeed.publish(ExecutionChange(executionID: record.id, state: record.state,
                                           lastSequence: events.map(\.sequence).max() ?? 0))
    }

    /// The execution's row, or nil when there is none.
    ///
    /// ```swift
    /// if let record = try await store.execution(id: id) { print(record.state) }
    /// ```
    public func execution(id: String) async throws -> ExecutionRecord? {
        try await read { db in try Self.fetchExecution(id: id, db) }
    }

    /// The execution's events with a sequence number greater than `after`, in order (empty for an unknown id).
    ///
    /// ```swift
    /// let all = try await store.events(executionID: id, after: 0)
    /// ```
    public func events(executionID: String, after sequence: Int) async throws -> [ExecutionEvent] {
        try await read { db in
            let cursor = try Row.fetchCursor(
                db.cachedStatement(sql: """
                    SELECT \(Rows.eventColumns) FROM execution_events
                    WHERE execution_id = ? AND sequence > ? ORDER BY sequence
                    """),
                arguments: [executionID, sequence])
            var events: [ExecutionEvent] = []
            while let row = try cursor.next() {
                events.append(try Rows.event(row, executionID: executionID))
            }
            return events
        }
    }

    /// Appends events and updates the row in one transaction, batched with concurrent commits.
    ///
    /// In order: an unknown execution throws ``StoreError/executionNotFound(_:)``; a `claimGeneration`
    /// other than the stored one throws ``StoreError/staleClaim(executionID:)``; a stored state outside
    /// `expectedStates` returns `applied == false` and writes nothing. Otherwise events whose sequence is
    /// already stored are skipped (a retried commit is harmless), `last_sequence` becomes the highest
    /// stored sequence, and the state, output, owner and lease are updated as asked.
    ///
    /// ```swift
    /// let outcome = try await store.commit(ExecutionCommit(
    ///     executionID: id, events: [completed], state: .completed, output: result,
    ///     expectedStates: [.running], claimGeneration: generation, releaseOwnership: true))
    /// if !outcome.applied { print("not running any more: \(outcome.state)") }
    /// ```
    public func commit(_ commit: ExecutionCommit) async throws -> CommitOutcome {
        let values = commit.events.map(\.value.canonicalJSON), output = commit.output?.canonicalJSON
        let (outcome, change) = try await write(rows: commit.events.count + 1) { db in
            try Self.apply(commit, values: values, output: output, db)
        }
        if let change { changeFeed.publish(change) }
        return outcome
    }

    /// A page of executions, newest first by `(created_at, id)`.
    ///
    /// `limit` is clamped to 1...1000. Pass the page's `nextCursor` to get the next page.
    ///
    /// ```swift
    /// var page = try await store.listExecutions(ExecutionQuery(workflowName: "hello", limit: 20))
    /// while let cursor = page.nextCursor {
    ///     page = try await store.listExecutions(ExecutionQuery(workflowName: "hello", limit: 20, cursor: cursor))
    /// }
    /// ```
    ///
    /// - Throws: ``InvalidCursorError`` when `cursor` is not a `nextCursor` this store issued.
    public func listExecutions(_ query: ExecutionQuery) async throws -> ExecutionPage {
        let limit = query.clampedLimit
        let after = try query.cursor.map(ExecutionCursor.init(decoding:))
        return try await read { db in
            var conditions: [String] = []
            var arguments = StatementArguments()
            if let name = query.workflowName {
                conditions.append("workflow_name = ?")
                arguments += [name]
            }
            if let state = query.state {
                conditions.append("state = ?")
                arguments += [state.rawValue]
                if !state.isTerminal { conditions.append(StoreMigrations.unsettledCondition) }
            }
            if let after {
                conditions.append("(created_at, id) < (?, ?)")
                arguments += [after.createdAt, after.id]
            }
            arguments += [limit + 1]
            let whereClause = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
            let records = try Row.fetchAll(
                db.cachedStatement(sql: """
                    SELECT \(Rows.executionColumns) FROM executions \(whereClause)
                    ORDER BY created_at DESC, id DESC LIMIT ?
                    """),
                arguments: arguments
            ).map(Rows.execution)
            return ExecutionPage(fetched: records, limit: limit)
        }
    }

    /// Executions in one of `states`, oldest first; at most `limit` of them (none when `limit` < 1).
    ///
    /// ```swift
    /// let orphans = try await store.executions(inStates: [.claimed, .running], limit: 100)
    /// ```
    public func executions(inStates states: Set<ExecutionState>, limit: Int) async throws -> [ExecutionRecord] {
        guard !states.isEmpty, limit > 0 else { return [] }
        let names = states.map(\.rawValue).sorted()
        return try await read { db in
            let placeholders = Array(repeating: "?", count: names.count).joined(separator: ", ")
            var arguments = StatementArguments(names)
            arguments += [limit]
            let unsettledOnly = states.allSatisfy { !$0.isTerminal } ? " AND \(StoreMigrations.unsettledCondition)" : ""
            return try Row.fetchAll(
                db.cachedStatement(sql: """
                    SELECT \(Rows.executionColumns) FROM executions WHERE state IN (\(placeholders))\(unsettledOnly)
                    ORDER BY created_at, id LIMIT ?
                    """),
                arguments: arguments
            ).map(Rows.execution)
        }
    }

    /// Takes ownership of an execution if its claim generation is still `expectedGeneration` and its state
    /// is in `fromStates`: increments the generation, sets owner and lease, optionally moves the state.
    /// Returns the new row, or nil when the execution is unknown or someone else won.
    ///
    /// ```swift
    /// guard let mine = try await store.claim(executionID: id, expectedGeneration: record.claimGeneration,
    ///                                        fromStates: [.created, .scheduled], owner: "host:123:1",
    ///                                        leaseExpiresAt: .now + 30, newState: .claimed) else { return }
    /// ```
    public func claim(executionID: String, expectedGeneration: Int, fromStates: Set<ExecutionState>,
                      owner: String, leaseExpiresAt: Date, newState: ExecutionState?) async throws -> ExecutionRecord? {
        let claimed = try await write { db -> ExecutionRecord? in
            guard let record = try Self.fetchExecution(id: executionID, db),
                  record.claimGeneration == expectedGeneration, fromStates.contains(record.state)
            else { return nil }
            return try Self.take(record, owner: owner, leaseExpiresAt: leaseExpiresAt, newState: newState, db)
        }
        if let claimed { changeFeed.publish(claimed.change) }
        return claimed
    }

    /// Claims the oldest execution in `fromStates` that nobody holds, in one write transaction (SQLite has
    /// one writer at a time, so no other claimer can pick the same row in between).
    ///
    /// ```swift
    /// let work = try await store.claimNext(fromStates: [.created], owner: "host:123:1",
    ///                                      leaseExpiresAt: .now + 30, newState: .claimed, now: .now)
    /// ```
    public func claimNext(fromStates: Set<ExecutionState>, owner: String, leaseExpiresAt: Date, newState: ExecutionState?,
                          now: Date) async throws -> ExecutionRecord? {
        guard !fromStates.isEmpty else { return nil }
        let names = fromStates.map(\.rawValue).sorted()
        let claimed = try await write { db -> ExecutionRecord? in
            let placeholders = Array(repeating: "?", count: names.count).joined(separator: ", ")
            var arguments = StatementArguments(names)
            arguments += [now.storeSeconds]
            guard let record = try Row.fetchOne(
                db.cachedStatement(sql: """
                    SELECT \(Rows.executionColumns) FROM executions
                    WHERE state IN (\(placeholders)) AND (owner IS NULL OR lease_expires_at IS NULL OR lease_expires_at < ?)
                    ORDER BY created_at, id LIMIT 1
                    """),
                arguments: arguments
            ).map(Rows.execution) else { return nil }
            return try Self.take(record, owner: owner, leaseExpiresAt: leaseExpiresAt, newState: newState, db)
        }
        if let claimed { changeFeed.publish(claimed.change) }
        return claimed
    }

    /// The write of a successful claim: generation + 1, owner, lease, optional new state.
    private static func take(_ record: ExecutionRecord, owner: String, leaseExpiresAt: Date, newState: ExecutionState?,
                             _ db: Database) throws -> ExecutionRecord {
        var record = record
        record.claimGeneration += 1
        record.owner = owner
        record.leaseExpiresAt = leaseExpiresAt.asStored
        record.state = newState ?? record.state
        record.updatedAt = Date().asStored
        try db.cachedStatement(sql: """
            UPDATE executions
            SET claim_generation = ?, owner = ?, lease_expires_at = ?, state = ?, updated_at = ?
            WHERE id = ?
            """).execute(arguments: [
                record.claimGeneration, owner, leaseExpiresAt.storeSeconds, record.state.rawValue,
                record.updatedAt.storeSeconds, record.id,
            ])
        return record
    }

    /// Extends the lease of every execution `owner` holds; returns how many it touched.
    /// A heartbeat: `updated_at` is left alone.
    ///
    /// ```swift
    /// let held = try await store.renewLeases(owner: "host:123:1", until: .now + 30)
    /// ```
    public func renewLeases(owner: String, until: Date) async throws -> Int {
        try await write { db in
            try db.cachedStatement(sql: "UPDATE executions SET lease_expires_at = ? WHERE owner = ?")
                .execute(arguments: [until.storeSeconds, owner])
            return db.changesCount
        }
    }

    /// Moves an execution from one of `fromStates` to `to` without appending events. Returns the row after
    /// the attempt (unchanged when its state was not in `fromStates`), or nil for an unknown id.
    ///
    /// ```swift
    /// let after = try await store.transition(executionID: id, fromStates: [.running, .paused], to: .cancelling)
    /// ```
    public func transition(executionID: String, fromStates: Set<ExecutionState>, to: ExecutionState) async throws -> ExecutionRecord? {
        let (record, moved) = try await write { db -> (ExecutionRecord?, Bool) in
            guard var record = try Self.fetchExecution(id: executionID, db) else { return (nil, false) }
            guard fromStates.contains(record.state) else { return (record, false) }
            record.state = to
            record.updatedAt = Date().asStored
            try db.cachedStatement(sql: "UPDATE executions SET state = ?, updated_at = ? WHERE id = ?")
                .execute(arguments: [to.rawValue, record.updatedAt.storeSeconds, executionID])
            return (record, true)
        }
        if moved, let record { changeFeed.publish(record.change) }
        return record
    }

    /// Number of executions in each state; states without executions are absent.
    ///
    /// ```swift
    /// let running = try await store.countExecutionsByState()[.running] ?? 0
    /// ```
    public func countExecutionsByState() async throws -> [ExecutionState: Int] {
        try await read { db in
            var counts: [ExecutionState: Int] = [:]
            let cursor = try Row.fetchCursor(db.cachedStatement(sql: "SELECT state, COUNT(*) FROM executions GROUP BY state"))
            while let row = try cursor.next() {
                let r = RowReader(row: row, table: "executions", key: "(count by state)")
                counts[try r.state(0, "state")] = try r.int(1, "COUNT(*)")
            }
            return counts
        }
    }

    // MARK: - Shared by the operations above

    /// The UPDATE of ``apply(_:_:)``, indexed by [sets the state][releases ownership].
    private static let commitUpdateSQL: [[String]] = [false, true].map { setsState in
        [false, true].map { releases in
            "UPDATE executions SET " + (setsState ? "state = ?, " : "")
                + "output = COALESCE(?, output), last_sequence = MAX(last_sequence, ?), updated_at = ?"
                + (releases ? ", owner = NULL, lease_expires_at = NULL" : "")
                + " WHERE id = ?"
        }
    }

    static func fetchExecution(id: String, _ db: Database) throws -> ExecutionRecord? {
        try Row.fetchOne(
            db.cachedStatement(sql: "SELECT \(Rows.executionColumns) FROM executions WHERE id = ?"),
            arguments: [id]
        ).map(Rows.execution)
    }

    /// Inserts `events`, whose values are `values` (their canonical JSON, in order).
    static func insert(_ events: [ExecutionEvent], values: [String], executionID: String, _ db: Database) throws {
        guard !events.isEmpty else { return }
        let insert = try DirectStatement(db, sql: """
            INSERT OR IGNORE INTO execution_events (execution_id, \(Rows.eventColumns))
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            """)
        for (event, value) in zip(events, values) {
            insert.bind(1, executionID)
            insert.bind(2, event.sequence)
            insert.bind(3, event.id)
            insert.bind(4, event.type.rawValue)
            insert.bind(5, event.sourceID)
            insert.bind(6, event.name)
            insert.bind(7, value)
            insert.bind(8, event.time.storeSeconds)
            try insert.run()
        }
    }

    /// The body of ``commit(_:)``: validates against the stored row before writing anything. `values` and `output`
    /// are the canonical JSON of the events' values and of the output. Also returns the change to publish (nil when
    /// nothing was written).
    static func apply(_ commit: ExecutionCommit, values: [String], output: String?, _ db: Database) throws -> (CommitOutcome, ExecutionChange?) {
        let id = commit.executionID
        guard let row = try Row.fetchOne(
            db.cachedStatement(sql: "SELECT state, claim_generation, last_sequence FROM executions WHERE id = ?"),
            arguments: [id])
        else { throw StoreError.executionNotFound(id) }
        let r = RowReader(row: row, table: "executions", key: id)
        let current = try r.state(0, "state")
        if let expected = commit.claimGeneration, try r.int(1, "claim_generation") != expected {
            throw StoreError.staleClaim(executionID: id)
        }
        if let expectedStates = commit.expectedStates, !expectedStates.contains(current) {
            return (CommitOutcome(applied: false, state: current), nil)
        }

        try insert(commit.events, values: values, executionID: id, db)
        // Setting `state` rewrites its index entry even when the value is the same, so leave it out then.
        let state = commit.state ?? current
        let changesState = state != current
        var arguments: StatementArguments = changesState ? [state.rawValue] : []
        arguments += [output, commit.events.map(\.sequence).max() ?? 0, Date().storeSeconds, id]
        try db.cachedStatement(sql: commitUpdateSQL[changesState ? 1 : 0][commit.releaseOwnership ? 1 : 0])
            .execute(arguments: arguments)
        // Announced like PostgreSQL's trigger does: only a new state or new events are a change.
        let storedSequence = try r.int(2, "last_sequence")
        let lastSequence = max(storedSequence, commit.events.map(\.sequence).max() ?? 0)
        let change = changesState || lastSequence != storedSequence
            ? ExecutionChange(executionID: id, state: state, lastSequence: lastSequence) : nil
        return (CommitOutcome(applied: true, state: state), change)
    }
}
