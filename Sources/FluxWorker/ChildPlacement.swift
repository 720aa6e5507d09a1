import FluxCore
import Foundation

extension ServerBackedStore {
    /// Where a child execution that a workflow on this worker calls runs, asked of the server: nil when this worker
    /// runs it (the engine goes on as in one process), otherwise the child's end, once the worker the server chose
    /// for it has finished (or paused) it. The wait reads the child every 100 ms at first, then at most every 2 s.
    ///
    /// ```swift
    /// await engine.setChildDelegate { name, input, id in try await store.placeChild(workflow: name, input: input, executionID: id) }
    /// ```
    func placeChild(workflow name: String, input: JSONValue, executionID: String) async throws -> ExecutionSnapshot? {
        let body: JSONValue = ["workflow": .string(name), "input": input, "execution_id": .string(executionID)]
        let answer = try await retryingWhileUnreachable("placing child execution \(executionID)") {
            do {
                return try await connection.call("POST", connection.workerPath("children"), body: body)
            } catch WorkerError.notFound {
                throw EngineError.workflowNotFound(name)
            }
        }
        guard answer["placement"]?.stringValue == "elsewhere" else { return nil }
        connection.logger.info("child execution \(executionID) (\(name)) runs on another worker; waiting for it")
        var backoff = Backoff(initial: .milliseconds(100), maximum: .seconds(2))
        while true {
            if let record = try await execution(id: executionID), record.state.isTerminal || record.state == .paused {
                return ExecutionSnapshot(record: record, events: try await events(executionID: executionID, after: 0))
            }
            try await Task.sleep(for: backoff.next())
        }
    }
}
