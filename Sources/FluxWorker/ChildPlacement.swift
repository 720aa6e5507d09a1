import FluxCore
import Foundation

extension ServerBackedStore {
    /// Where a child execution that a workflow on this worker calls runs, asked of the server: nil when this worker
    /// runs it (the engine goes on as in one process), otherwise the child's end, once the worker the server chose
    /// for it has finished (or paused) it. The wait reads the child every 100 ms at first, then at most every 2 s.
    /// When the parent is cancelled during the wait, the server is asked to cancel the child too.
    ///
    /// ```swift
    /// await engine.setChildDelegate { call in try await store.placeChild(call) }
    /// ```
    func placeChild(_ call: ChildCall) async throws -> ExecutionSnapshot? {
        let executionID = call.childID
        let body: JSONValue = ["workflow": .string(call.workflowName), "input": call.input, "execution_id": .string(executionID),
                               "parent_execution_id": .string(call.parentID), "task_id": .string(call.callTaskID)]
        let answer = try await retryingWhileUnreachable("placing child execution \(executionID)") {
            do {
                return try await connection.call("POST", connection.workerPath("children"), body: body)
            } catch WorkerError.notFound {
                throw EngineError.workflowNotFound(call.workflowName)
            }
        }
        if answer["placement"]?.stringValue == "refused" {
            throw ExecutionLimitExceeded(setting: answer["error"]?["setting"]?.stringValue ?? "executor",
                                         message: answer["error"]?["message"]?.stringValue ?? "the server refused the call")
        }
        guard answer["placement"]?.stringValue == "elsewhere" else { return nil }
        connection.logger.info("child execution \(executionID) (\(call.workflowName)) runs on another worker; waiting for it")
        var backoff = Backoff(initial: .milliseconds(100), maximum: .seconds(2))
        do {
            while true {
                if let record = try await execution(id: executionID), record.state.isTerminal || record.state == .paused {
                    return ExecutionSnapshot(record: record, events: try await events(executionID: executionID, after: 0))
                }
                try await Task.sleep(for: backoff.next())
            }
        } catch {
            if Task.isCancelled { await cancelChild(call) }
            throw error
        }
    }

    /// The parent is being cancelled while its child runs (or waits) elsewhere: asks the server to cancel the child.
    /// Best effort: the request runs in a task of its own (this one is cancelled), and a failure is logged; the
    /// parent ends CANCELLED either way.
    private func cancelChild(_ call: ChildCall) async {
        let connection = self.connection
        let path = connection.workerPath("children/\(ServerConnection.segment(call.childID))/cancel")
        let body: JSONValue = ["parent_execution_id": .string(call.parentID), "task_id": .string(call.callTaskID)]
        let outcome = await Task { try await connection.call("POST", path, body: body) }.result
        switch outcome {
        case .success(let answer):
            connection.logger.info("child execution \(call.childID) cancelled with its parent \(call.parentID): \(answer["state"]?.stringValue ?? "?")")
        case .failure(let error):
            connection.logger.warning("could not cancel child execution \(call.childID) with its parent \(call.parentID): \(error)")
        }
    }
}
