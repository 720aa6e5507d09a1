import FluxCore
import FluxDocuments
import Foundation

/// Where the executions a service starts run.
public enum ExecutionPlacement: Sendable, Hashable {
    /// In this process, always (the CLI, `flux start mcp`, tests).
    case inProcess
    /// A server with remote workers. With `embedded` this process runs what it can itself (documents, and the
    /// Swift workflows and tasks compiled into it) and hands the rest to workers; without, workers run everything.
    case workers(embedded: Bool)
}

extension FluxService {
    /// Where executions run; ``ExecutionPlacement/inProcess`` until ``enableWorkers(embedded:)``.
    public var placement: ExecutionPlacement { placementState.withLock { $0 } }

    /// Turns on dispatch to remote workers (`flux start server` does, with `workers.embedded`).
    ///
    /// ```swift
    /// service.enableWorkers(embedded: configuration.workers.embedded)
    /// let dispatcher = WorkerDispatcher(service: service)   // run it in the ServiceGroup
    /// ```
    public func enableWorkers(embedded: Bool) {
        placementState.withLock { $0 = .workers(embedded: embedded) }
    }

    /// False when only remote workers run executions (`workers.embedded = false`).
    public var runsExecutionsInProcess: Bool {
        if case .workers(embedded: false) = placement { return false }
        return true
    }

    /// What running `workflow` asks of a worker: the Swift workflow itself, or the Swift tasks a document calls.
    func requirement(for workflow: WorkflowRecord) -> WorkRequirement {
        let key = "\(workflow.name)@\(workflow.version)"
        if let cached = requirementCache.withLock({ $0[key] }) { return cached }
        let requirement: WorkRequirement
        switch workflow.kind {
        case .swift:
            requirement = WorkRequirement(swiftWorkflow: workflow.name)
        case .document:
            let document = try? DocumentParser.parse(text: workflow.source, sourceName: workflow.name).first { $0.name == workflow.name }
            requirement = WorkRequirement(tasks: document?.swiftTaskNames ?? [], resources: document?.requests)
        }
        requirementCache.withLock { $0[key] = requirement }
        return requirement
    }

    /// The requirement of an execution's workflow version; a Swift workflow missing from the catalog still needs itself.
    /// Workflow versions are looked up at most every few seconds: dispatch asks for every execution it offers.
    func requirement(forExecution record: ExecutionRecord) async throws -> (WorkRequirement, WorkflowRecord?) {
        let key = "\(record.workflowName)@\(record.workflowVersion)"
        let now = ContinuousClock.now
        if let cached = workflowRecordCache.withLock({ $0[key] }), now - cached.at < .seconds(5) {
            return (cached.workflow.map { requirement(for: $0) } ?? WorkRequirement(swiftWorkflow: record.workflowName), cached.workflow)
        }
        let workflow = try await store.workflow(name: record.workflowName, version: record.workflowVersion)
        workflowRecordCache.withLock { cache in
            if cache.count > 10_000 { cache.removeAll() }
            cache[key] = (workflow, now)
        }
        return (workflow.map { requirement(for: $0) } ?? WorkRequirement(swiftWorkflow: record.workflowName), workflow)
    }

    /// True when this process has what the requirement names: the Swift workflow or tasks, and, for a workflow
    /// with requests, a machine and `workers.labels` that meet them (the embedded executor is a worker like others).
    func canRunHere(_ requirement: WorkRequirement) -> Bool {
        var requests = requirement.resources
        if let name = requirement.swiftWorkflow {
            guard let definition = swiftWorkflows[name] else { return false }
            requests = definition.requests
        }
        if !requirement.tasks.isEmpty, !requirement.tasks.isSubset(of: Set(interpreterEnvironment.tasks.keys)) { return false }
        return requests?.isMet(by: localCapacity) ?? true
    }

    /// What this machine offers a workflow's requests: its resources when first asked, and `workers.labels`.
    var localCapacity: WorkerCapacity {
        if let known = localCapacityState.withLock({ $0 }) { return known }
        let capacity = WorkerCapacity(resources: MachineResources.current(gpus: MachineResources.gpus()), labels: workerSettings.labels)
        localCapacityState.withLock { $0 = capacity }
        return capacity
    }

    /// True when an execution of `workflow` goes to remote workers rather than running in this process.
    func dispatchesToWorkers(_ workflow: WorkflowRecord?) -> Bool {
        switch placement {
        case .inProcess: return false
        case .workers(embedded: false): return true
        case .workers(embedded: true):
            guard let workflow else { return false }
            return !canRunHere(requirement(for: workflow))
        }
    }
}
