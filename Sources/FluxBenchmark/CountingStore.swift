import FluxCore
import Foundation
import Synchronization

/// Forwards to another store and records, for every write of an execution (`createExecution`, `commit`),
/// how many events it carried.
///
/// The engine commits the writes of one execution one after another (``ExecutionRuntime`` keeps at most one
/// commit in flight), so for a single execution each write is one SQLite transaction: this list is the
/// transaction shape that the raw SQLite baseline replays. The forwarding costs one more protocol call and
/// an uncontended lock per write (well under a microsecond, against 30-100 µs for the transaction).
final class CountingStore: FluxStore, Sendable {
    let base: any FluxStore
    private let writes = Mutex<[Int]>([])

    init(_ base: any FluxStore) {
        self.base = base
    }

    /// Events per write, in order, since the last ``reset()``.
    var eventsPerWrite: [Int] { writes.withLock { $0 } }

    func reset() { writes.withLock { $0.removeAll(keepingCapacity: true) } }

    private func record(_ count: Int) { writes.withLock { $0.append(count) } }

    // MARK: ExecutionStore

    func createExecution(_ record: ExecutionRecord, events: [ExecutionEvent]) async throws {
        try await base.createExecution(record, events: events)
        self.record(events.count)
    }

    func execution(id: String) async throws -> ExecutionRecord? { try await base.execution(id: id) }

    func events(executionID: String, after sequence: Int) async throws -> [ExecutionEvent] {
        try await base.events(executionID: executionID, after: sequence)
    }

    func commit(_ commit: ExecutionCommit) async throws -> CommitOutcome {
        let outcome = try await base.commit(commit)
        record(commit.events.count)
        return outcome
    }

    func listExecutions(_ query: ExecutionQuery) async throws -> ExecutionPage { try await base.listExecutions(query) }

    func executions(inStates states: Set<ExecutionState>, limit: Int) async throws -> [ExecutionRecord] {
        try await base.executions(inStates: states, limit: limit)
    }

    func claim(executionID: String, expectedGeneration: Int, fromStates: Set<ExecutionState>,
               owner: String, leaseExpiresAt: Date, newState: ExecutionState?) async throws -> ExecutionRecord? {
        let claimed = try await base.claim(executionID: executionID, expectedGeneration: expectedGeneration, fromStates: fromStates,
                                           owner: owner, leaseExpiresAt: leaseExpiresAt, newState: newState)
        record(0)
        return claimed
    }

    func renewLeases(owner: String, until: Date) async throws -> Int { try await base.renewLeases(owner: owner, until: until) }

    func transition(executionID: String, fromStates: Set<ExecutionState>, to: ExecutionState) async throws -> ExecutionRecord? {
        let after = try await base.transition(executionID: executionID, fromStates: fromStates, to: to)
        record(0)
        return after
    }

    func countExecutionsByState() async throws -> [ExecutionState: Int] { try await base.countExecutionsByState() }

    // MARK: WorkflowCatalogStore

    func saveWorkflow(_ draft: WorkflowDraft) async throws -> WorkflowRecord { try await base.saveWorkflow(draft) }
    func workflow(name: String, version: Int?) async throws -> WorkflowRecord? { try await base.workflow(name: name, version: version) }
    func workflowVersions(name: String) async throws -> [WorkflowRecord] { try await base.workflowVersions(name: name) }
    func listWorkflows() async throws -> [WorkflowRecord] { try await base.listWorkflows() }
    func deleteWorkflow(name: String, version: Int?) async throws -> Int { try await base.deleteWorkflow(name: name, version: version) }

    // MARK: TaskCacheStore

    func cachedValue(key: String) async throws -> JSONValue? { try await base.cachedValue(key: key) }
    func storeCachedValue(_ value: JSONValue, key: String) async throws { try await base.storeCachedValue(value, key: key) }

    // MARK: SecretStore

    func sealedSecret(name: String) async throws -> SealedSecret? { try await base.sealedSecret(name: name) }
    func setSealedSecret(_ secret: SealedSecret, name: String) async throws { try await base.setSealedSecret(secret, name: name) }
    func deleteSecret(name: String) async throws -> Bool { try await base.deleteSecret(name: name) }
    func secretNames() async throws -> [String] { try await base.secretNames() }
    func lineage(executionID: String) async throws -> CallLineage? { try await base.lineage(executionID: executionID) }
    func recordLineage(_ lineage: CallLineage, maxDescendants: Int) async throws -> Bool {
        try await base.recordLineage(lineage, maxDescendants: maxDescendants)
    }
}

/// A store that keeps nothing: writes succeed at once, reads find nothing. With it the benchmark measures the
/// engine alone (the `-mem` diagnostic cases). A fresh `run` never reads its execution back, so the engine
/// behaves as on a real store. (FluxCore's InMemoryStore is not used for this: its `commit` copies and
/// re-sorts the execution's whole event list, which makes a large map quadratic.)
final class DiscardingStore: FluxStore, Sendable {
    func createExecution(_ record: ExecutionRecord, events: [ExecutionEvent]) async throws {}
    func execution(id: String) async throws -> ExecutionRecord? { nil }
    func events(executionID: String, after sequence: Int) async throws -> [ExecutionEvent] { [] }
    func commit(_ commit: ExecutionCommit) async throws -> CommitOutcome {
        CommitOutcome(applied: true, state: commit.state ?? .running)
    }
    func listExecutions(_ query: ExecutionQuery) async throws -> ExecutionPage { ExecutionPage(executions: [], nextCursor: nil) }
    func executions(inStates states: Set<ExecutionState>, limit: Int) async throws -> [ExecutionRecord] { [] }
    func claim(executionID: String, expectedGeneration: Int, fromStates: Set<ExecutionState>,
               owner: String, leaseExpiresAt: Date, newState: ExecutionState?) async throws -> ExecutionRecord? { nil }
    func renewLeases(owner: String, until: Date) async throws -> Int { 0 }
    func transition(executionID: String, fromStates: Set<ExecutionState>, to: ExecutionState) async throws -> ExecutionRecord? { nil }
    func countExecutionsByState() async throws -> [ExecutionState: Int] { [:] }
    func saveWorkflow(_ draft: WorkflowDraft) async throws -> WorkflowRecord {
        WorkflowRecord(name: draft.name, version: 1, kind: draft.kind, source: draft.source, description: draft.description,
                       inputSchema: draft.inputSchema, contentHash: draft.contentHash, createdAt: Date())
    }
    func workflow(name: String, version: Int?) async throws -> WorkflowRecord? { nil }
    func workflowVersions(name: String) async throws -> [WorkflowRecord] { [] }
    func listWorkflows() async throws -> [WorkflowRecord] { [] }
    func deleteWorkflow(name: String, version: Int?) async throws -> Int { 0 }
    func cachedValue(key: String) async throws -> JSONValue? { nil }
    func storeCachedValue(_ value: JSONValue, key: String) async throws {}
    func sealedSecret(name: String) async throws -> SealedSecret? { nil }
    func setSealedSecret(_ secret: SealedSecret, name: String) async throws {}
    func deleteSecret(name: String) async throws -> Bool { false }
    func secretNames() async throws -> [String] { [] }
    func lineage(executionID: String) async throws -> CallLineage? { nil }
    func recordLineage(_ lineage: CallLineage, maxDescendants: Int) async throws -> Bool { true }
}
