import Foundation

/// A task failed for good: retries, fallback and rollback are behind it. Replaying a recorded failure
/// throws this again (the original returned the failure as if it were a value).
public struct TaskFailedError: Error, Sendable, Hashable, CustomStringConvertible {
    public var taskID: String
    public var taskName: String
    /// The Swift type name of the underlying error, e.g. `TaskTimeoutError`.
    public var errorType: String
    public var message: String

    public init(taskID: String, taskName: String, errorType: String, message: String) {
        self.taskID = taskID
        self.taskName = taskName
        self.errorType = errorType
        self.message = message
    }

    public var description: String { "task \(taskName) failed: \(message)" }

    var json: JSONValue { ["type": .string(errorType), "message": .string(message), "task_id": .string(taskID)] }

    init(recorded value: JSONValue, taskID: String, taskName: String) {
        self.init(taskID: taskID, taskName: taskName,
                  errorType: value["type"]?.stringValue ?? "Error",
                  message: value["message"]?.stringValue ?? value.canonicalJSON)
    }
}

/// A task attempt ran longer than its `timeout`.
public struct TaskTimeoutError: Error, Sendable, Hashable, CustomStringConvertible {
    public var taskName: String
    public var seconds: Double
    public var description: String { "task \(taskName) timed out after \(Self.format(seconds)) s" }

    static func format(_ s: Double) -> String { s.rounded() == s ? String(Int(s)) : String(s) }
}

/// Why the engine refused an operation. Each message says what to do instead.
public enum EngineError: Error, Sendable, Hashable, CustomStringConvertible {
    case executionNotFound(String)
    case workflowNotFound(String)
    case notPaused(executionID: String, state: ExecutionState)
    case alreadyFinished(executionID: String, state: ExecutionState)
    case workflowMismatch(executionID: String, expected: String, actual: String)
    case invalidInput(String)
    case subworkflowPaused(String)
    /// A called workflow's execution (`executionID`, to look it up) ended without completing.
    case subworkflowFailed(name: String, executionID: String, message: String)
    case cancelled(String)
    case secretsOutsideWorkflow(task: String)
    case outsideWorkflow(String)
    public var description: String {
        switch self {
        case .executionNotFound(let id): return "no execution with id \(id)"
        case .workflowNotFound(let name): return "no workflow named \(name) is registered"
        case .notPaused(let id, let state):
            return "execution \(id) is \(state.rawValue), not PAUSED: only a paused execution can be resumed"
        case .alreadyFinished(let id, let state):
            return "execution \(id) has already finished (\(state.rawValue)) and cannot be cancelled"
        case .workflowMismatch(let id, let expected, let actual):
            return "execution \(id) belongs to workflow \(actual), not \(expected)"
        case .invalidInput(let why): return "invalid input: \(why)"
        case .subworkflowPaused(let name): return "subworkflow \(name) paused; a called workflow must run to completion"
        case .subworkflowFailed(let name, let id, let message): return "subworkflow \(name) failed (execution \(id)): \(message)"
        case .cancelled(let id): return "execution \(id) was cancelled"
        case .secretsOutsideWorkflow(let task):
            return "task \(task) requests secrets, which are only given to tasks running inside a workflow"
        case .outsideWorkflow(let what): return "\(what) can only be used inside a running workflow"
        }
    }
}

/// Thrown by `pause` to stop the workflow body; the engine records the execution as PAUSED.
/// Code that catches errors in a workflow body must let it through.
public struct PauseRequested: Error, Sendable {
    public let name: String
}

/// Describes an error for events and summaries as `{type, message}`.
func errorJSON(_ error: any Error) -> JSONValue {
    if let failed = error as? TaskFailedError { return failed.json }
    return ["type": .string(String(describing: type(of: error))), "message": .string(String(describing: error))]
}
