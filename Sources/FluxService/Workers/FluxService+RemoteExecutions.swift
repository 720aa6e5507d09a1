import FluxCore
import FluxDocuments
import Foundation

/// Runs, resumes and cancels executions that remote workers run: the server records the request in the store
/// and wakes the dispatcher; a sync caller waits for the worker's checkpoints (which notify this process).
extension FluxService {
    /// Records a CREATED execution for workers; sync waits until it finishes or pauses.
    func runOnWorkers(_ workflow: WorkflowRecord, input: JSONValue, mode: RunMode, executionID: String? = nil) async throws -> ExecutionSnapshot {
        if let schema = workflow.inputSchema {
            let violations = try InputSchemaValidator(schema: schema).violations(of: input)
            if !violations.isEmpty {
                throw ServiceError(.invalidInput, "the input does not match the input schema of \(workflow.name): "
                    + violations.map { String(describing: $0) }.joined(separator: "; "))
            }
        }
        let record = ExecutionRecord(id: executionID ?? ExecutionRecord.newID(), workflowName: workflow.name, workflowVersion: workflow.version,
                                     state: .created, input: input)
        try await store.createExecution(record, events: [])
        dispatchSignal.fire()
        switch mode {
        case .sync: return try await engine.waitUntilSettled(executionID: record.id, recoverAbandoned: false)
        case .async, .stream: return ExecutionSnapshot(record: record, events: [])
        }
    }

    /// Records the resume request durably (RESUMING, WORKFLOW_RESUMING with the input, no owner) for a worker
    /// to claim; sync waits until the execution finishes or pauses again.
    func resumeOnWorkers(_ record: ExecutionRecord, input: JSONValue, mode: RunMode, pauseID: String?) async throws -> ExecutionSnapshot {
        guard record.state == .paused else { throw EngineError.notPaused(executionID: record.id, state: record.state) }
        // Held (with a lease no dispatcher sees lapse) until the request below is recorded: a replica hearing of
        // RESUMING must not hand the execution to a worker before it carries the resume input.
        guard let claimed = try await store.claim(
            executionID: record.id, expectedGeneration: record.claimGeneration, fromStates: [.paused],
            owner: "dispatch:\(engine.ownerID)", leaseExpiresAt: Date().addingTimeInterval(leaseTimeout), newState: .resuming)
        else {
            let now = try await store.execution(id: record.id)
            throw EngineError.notPaused(executionID: record.id, state: now?.state ?? record.state)
        }
        let events = try await store.events(executionID: record.id, after: 0)
        let sequence = max(claimed.lastSequence, events.last?.sequence ?? 0) + 1
        let resuming = ExecutionEvent.resuming(executionID: record.id, workflowName: record.workflowName, sequence: sequence,
                                               input: input, pauseID: pauseID)
        _ = try await store.commit(ExecutionCommit(executionID: record.id, events: [resuming], claimGeneration: claimed.claimGeneration,
                                                   releaseOwnership: true))
        engine.notifyChange(executionID: record.id)
        activeScanRequested.withLock { $0 = true }
        dispatchSignal.fire()
        switch mode {
        case .sync:
            return try await engine.waitUntilSettled(executionID: record.id, recoverAbandoned: false)
        case .async, .stream:
            var updated = claimed
            updated.lastSequence = sequence
            updated.owner = nil
            updated.leaseExpiresAt = nil
            return ExecutionSnapshot(record: updated, events: events + [resuming])
        }
    }

    /// Asks the worker that runs the execution to cancel it (it hears within one heartbeat); with `wait`, returns
    /// once it has stopped. Should the worker be gone, the lease lapses and this server finishes the cancellation.
    func cancelOnWorker(_ record: ExecutionRecord, wait: Bool) async throws -> ExecutionSnapshot {
        let after = try await store.transition(executionID: record.id, fromStates: [.claimed, .running, .resuming], to: .cancelling)
        if let after, after.state.isTerminal, after.state != .cancelled {
            throw EngineError.alreadyFinished(executionID: record.id, state: after.state)
        }
        activeScanRequested.withLock { $0 = true }
        dispatchSignal.fire()
        if wait { return try await engine.waitUntilSettled(executionID: record.id, recoverAbandoned: true) }
        return try await engine.snapshot(executionID: record.id)
    }
}
