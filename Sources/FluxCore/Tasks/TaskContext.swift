/// What a task body may know about the call it serves.
public struct TaskContext: Sendable {
    /// The values of the secrets the task requested (empty unless it requested some).
    public let secrets: [String: String]
    /// The task id and name, when the task asked for metadata.
    public let metadata: TaskMetadata?
    /// 0 for the first attempt, n for the n-th retry.
    public let attempt: Int

    public init(secrets: [String: String] = [:], metadata: TaskMetadata? = nil, attempt: Int = 0) {
        self.secrets = secrets
        self.metadata = metadata
        self.attempt = attempt
    }
}

/// The identity of a running task.
public struct TaskMetadata: Sendable, Hashable, Codable {
    public let taskID: String
    public let taskName: String

    public init(taskID: String, taskName: String) {
        self.taskID = taskID
        self.taskName = taskName
    }
}
