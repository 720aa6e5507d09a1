import FluxCore
import Foundation
import Synchronization

/// The ``FluxStore`` a worker's engine runs on: every write is a checkpoint to the server (with the claim
/// generation the claim answered), every read a worker route. Replay, retries, pause and cancel therefore work
/// on a worker exactly as in one process, and a task whose completion the server has recorded never runs again.
///
/// Checkpoints are retried with backoff while the server is unreachable (the server skips events it already
/// has, so a retry is harmless) until the lease would have lapsed; a 409 (the claim went stale: the lease lapsed
/// and another worker took over) stops the execution here.
final class ServerBackedStore: FluxStore, Sendable {
    let connection: ServerConnection
    /// Executions the server asked this worker to cancel; the engine's maintenance reads them as CANCELLING rows.
    private let cancelled = Mutex<Set<String>>([])

    init(connection: ServerConnection) {
        self.connection = connection
    }

    /// Records that the server asked for `executionID` to be cancelled.
    func markCancelled(_ executionID: String) {
        _ = cancelled.withLock { $0.insert(executionID) }
    }

    func forget(_ executionID: String) {
        _ = cancelled.withLock { $0.remove(executionID) }
    }

    // MARK: - Executions

    /// Only child executions this worker runs itself (see ``placeChild(workflow:input:executionID:)``) are created
    /// here: the server records them held by this worker.
    func createExecution(_ record: ExecutionRecord, events: [ExecutionEvent]) async throws {
        let body: JSONValue = ["execution": WireFormat.record(record), "events": .array(events.map(WireFormat.event))]
        try await retryingWhileUnreachable("creating execution \(record.id)") {
            do {
                _ = try await connection.call("POST", connection.workerPath("executions"), body: body)
            } catch WorkerError.conflict(let why), WorkerError.notFound(let why) {
                // The id exists (the server answers a retry of this same request as applied), or this worker may
                // not run the workflow: the server's message says which.
                throw StoreError.unavailable(why)
            }
        }
    }

    func execution(id: String) async throws -> ExecutionRecord? {
        do {
            let json = try await connection.call("GET", connection.workerPath("executions/\(ServerConnection.segment(id))"))
            return try WireFormat.record(from: json["execution"] ?? .null)
        } catch WorkerError.notFound {
            return nil
        } catch let error as WireFormat.Malformed {
            throw StoreError.corrupt("the server sent an execution this worker cannot read: \(error.message)")
        } catch let error as WorkerError {
            throw StoreError.unavailable(error.description)
        }
    }

    func events(executionID: String, after sequence: Int) async throws -> [ExecutionEvent] {
        do {
            let json = try await connection.call("GET", connection.workerPath("executions/\(ServerConnection.segment(executionID))"),
                                                 query: ["events": "true", "after": String(sequence)])
            return try WireFormat.events(from: json["events"])
        } catch WorkerError.notFound {
            return []
        } catch let error as WireFormat.Malformed {
            throw StoreError.corrupt("the server sent events this worker cannot read: \(error.message)")
        } catch let error as WorkerError {
            throw StoreError.unavailable(error.description)
        }
    }

    func commit(_ commit: ExecutionCommit) async throws -> CommitOutcome {
        let path = connection.workerPath("checkpoint/\(ServerConnection.segment(commit.executionID))")
        let body = WireFormat.commit(commit)
        return try await retryingWhileUnreachable("checkpoint of \(commit.executionID)") {
            do {
                let json = try await connection.call("POST", path, body: body)
                let state = json["state"]?.stringValue.flatMap(ExecutionState.init(rawValue:)) ?? commit.state ?? .running
                if state.isTerminal { forget(commit.executionID) }
                return CommitOutcome(applied: json["applied"]?.boolValue ?? true, state: state)
            } catch WorkerError.conflict {
                throw StoreError.staleClaim(executionID: commit.executionID)
            } catch WorkerError.notFound {
                throw StoreError.executionNotFound(commit.executionID)
            }
        }
    }

    /// Runs `request`, retrying with backoff while the server is unreachable (the server makes each of these
    /// requests harmless to repeat) until the lease would have lapsed; any other worker error becomes
    /// ``StoreError/unavailable(_:)``.
    func retryingWhileUnreachable<T: Sendable>(_ what: String, _ request: () async throws -> T) async throws -> T {
        let leaseSeconds = connection.currentSession?.leaseTimeout ?? 30
        let deadline = ContinuousClock.now + .milliseconds(Int(leaseSeconds * 1000))
        var backoff = Backoff(initial: .milliseconds(50), maximum: .seconds(2))
        while true {
            do {
                return try await request()
            } catch let error as WorkerError where error.isTransient && ContinuousClock.now < deadline {
                connection.logger.warning("\(what) failed (\(error)); retrying")
                try await Task.sleep(for: backoff.next())
            } catch let error as WorkerError {
                throw StoreError.unavailable(error.description)
            }
        }
    }

    func listExecutions(_ query: ExecutionQuery) async throws -> ExecutionPage {
        throw StoreError.unavailable("a remote worker does not list executions")
    }

    /// Only CANCELLING is answered, from what the server told this worker: the engine's maintenance asks for it
    /// to pass cancellations on to the executions running here.
    func executions(inStates states: Set<ExecutionState>, limit: Int) async throws -> [ExecutionRecord] {
        guard states.contains(.cancelling) else { return [] }
        let ids = cancelled.withLock { Array($0.prefix(max(0, limit))) }
        return ids.map {
            ExecutionRecord(id: $0, workflowName: "", workflowVersion: 0, state: .cancelling, input: .null, owner: connection.owner)
        }
    }

    func claim(executionID: String, expectedGeneration: Int, fromStates: Set<ExecutionState>,
               owner: String, leaseExpiresAt: Date, newState: ExecutionState?) async throws -> ExecutionRecord? {
        do {
            let json = try await connection.call("POST", connection.workerPath("claim/\(ServerConnection.segment(executionID))"))
            return try WireFormat.record(from: json["execution"] ?? .null)
        } catch WorkerError.conflict {
            return nil
        } catch WorkerError.notFound {
            return nil
        } catch let error as WorkerError {
            throw StoreError.unavailable(error.description)
        }
    }

    /// The worker's heartbeat renews its leases on the server; nothing to do per call.
    func renewLeases(owner: String, until: Date) async throws -> Int { 0 }

    func transition(executionID: String, fromStates: Set<ExecutionState>, to: ExecutionState) async throws -> ExecutionRecord? {
        throw StoreError.unavailable("a remote worker cannot change another execution's state; cancel through the server")
    }

    func countExecutionsByState() async throws -> [ExecutionState: Int] {
        throw StoreError.unavailable("a remote worker does not count executions")
    }

    // MARK: - Catalog

    func saveWorkflow(_ draft: WorkflowDraft) async throws -> WorkflowRecord {
        throw StoreError.unavailable("a remote worker does not register workflows")
    }

    func workflow(name: String, version: Int?) async throws -> WorkflowRecord? {
        do {
            let json = try await connection.call("GET", connection.workerPath("workflows/\(ServerConnection.segment(name))"),
                                                 query: version.map { ["version": String($0)] } ?? [:])
            guard let kind = json["kind"]?.stringValue.flatMap(WorkflowKind.init(rawValue:)), let v = json["version"]?.intValue else {
                throw StoreError.corrupt("the server's workflow \(name) has no kind or version")
            }
            return WorkflowRecord(name: name, version: v, kind: kind, source: json["source"]?.stringValue ?? "", description: "",
                                  inputSchema: nil, contentHash: "", createdAt: Date())
        } catch WorkerError.notFound {
            return nil
        } catch let error as WorkerError {
            throw StoreError.unavailable(error.description)
        }
    }

    func workflowVersions(name: String) async throws -> [WorkflowRecord] {
        try await workflow(name: name, version: nil).map { [$0] } ?? []
    }

    func listWorkflows() async throws -> [WorkflowRecord] { [] }

    func deleteWorkflow(name: String, version: Int?) async throws -> Int {
        throw StoreError.unavailable("a remote worker does not delete workflows")
    }

    // MARK: - Task cache

    func cachedValue(key: String) async throws -> JSONValue? {
        do {
            return try await connection.call("GET", connection.workerPath("cache/\(ServerConnection.segment(key))"))["value"]
        } catch WorkerError.notFound {
            return nil
        } catch let error as WorkerError {
            throw StoreError.unavailable(error.description)
        }
    }

    func storeCachedValue(_ value: JSONValue, key: String) async throws {
        do {
            _ = try await connection.call("PUT", connection.workerPath("cache/\(ServerConnection.segment(key))"), body: ["value": value])
        } catch let error as WorkerError {
            throw StoreError.unavailable(error.description)
        }
    }

    // MARK: - Secrets (they come through ServerSecretProvider)

    func sealedSecret(name: String) async throws -> SealedSecret? { nil }

    func setSealedSecret(_ secret: SealedSecret, name: String) async throws {
        throw StoreError.unavailable("a remote worker does not store secrets")
    }

    func deleteSecret(name: String) async throws -> Bool {
        throw StoreError.unavailable("a remote worker does not delete secrets")
    }

    func secretNames() async throws -> [String] { [] }

    // MARK: - Call lineage (the server admits a worker's calls when the worker asks where a child runs)

    func lineage(executionID: String) async throws -> CallLineage? {
        throw StoreError.unavailable("a remote worker's calls are admitted by its server (POST /workers/{name}/children)")
    }

    func recordLineage(_ lineage: CallLineage, maxDescendants: Int) async throws -> Bool {
        throw StoreError.unavailable("a remote worker's calls are admitted by its server (POST /workers/{name}/children)")
    }
}
