/// The kinds of event an execution records, named as in the original Flux.
public enum EventType: String, Sendable, Codable, CaseIterable, Hashable {
    case workflowScheduled = "WORKFLOW_SCHEDULED"
    case workflowClaimed = "WORKFLOW_CLAIMED"
    case workflowStarted = "WORKFLOW_STARTED"
    case workflowCompleted = "WORKFLOW_COMPLETED"
    case workflowFailed = "WORKFLOW_FAILED"
    case workflowPaused = "WORKFLOW_PAUSED"
    case workflowResuming = "WORKFLOW_RESUMING"
    case workflowResumed = "WORKFLOW_RESUMED"
    case workflowCancelling = "WORKFLOW_CANCELLING"
    case workflowCancelled = "WORKFLOW_CANCELLED"

    case taskStarted = "TASK_STARTED"
    case taskCompleted = "TASK_COMPLETED"
    case taskFailed = "TASK_FAILED"
    case taskPaused = "TASK_PAUSED"
    case taskResumed = "TASK_RESUMED"
    case taskCancelled = "TASK_CANCELLED"

    case taskRetryStarted = "TASK_RETRY_STARTED"
    case taskRetryCompleted = "TASK_RETRY_COMPLETED"
    case taskRetryFailed = "TASK_RETRY_FAILED"
    case taskFallbackStarted = "TASK_FALLBACK_STARTED"
    case taskFallbackCompleted = "TASK_FALLBACK_COMPLETED"
    case taskFallbackFailed = "TASK_FALLBACK_FAILED"
    case taskRollbackStarted = "TASK_ROLLBACK_STARTED"
    case taskRollbackCompleted = "TASK_ROLLBACK_COMPLETED"
    case taskRollbackFailed = "TASK_ROLLBACK_FAILED"

    /// True for WORKFLOW_* events.
    public var isWorkflowEvent: Bool { rawValue.hasPrefix("WORKFLOW_") }
}
