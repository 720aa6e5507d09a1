/// What an execution's events say about one task id: the index that replay reads.
struct TaskHistory: Sendable {
    var started: JSONValue?
    var completed: JSONValue?
    var failed: JSONValue?
    var paused: JSONValue?
    var resumed: JSONValue?
    var retryFailures = 0

    /// Folds one TASK_* event into the history of its source id.
    mutating func apply(_ event: ExecutionEvent) {
        switch event.type {
        case .taskStarted: if started == nil { started = event.value }
        case .taskCompleted: completed = event.value
        case .taskFailed: failed = event.value
        case .taskPaused: paused = event.value
        case .taskResumed: resumed = event.value["input"] ?? .null
        case .taskRetryFailed: retryFailures += 1
        default: break
        }
    }
}
