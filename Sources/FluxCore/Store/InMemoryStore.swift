import Foundation
import Synchronization

/// A ``FluxStore`` that keeps everything in memory: for transient runs that need no durability, and
/// for tests of the engine that do not need a database. Nothing survives the process.
///
/// ```swift
/// let engine = FluxEngine(store: InMemoryStore())
/// ```
public final class InMemoryStore: FluxStore, Sendable {
    private struct State {
        var executions: [String: ExecutionRecord] = [:]
        var events: [String: [ExecutionEvent]] = [:]
        var workflows: [String: [WorkflowRecord]] = [:]
        var cache: [String: JSONValue] = [:]
        var secrets: [String: SealedSecret] = [:]
        var lineages: [String: CallLineage] = [:]
        var descendants: [String: Int] = [:]
    }

    private let state = Mutex(State())

    public init() {}

    // MARK: Executions

    public func createExecution(_ record: ExecutionRecord, events: [ExecutionEvent]) async throws {
        try state.withLock { s in
            guard s.executions[record.id] == nil else { throw StoreError.duplicateExecution(record.id) }
            var r = record
            r.lastSequence = max(record.lastSequence, events.last?.sequence ?? 0)
            s.executions[record.id] = r
            s.events[record.id] = events
        }
    }

    public func execution(id: String) async throws -> ExecutionRecord? {
        state.withLock { $0.executions[id] }
    }

    public func events(executionID: String, after sequence: Int) async throws -> [ExecutionEvent] {
        state.withLock { ($0.events[executionID] ?? []).filter { $0.sequence > sequence } }
    }

    public func commit(_ commit: ExecutionCommit) async throws -> CommitOutcome {
        try state.withLock { s in
            guard var record = s.executions[commit.executionID] else { throw StoreError.executionNotFound(commit.executionID) }
            if let generation = commit.claimGeneration, generation != record.claimGeneration {
                throw StoreError.staleClaim(executionID: commit.executionID)
            }
            if let expected = commit.expectedStates, !expected.contains(record.state) {
                return CommitOutcome(applied: false, state: record.state)
            }
            // Taken out of the dictionary so that appending does not copy the whole log (events arrive in order,
            // so a commit costs its own events only; a retried or out-of-order event is placed by binary search).
            var log = s.events.removeValue(forKey: commit.executionID) ?? []
            for event in commit.events {
                guard let last = log.last, event.sequence <= last.sequence else {
                    log.append(event)
                    continue
                }
                var low = 0, high = log.count
                while low < high {
                    let mid = (low + high) / 2
                    if log[mid].sequence < event.sequence { low = mid + 1 } else { high = mid }
                }
                if log[low].sequence != event.sequence { log.insert(event, at: low) }
            }
            s.events[commit.executionID] = log
            record.lastSequence = log.last?.sequence ?? 0
            if let state = commit.state { record.state = state }
            if let output = commit.output { record.output = output }
            if commit.releaseOwnership {
                record.owner = nil
                record.leaseExpiresAt = nil
            }
            record.updatedAt = Date()
            s.executions[commit.executionID] = record
            return CommitOutcome(applied: true, state: record.state)
        }
    }

    public func listExecutions(_ query: ExecutionQuery) async throws -> ExecutionPage {
        state.withLock { s in
            var all = s.executions.values.filter {
                (query.workflowName == nil || $0.workflowName == query.workflowName) && (query.state == nil || $0.state == query.state)
            }
            all.sort { ($0.createdAt, $0.id) > ($1.createdAt, $1.id) }
            var start = 0
            if let cursor = query.cursor, let i = all.firstIndex(where: { $0.id == cursor }) { start = i + 1 }
            let limit = min(max(query.limit, 1), 1000)
            let page = Array(all.dropFirst(start).prefix(limit))
            let next = start + page.count < all.count ? page.last?.id : nil
            return ExecutionPage(executions: page, nextCursor: next)
        }
    }

    public func executions(inStates states: Set<ExecutionState>, limit: Int) async throws -> [ExecutionRecord] {
        state.withLock { s in
            Array(s.executions.values.filter { states.contains($0.state) }.sorted { $0.createdAt < $1.createdAt }.prefix(limit))
        }
    }

    public func claim(executionID: String, expectedGeneration: Int, fromStates: Set<ExecutionState>, owner: String,
                      leaseExpiresAt: Date, newState: ExecutionState?) async throws -> ExecutionRecord? {
        state.withLock { s in
            guard var record = s.executions[executionID], record.claimGeneration == expectedGeneration,
                  fromStates.contains(record.state) else { return nil }
            record.claimGeneration += 1
            record.owner = owner
            record.leaseExpiresAt = leaseExpiresAt
            if let newState { record.state = newState }
            record.updatedAt = Date()
            s.executions[executionID] = record
            return record
        }
    }

    public func renewLeases(owner: String, until: Date) async throws -> Int {
        state.withLock { s in
            var n = 0
            for (id, record) in s.executions where record.owner == owner {
                s.executions[id]?.leaseExpiresAt = until
                n += 1
            }
            return n
        }
    }

    public func transition(executionID: String, fromStates: Set<ExecutionState>, to: ExecutionState) async throws -> ExecutionRecord? {
        state.withLock { s in
            guard var record = s.executions[executionID] else { return nil }
            if fromStates.contains(record.state) {
                record.state = to
                record.updatedAt = Date()
                s.executions[executionID] = record
            }
            return record
        }
    }

    public func countExecutionsByState() async throws -> [ExecutionState: Int] {
        state.withLock { s in
            var counts: [ExecutionState: Int] = [:]
            for record in s.executions.values { counts[record.state, default: 0] += 1 }
            return counts
        }
    }

    // MARK: Catalog

    public func saveWorkflow(_ draft: WorkflowDraft) async throws -> WorkflowRecord {
        state.withLock { s in
            let versions = s.workflows[draft.name] ?? []
            if let latest = versions.last, latest.contentHash == draft.contentHash { return latest }
            let usedByExecutions = s.executions.values.filter { $0.workflowName == draft.name }.map(\.workflowVersion).max() ?? 0
            let record = WorkflowRecord(
                name: draft.name, version: max(versions.last?.version ?? 0, usedByExecutions) + 1, kind: draft.kind, source: draft.source,
                description: draft.description, inputSchema: draft.inputSchema, contentHash: draft.contentHash, createdAt: Date())
            s.workflows[draft.name, default: []].append(record)
            return record
        }
    }

    public func workflow(name: String, version: Int?) async throws -> WorkflowRecord? {
        state.withLock { s in
            guard let versions = s.workflows[name] else { return nil }
            guard let version else { return versions.last }
            return versions.first { $0.version == version }
        }
    }

    public func workflowVersions(name: String) async throws -> [WorkflowRecord] {
        state.withLock { $0.workflows[name] ?? [] }
    }

    public func listWorkflows() async throws -> [WorkflowRecord] {
        state.withLock { s in s.workflows.values.compactMap(\.last).sorted { $0.name < $1.name } }
    }

    public func deleteWorkflow(name: String, version: Int?) async throws -> Int {
        state.withLock { s in
            guard let versions = s.workflows[name] else { return 0 }
            guard let version else {
                s.workflows[name] = nil
                return versions.count
            }
            let kept = versions.filter { $0.version != version }
            s.workflows[name] = kept.isEmpty ? nil : kept
            return versions.count - kept.count
        }
    }

    // MARK: Cache and secrets

    public func cachedValue(key: String) async throws -> JSONValue? { state.withLock { $0.cache[key] } }
    public func storeCachedValue(_ value: JSONValue, key: String) async throws { state.withLock { $0.cache[key] = value } }
    public func sealedSecret(name: String) async throws -> SealedSecret? { state.withLock { $0.secrets[name] } }
    public func setSealedSecret(_ secret: SealedSecret, name: String) async throws { state.withLock { $0.secrets[name] = secret } }
    public func deleteSecret(name: String) async throws -> Bool { state.withLock { $0.secrets.removeValue(forKey: name) != nil } }
    public func secretNames() async throws -> [String] { state.withLock { $0.secrets.keys.sorted() } }

    // MARK: Call lineage

    public func lineage(executionID: String) async throws -> CallLineage? { state.withLock { $0.lineages[executionID] } }

    public func recordLineage(_ lineage: CallLineage, maxDescendants: Int) async throws -> Bool {
        state.withLock { s in
            if s.lineages[lineage.executionID] != nil { return true }
            guard s.descendants[lineage.rootID, default: 0] < maxDescendants else { return false }
            s.lineages[lineage.executionID] = lineage
            s.descendants[lineage.rootID, default: 0] += 1
            return true
        }
    }
}
