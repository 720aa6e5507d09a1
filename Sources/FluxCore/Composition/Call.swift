/// Runs another workflow of the same engine as a child execution and returns its output.
///
/// The child's execution id is derived from the parent's and the call's task id, so a parent that is
/// replayed after a crash finds the same child instead of starting a second one.
///
/// ```swift
/// let total = try await call("compute_total", input: ["items": items])
/// ```
public func call(_ workflowName: String, input: JSONValue) async throws -> JSONValue {
    guard let runtime = RuntimeContext.runtime else { throw EngineError.outsideWorkflow("call") }
    let parentID = runtime.executionID
    let services = runtime.services
    let definition = TaskDefinition(name: "call_\(workflowName)") { arguments, context in
        let child = ChildCall(workflowName: workflowName, input: arguments, parentID: parentID, callTaskID: context.metadata?.taskID ?? "")
        let snapshot = try await services.callWorkflow(child)
        switch snapshot.record.state {
        case .completed: return snapshot.record.output
        case .paused: throw EngineError.subworkflowPaused(workflowName)
        case .cancelled: throw EngineError.cancelled(snapshot.record.id)
        default:
            throw EngineError.subworkflowFailed(name: workflowName, executionID: snapshot.record.id,
                                                message: snapshot.record.output["message"]?.stringValue ?? snapshot.record.state.rawValue)
        }
    }
    var options = definition.options
    options.metadata = true
    return try await TaskDefinition(name: definition.name, options: options, body: definition.body).invoke(arguments: input)
}

/// Runs another Swift workflow as a child execution; see ``call(_:input:)``.
public func call<Input, Output>(_ workflow: Workflow<Input, Output>, _ input: Input) async throws -> Output {
    try await call(workflow.name, input: try JSONValue(encoding: input)).decode()
}
