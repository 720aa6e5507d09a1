import Foundation

/// Everything the engine and the service layer keep durably. SQLite (the embedded default) and
/// PostgreSQL implement it; every method is atomic on its own.
public protocol FluxStore: ExecutionStore, WorkflowCatalogStore, TaskCacheStore, SecretStore, CallLineageStore {}

/// Executions and their append-only event logs.
public protocol ExecutionStore: Sendable {
    /// Inserts a new execution and its first events in one transaction.
    /// Throws ``StoreError/duplicateExecution(_:)`` when the id exists.
    func createExecution(_ record: ExecutionRecord, events: [ExecutionEvent]) async throws

    /// The execution's row, or nil when there is none.
    func execution(id: String) async throws -> ExecutionRecord?

    /// The execution's events with a sequence number greater than `after`, in order.
    func events(executionID: String, after sequence: Int) async throws -> [ExecutionEvent]

    /// Appends events and updates the row in one transaction. See ``ExecutionCommit`` for the guards.
    /// Events whose `(execution id, sequence)` is already stored are skipped, so a retried commit is harmless.
    func commit(_ commit: ExecutionCommit) async throws -> CommitOutcome

    /// A page of executions, newest first.
    func listExecutions(_ query: ExecutionQuery) async throws -> ExecutionPage

    /// Executions in one of `states`, oldest first (for recovery and dispatch).
    func executions(inStates states: Set<ExecutionState>, limit: Int) async throws -> [ExecutionRecord]

    /// Takes ownership of an execution atomically: succeeds only while its claim generation is still
    /// `expectedGeneration` and its state is in `fromStates`. Sets the owner and lease, increments the
    /// generation, optionally moves the state, and returns the new row; nil when someone else won.
    func claim(executionID: String, expectedGeneration: Int, fromStates: Set<ExecutionState>,
               owner: String, leaseExpiresAt: Date, newState: ExecutionState?) async throws -> ExecutionRecord?

    /// Picks and claims the oldest execution in `fromStates` that nobody holds (no owner, or a lease that
    /// ended before `now`), as ``claim(executionID:expectedGeneration:fromStates:owner:leaseExpiresAt:newState:)``
    /// would; nil when there is none. Concurrent callers never get the same execution: PostgreSQL skips
    /// rows another claimer has locked (`FOR UPDATE SKIP LOCKED`) instead of waiting for them.
    func claimNext(fromStates: Set<ExecutionState>, owner: String, leaseExpiresAt: Date, newState: ExecutionState?,
                   now: Date) async throws -> ExecutionRecord?

    /// Extends the lease of every execution that `owner` holds; returns how many it touched.
    func renewLeases(owner: String, until: Date) async throws -> Int

    /// Moves an execution from one of `fromStates` to `to` without appending events (used to request
    /// cancellation of an execution that another process runs). Returns the row after the attempt.
    func transition(executionID: String, fromStates: Set<ExecutionState>, to: ExecutionState) async throws -> ExecutionRecord?

    /// Number of executions in each state.
    func countExecutionsByState() async throws -> [ExecutionState: Int]
}

/// One atomic write to an execution.
public struct ExecutionCommit: Sendable {
    public var executionID: String
    /// New events, with sequence numbers following the stored ones.
    public var events: [ExecutionEvent]
    /// The new state, or nil to keep it.
    public var state: ExecutionState?
    /// The new output, or nil to keep it.
    public var output: JSONValue?
    /// When set, the commit is refused (outcome `.applied == false`) unless the stored state is one of these.
    public var expectedStates: Set<ExecutionState>?
    /// When set, the commit throws ``StoreError/staleClaim(executionID:)`` unless the stored generation equals it.
    public var claimGeneration: Int?
    /// When true the owner and lease are cleared (the execution is let go: paused or finished).
    public var releaseOwnership: Bool

    public init(executionID: String, events: [ExecutionEvent] = [], state: ExecutionState? = nil, output: JSONValue? = nil,
                expectedStates: Set<ExecutionState>? = nil, claimGeneration: Int? = nil, releaseOwnership: Bool = false) {
        self.executionID = executionID
        self.events = events
        self.state = state
        self.output = output
        self.expectedStates = expectedStates
        self.claimGeneration = claimGeneration
        self.releaseOwnership = releaseOwnership
    }
}

/// What a commit found and did.
public struct CommitOutcome: Sendable, Hashable {
    /// False when `expectedStates` did not hold and nothing was written.
    public var applied: Bool
    /// The stored state after the commit (a CANCELLING written by another process shows here).
    public var state: ExecutionState

    public init(applied: Bool, state: ExecutionState) {
        self.applied = applied
        self.state = state
    }
}

/// Filters and paging for ``ExecutionStore/listExecutions(_:)``.
public struct ExecutionQuery: Sendable, Hashable {
    public var workflowName: String?
    public var state: ExecutionState?
    public var limit: Int
    /// The `nextCursor` of a previous page.
    public var cursor: String?

    public init(workflowName: String? = nil, state: ExecutionState? = nil, limit: Int = 50, cursor: String? = nil) {
        self.workflowName = workflowName
        self.state = state
        self.limit = limit
        self.cursor = cursor
    }
}

public struct ExecutionPage: Sendable, Hashable {
    public var executions: [ExecutionRecord]
    /// Pass as `cursor` for the next page; nil on the last page.
    public var nextCursor: String?

    public init(executions: [ExecutionRecord], nextCursor: String?) {
        self.executions = executions
        self.nextCursor = nextCursor
    }
}

/// Registered workflows and their versions.
public protocol WorkflowCatalogStore: Sendable {
    /// Stores a new version of `name` unless the latest version has the same `contentHash`, in which case
    /// that version is returned unchanged. Versions start at 1.
    func saveWorkflow(_ draft: WorkflowDraft) async throws -> WorkflowRecord
    /// The given version, or the latest when `version` is nil.
    func workflow(name: String, version: Int?) async throws -> WorkflowRecord?
    /// Every version of `name`, oldest first.
    func workflowVersions(name: String) async throws -> [WorkflowRecord]
    /// The latest version of every workflow, by name.
    func listWorkflows() async throws -> [WorkflowRecord]
    /// Deletes one version, or all versions when `version` is nil; returns how many were deleted.
    func deleteWorkflow(name: String, version: Int?) async throws -> Int
}

/// A workflow to register: the catalog assigns the version.
public struct WorkflowDraft: Sendable, Hashable {
    public var name: String
    public var kind: WorkflowKind
    public var source: String
    public var description: String
    public var inputSchema: JSONValue?
    public var contentHash: String

    public init(name: String, kind: WorkflowKind, source: String, description: String = "", inputSchema: JSONValue? = nil, contentHash: String) {
        self.name = name
        self.kind = kind
        self.source = source
        self.description = description
        self.inputSchema = inputSchema
        self.contentHash = contentHash
    }
}

public enum WorkflowKind: String, Sendable, Codable, Hashable {
    /// A YAML or JSON workflow document; `source` holds its text.
    case document
    /// A workflow compiled into a Swift binary; `source` is empty.
    case swift
}

/// One stored version of a workflow.
public struct WorkflowRecord: Sendable, Hashable, Codable {
    public var name: String
    public var version: Int
    public var kind: WorkflowKind
    public var source: String
    public var description: String
    public var inputSchema: JSONValue?
    public var contentHash: String
    public var createdAt: Date

    public init(name: String, version: Int, kind: WorkflowKind, source: String, description: String, inputSchema: JSONValue?, contentHash: String, createdAt: Date) {
        self.name = name
        self.version = version
        self.kind = kind
        self.source = source
        self.description = description
        self.inputSchema = inputSchema
        self.contentHash = contentHash
        self.createdAt = createdAt
    }
}

/// Task results kept across executions and processes, keyed by the task's content hash.
public protocol TaskCacheStore: Sendable {
    func cachedValue(key: String) async throws -> JSONValue?
    func storeCachedValue(_ value: JSONValue, key: String) async throws
}

/// Secrets, stored only as ciphertext with their grants: the store never sees a plain value.
public protocol SecretStore: Sendable {
    /// The ciphertext and grant stored under `name`, or nil.
    func sealedSecret(name: String) async throws -> SealedSecret?
    /// Stores `secret` under `name`, replacing its ciphertext and its grant.
    func setSealedSecret(_ secret: SealedSecret, name: String) async throws
    /// Returns false when there was no such secret.
    func deleteSecret(name: String) async throws -> Bool
    func secretNames() async throws -> [String]
}

extension SecretStore {
    /// The ciphertext stored under `name`, or nil.
    public func secretCiphertext(name: String) async throws -> Data? {
        try await sealedSecret(name: name)?.ciphertext
    }

    /// Stores `ciphertext` under `name` for any workflow (replacing what was there, grant included).
    public func setSecretCiphertext(_ ciphertext: Data, name: String) async throws {
        try await setSealedSecret(SealedSecret(ciphertext: ciphertext), name: name)
    }
}

/// Failures of a store, with messages that say what to do.
public enum StoreError: Error, Sendable, Hashable, CustomStringConvertible {
    case duplicateExecution(String)
    case executionNotFound(String)
    case staleClaim(executionID: String)
    case unavailable(String)
    case corrupt(String)

    public var description: String {
        switch self {
        case .duplicateExecution(let id): return "an execution with id \(id) already exists"
        case .executionNotFound(let id): return "no execution with id \(id)"
        case .staleClaim(let id): return "execution \(id) is now owned by another process; this process's claim is stale"
        case .unavailable(let why): return "the store is unavailable: \(why)"
        case .corrupt(let why): return "the store holds data it cannot read: \(why)"
        }
    }
}
