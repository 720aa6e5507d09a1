import FluxCore
import FluxStore
import Foundation
import GRDB
import Testing

@Suite("Files, migrations and damage")
struct DurabilityTests {
    @Test func aReopenedStoreSeesEverything() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let record = makeRecord(state: .running)
        let events = (1...5).map { makeEvent($0) }
        do {
            let store = try SQLiteStore(path: dir.databasePath, synchronous: .full)
            try await store.createExecution(record, events: Array(events[0..<2]))
            _ = try await store.commit(ExecutionCommit(executionID: record.id, events: Array(events[2...]),
                                                       state: .completed, output: ["ok": true]))
            _ = try await store.saveWorkflow(WorkflowDraft(name: "greeter", kind: .swift, source: "", contentHash: "x"))
            try await store.storeCachedValue([1, 2], key: "cache")
            try await store.setSecretCiphertext(Data([1, 2, 3]), name: "S")
        }
        let reopened = try SQLiteStore(path: dir.databasePath)
        let row = try #require(try await reopened.execution(id: record.id))
        #expect(row.state == .completed && row.output == ["ok": true] && row.lastSequence == 5)
        #expect(sameEvents(try await reopened.events(executionID: record.id, after: 0), events))
        #expect(try await reopened.workflow(name: "greeter", version: nil)?.version == 1)
        #expect(try await reopened.cachedValue(key: "cache") == [1, 2])
        #expect(try await reopened.secretCiphertext(name: "S") == Data([1, 2, 3]))
        #expect(try reopened.counts() == (executions: 1, events: 5))
    }

    @Test func migrationsRunOnceAndReopeningIsHarmless() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let first = try SQLiteStore(path: dir.databasePath)
        try await first.createExecution(makeRecord(), events: [makeEvent(1)])
        #expect(try first.appliedMigrations() == Self.allMigrations)
        for _ in 0..<3 {
            let again = try SQLiteStore(path: dir.databasePath)
            #expect(try again.appliedMigrations() == Self.allMigrations)
            #expect(try again.counts() == (executions: 1, events: 1))
        }
        let rows = try await DatabaseQueue(path: dir.databasePath).read { db in
            try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM grdb_migrations") ?? -1
        }
        #expect(rows == Self.allMigrations.count)
    }

    static let allMigrations = ["v1_initial_schema", "v2_index_only_unsettled_states", "v3_workers", "v4_secret_grants", "v5_call_lineage"]

    /// Finished executions are most rows and are never looked up by state in a hurry: only unsettled ones
    /// are indexed by state, and the store's recovery query can use that partial index.
    @Test func onlyUnsettledExecutionsAreIndexedByState() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let store = try SQLiteStore(path: dir.databasePath)
        for state in [ExecutionState.completed, .running, .failed, .paused, .created] {
            try await store.createExecution(makeRecord(state: state), events: [])
        }
        #expect(Set(try await store.executions(inStates: [.running, .paused], limit: 10).map(\.state)) == [.running, .paused])
        #expect(try await store.executions(inStates: [.completed], limit: 10).map(\.state) == [.completed])
        #expect(try await store.listExecutions(ExecutionQuery(state: .created)).executions.map(\.state) == [.created])
        let (indexes, plan) = try await DatabaseQueue(path: dir.databasePath).read { db in
            let indexes = try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'executions'")
            let plan = try Row.fetchAll(db, sql: """
                EXPLAIN QUERY PLAN SELECT * FROM executions WHERE state IN ('RUNNING', 'PAUSED')
                AND state NOT IN ('COMPLETED', 'FAILED', 'CANCELLED') ORDER BY created_at, id
                """).map { $0["detail"] as String? ?? "" }.joined(separator: "; ")
            return (indexes, plan)
        }
        #expect(indexes.contains("executions_unsettled") && !indexes.contains("executions_by_state"))
        #expect(plan.contains("executions_unsettled"), "plan: \(plan)")
    }

    @Test func storesOpenedConcurrentlyOnANewFileBothMigrate() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = dir.databasePath
        let stores = try await withThrowingTaskGroup(of: SQLiteStore.self) { group in
            for _ in 0..<4 { group.addTask { try SQLiteStore(path: path) } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        for store in stores { #expect(try store.appliedMigrations() == Self.allMigrations) }
    }

    @Test func walModeAndSynchronousAreConfigured() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        _ = try SQLiteStore(path: dir.databasePath, synchronous: .full)
        let mode = try await DatabaseQueue(path: dir.databasePath).read { db in
            try String.fetchOne(db, sql: "PRAGMA journal_mode")
        }
        #expect(mode == "wal")
    }

    @Test func integrityCheckSaysOK() async throws {
        let store = try SQLiteStore.temporary()
        try await store.createExecution(makeRecord(), events: [makeEvent(1), makeEvent(2)])
        #expect(try store.integrityCheck() == "ok")
    }

    @Test func aCorruptJSONRowIsReportedNotFatal() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let store = try SQLiteStore(path: dir.databasePath)
        let good = makeRecord()
        try await store.createExecution(good, events: [makeEvent(1)])

        let raw = try DatabaseQueue(path: dir.databasePath)
        try await raw.write { db in
            try db.execute(sql: """
                INSERT INTO executions (id, workflow_name, workflow_version, state, input, output, claim_generation,
                                        last_sequence, created_at, updated_at)
                VALUES ('bad-json', 'hello', 1, 'RUNNING', '{not json', 'null', 0, 0, 1.0, 1.0),
                       ('bad-state', 'hello', 1, 'SLEEPING', '{}', 'null', 0, 0, 1.0, 1.0)
                """)
            try db.execute(sql: "UPDATE execution_events SET value = '[1,' WHERE execution_id = ?", arguments: [good.id])
            try db.execute(sql: "INSERT INTO task_cache (key, value, created_at) VALUES ('k', 'nope', 0)")
        }

        for (id, column) in [("bad-json", "input"), ("bad-state", "state")] {
            do {
                _ = try await store.execution(id: id)
                Issue.record("expected StoreError.corrupt for \(id)")
            } catch let StoreError.corrupt(message) {
                #expect(message.contains("executions") && message.contains(id) && message.contains(column))
            }
        }
        do {
            _ = try await store.events(executionID: good.id, after: 0)
            Issue.record("expected StoreError.corrupt for the event")
        } catch let StoreError.corrupt(message) {
            #expect(message.contains("execution_events") && message.contains(good.id))
        }
        await #expect(throws: StoreError.self) { try await store.listExecutions(ExecutionQuery()) }
        await #expect(throws: StoreError.self) { try await store.countExecutionsByState() }
        await #expect(throws: StoreError.self) { try await store.cachedValue(key: "k") }
        // The good row still reads, and commits to the bad-state row are refused, not crashed on.
        #expect(try await store.execution(id: good.id)?.id == good.id)
        await #expect(throws: StoreError.self) {
            try await store.commit(ExecutionCommit(executionID: "bad-state", events: [makeEvent(1)]))
        }
    }

    @Test func aWriterWaitsForAnotherConnectionsTransaction() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let store = try SQLiteStore(path: dir.databasePath)
        let record = makeRecord()
        try await store.createExecution(record, events: [])

        // Another connection (as another process would) holds the write lock for a while.
        var configuration = Configuration()
        configuration.busyMode = .timeout(5)
        let other = try DatabaseQueue(path: dir.databasePath, configuration: configuration)
        let held = Flag()
        let holding = Task.detached {
            try other.inDatabase { db in
                try db.execute(sql: "BEGIN IMMEDIATE")
                try db.execute(sql: "UPDATE executions SET workflow_name = 'held' WHERE id = ?", arguments: [record.id])
                held.set()
                Thread.sleep(forTimeInterval: 0.3)
                try db.execute(sql: "COMMIT")
            }
        }
        // The commit starts once the lock is held (a test too slow to get there within 0.3 s finds it free: the
        // commit then goes first, and lands all the same).
        while !held.isSet { try await Task.sleep(for: .milliseconds(5)) }
        let outcome = try await store.commit(ExecutionCommit(executionID: record.id, events: [makeEvent(1)], state: .running))
        try await holding.value
        #expect(outcome == CommitOutcome(applied: true, state: .running))
        let row = try #require(try await store.execution(id: record.id))
        #expect(row.workflowName == "held" && row.lastSequence == 1)
    }

    @Test func temporaryStoresCleanUpAfterThemselves() async throws {
        var path = ""
        do {
            let store = try SQLiteStore.temporary()
            path = store.path
            try await store.createExecution(makeRecord(), events: [])
            #expect(FileManager.default.fileExists(atPath: path))
        }
        #expect(!FileManager.default.fileExists(atPath: path))
    }
}
