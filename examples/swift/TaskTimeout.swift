import Flux

/// `task_timeout`: a task with `timeout: 0.1` that would take 10 s. Its attempt is cancelled at
/// the timeout and the task fails with `TaskTimeoutError`, failing the workflow.
/// `task_nested_timeout` calls the same task from inside another task: the inner failure
/// propagates and both tasks fail.
public enum TaskTimeoutExample {
    public static let timeout = 0.1

    public static let longTask = task("long_task", options: TaskOptions(timeout: timeout)) { () -> String in
        try await Task.sleep(for: .seconds(10))
        return "finished"
    }

    public static let nestedTask = task("nested_task") { () -> String in
        try await longTask()
    }

    public static let workflow = FluxCore.workflow(
        "task_timeout", description: "A task that runs past its 0.1 s timeout"
    ) { (_: ExecutionContext<NoInput>) -> String in
        try await longTask()
    }

    public static let nested = FluxCore.workflow(
        "task_nested_timeout", description: "A task whose inner task runs past its timeout"
    ) { (_: ExecutionContext<NoInput>) -> String in
        try await nestedTask()
    }
}
