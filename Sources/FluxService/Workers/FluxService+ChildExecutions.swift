import FluxCore
import Foundation

/// Child executions (`call:` steps, ``FluxCore/call(_:input:)``) started on a remote worker. The worker asks
/// where the child runs (``placeChild(worker:body:)``): on itself when it meets what the child's workflow needs,
/// else the server queues the child for a worker that does and the parent waits for its end. A child the worker
/// runs itself is created by its engine through ``createChildExecution(worker:body:)``, held by that worker.
extension FluxService {
    /// `POST /workers/{name}/children` `{workflow, input, execution_id, parent_execution_id, task_id}` →
    /// `{placement: "here" | "elsewhere" | "refused", state?, error?}`.
    ///
    /// "here": the worker runs the child (creating it if it does not exist yet); "elsewhere": the child exists
    /// (queued now if it was not) and another worker runs it; "refused": the call passes a limit on calls
    /// (``FluxCore/CallLineage/admit(_:store:limits:)``), `error` says which, and the call fails. The child's id must
    /// be the one the call derives and the worker must hold the parent; a parent being cancelled starts no child.
    public func placeChild(worker: WorkerRecord, body: JSONValue) async throws(ServiceError) -> JSONValue {
        guard body.objectValue != nil else {
            throw ServiceError(.invalidInput, "send {\"workflow\", \"input\", \"execution_id\", \"parent_execution_id\", \"task_id\"}")
        }
        guard let name = body["workflow"]?.stringValue else { throw ServiceError(.invalidInput, "workflow must be the name of the called workflow") }
        try WorkerRegistration.checkWorkflowName(name)
        guard let id = body["execution_id"]?.stringValue else { throw ServiceError(.invalidInput, "execution_id must be the child's execution id") }
        try Self.checkExecutionID(id)
        let call = try await callOfParentHeld(by: worker, childID: id, workflow: name, input: body["input"] ?? .null, body: body,
                                              startingChild: true)
        let live = WorkerRegistry.live(worker)
        do {
            if let existing = try await store.execution(id: id) {
                guard existing.workflowName == name else {
                    throw ServiceError(.conflict, "execution \(id) is a run of \(existing.workflowName), not of \(name)")
                }
                let (requirement, _) = try await requirement(forExecution: existing)
                let here = requirement.isMet(workflows: live.workflows, tasks: live.tasks, capacity: live.capacity)
                return ["placement": .string(here ? "here" : "elsewhere"), "state": .string(existing.state.rawValue)]
            }
            guard let workflow = try await store.workflow(name: name, version: nil) else {
                throw ServiceError(.notFound, "no workflow named \(name): register it before a workflow calls it")
            }
            do {
                _ = try await CallLineage.admit(call, store: store, limits: environment.engine.configuration.callLimits)
            } catch let refused as ExecutionLimitExceeded {
                return ["placement": "refused", "error": ["setting": .string(refused.setting), "message": .string(refused.message)]]
            }
            if requirement(for: workflow).isMet(workflows: live.workflows, tasks: live.tasks, capacity: live.capacity) {
                return ["placement": "here"]
            }
            do {
                try await store.createExecution(ExecutionRecord(
                    id: id, workflowName: workflow.name, workflowVersion: workflow.version, state: .created,
                    input: body["input"] ?? .null), events: [])
                logger.info("execution \(id) (\(name), called from worker \(worker.name), which cannot run it) queued for another worker")
            } catch StoreError.duplicateExecution {
                // Placed meanwhile (a retry of this request): it exists, which is all the caller needs.
            }
            engine.notifyChange(executionID: id)
            dispatchSignal.fire()
            return ["placement": "elsewhere", "state": "CREATED"]
        } catch {
            throw ServiceError.wrap(error)
        }
    }

    /// The call a worker names in `body` (`parent_execution_id`, `task_id`), checked: `childID` is the id that call
    /// derives and the worker holds the parent, so a worker places and cancels only its own children; when
    /// `startingChild`, the parent is not being cancelled either.
    private func callOfParentHeld(by worker: WorkerRecord, childID: String, workflow: String, input: JSONValue,
                                  body: JSONValue, startingChild: Bool) async throws(ServiceError) -> ChildCall {
        guard body.objectValue != nil, let parentID = body["parent_execution_id"]?.stringValue, let taskID = body["task_id"]?.stringValue else {
            throw ServiceError(.invalidInput, "send parent_execution_id and task_id: the calling execution and its call's task id")
        }
        try Self.checkExecutionID(parentID)
        guard (1...4096).contains(taskID.utf8.count) else { throw ServiceError(.invalidInput, "task_id must be 1 to 4096 bytes") }
        let call = ChildCall(workflowName: workflow, input: input, parentID: parentID, callTaskID: taskID)
        guard call.childID == childID else {
            throw ServiceError(.conflict, "execution \(childID) is not the child of the call \(taskID.prefix(80)) in execution \(parentID)")
        }
        let parent: ExecutionRecord?
        do { parent = try await store.execution(id: parentID) } catch { throw ServiceError.wrap(error) }
        guard let parent else { throw ServiceError(.notFound, "no execution with id \(parentID)") }
        guard parent.owner == worker.owner else {
            throw ServiceError(.conflict, "worker \(worker.name) does not hold execution \(parentID)")
        }
        guard !startingChild || parent.state != .cancelling else {
            throw ServiceError(.conflict, "execution \(parentID) is being cancelled: it starts no new child")
        }
        return call
    }

    /// `POST /workers/{name}/executions` `{execution, events}`: the worker's engine records a child it runs itself,
    /// held by the worker with the claim generation it gave (a settled child is held by nobody). A retry of the same
    /// request is answered as the first was; 409 when the id exists otherwise or the worker cannot run the workflow;
    /// 404 for an unknown workflow version.
    public func createChildExecution(worker: WorkerRecord, body: JSONValue) async throws(ServiceError) -> JSONValue {
        var record: ExecutionRecord
        let events: [ExecutionEvent]
        guard body.objectValue != nil else { throw ServiceError(.invalidInput, "send {\"execution\": {...}, \"events\": [...]}") }
        do {
            record = try WireFormat.record(from: body["execution"] ?? .null)
            events = try WireFormat.orderedEvents(from: body["events"])
        } catch {
            throw ServiceError(.invalidInput, "malformed execution: \(error)")
        }
        try Self.checkExecutionID(record.id)
        guard [.running, .paused, .completed, .failed, .cancelled].contains(record.state) else {
            throw ServiceError(.invalidInput, "a worker creates an execution it runs: RUNNING or settled, not \(record.state.rawValue)")
        }
        guard (1...1_000_000).contains(record.claimGeneration) else { throw ServiceError(.invalidInput, "claim_generation must be 1 or more") }
        do {
            guard let workflow = try await store.workflow(name: record.workflowName, version: record.workflowVersion) else {
                throw ServiceError(.notFound, "no workflow \(record.workflowName) with version \(record.workflowVersion)")
            }
            let live = WorkerRegistry.live(worker)
            let missing = requirement(for: workflow).unmet(workflows: live.workflows, tasks: live.tasks, capacity: live.capacity)
            guard missing.isEmpty else {
                throw ServiceError(.conflict, "worker \(worker.name) cannot run \(record.workflowName): it lacks \(missing.joined(separator: ", "))")
            }
            let now = Date()
            let active = record.state == .running
            record.owner = active ? worker.owner : nil
            record.leaseExpiresAt = active ? now.addingTimeInterval(leaseTimeout) : nil
            record.createdAt = now
            record.updatedAt = now
            do {
                try await store.createExecution(record, events: events)
            } catch StoreError.duplicateExecution {
                // A retry whose first answer was lost: the row is this worker's, from this same request.
                guard let stored = try await store.execution(id: record.id), stored.workflowName == record.workflowName,
                      stored.claimGeneration == record.claimGeneration, stored.owner == record.owner,
                      try await store.events(executionID: record.id, after: 0).map(\.id) == events.map(\.id)
                else { throw ServiceError(.conflict, "an execution with id \(record.id) already exists") }
                record = stored
            }
            engine.notifyChange(executionID: record.id)
            return ["execution_id": .string(record.id), "state": .string(record.state.rawValue), "claim_generation": .int(record.claimGeneration)]
        } catch {
            throw ServiceError.wrap(error)
        }
    }

    /// `POST /workers/{name}/children/{execution_id}/cancel` `{parent_execution_id, task_id}`: the worker's execution
    /// `parent_execution_id` is being cancelled while it waits for the child its call `task_id` placed elsewhere; the
    /// child is cancelled too. The child's id must be the one that call derives (``FluxCore/ChildCall``) and the
    /// worker must hold the parent, so a worker cancels only its own children. A settled child is answered as it is.
    public func cancelChild(worker: WorkerRecord, childID: String, body: JSONValue) async throws(ServiceError) -> JSONValue {
        try Self.checkExecutionID(childID)
        let call = try await callOfParentHeld(by: worker, childID: childID, workflow: "", input: .null, body: body, startingChild: false)
        do {
            guard let child = try await store.execution(id: childID) else {
                throw ServiceError(.notFound, "no execution with id \(childID)")
            }
            if child.state.isTerminal {
                return ["execution_id": .string(childID), "state": .string(child.state.rawValue)]
            }
            logger.info("execution \(childID) cancelled with its parent \(call.parentID) on worker \(worker.name)")
            let snapshot = try await cancel(workflow: nil, executionID: childID, wait: false)
            return ["execution_id": .string(childID), "state": .string(snapshot.record.state.rawValue)]
        } catch {
            throw ServiceError.wrap(error)
        }
    }

    /// Execution ids from workers: 1 to 128 letters, digits, `_` and `-`.
    static func checkExecutionID(_ id: String) throws(ServiceError) {
        guard (1...128).contains(id.utf8.count), id.utf8.allSatisfy({ WorkerRegistration.isAlphanumeric($0) || $0 == 0x5F || $0 == 0x2D }) else {
            throw ServiceError(.invalidInput, "an execution id is 1 to 128 letters, digits, _ or -, got \(id.prefix(80))")
        }
    }
}
