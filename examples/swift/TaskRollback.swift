import Flux

/// `task_rollback`: when a task fails for good, its rollback runs (with the same arguments)
/// before TASK_FAILED is recorded; the workflow then fails.
public enum TaskRollbackExample {
    public static let badTask = task("bad_task") { (input: BadTaskInput) -> String in
        if input.shouldFail { throw ExampleError.simulatedFailure("task #\(input.number) failed") }
        return "task #\(input.number) succeeded"
    }.with(rollback: { _ in
        // Undo what the task did; here there is nothing to undo.
    })

    public static let workflow = FluxCore.workflow(
        "task_rollback", description: "Task 3 fails and is rolled back; the workflow fails"
    ) { (_: ExecutionContext<NoInput>) -> [String] in
        [
            try await badTask(BadTaskInput(1, shouldFail: false)),
            try await badTask(BadTaskInput(2, shouldFail: false)),
            try await badTask(BadTaskInput(3)),
        ]
    }
}
