import Flux

/// The argument of the `bad_task`s of the fallback and rollback examples.
public struct BadTaskInput: Codable, Sendable, Hashable {
    public var number: Int
    public var shouldFail: Bool

    public init(_ number: Int, shouldFail: Bool = true) {
        self.number = number
        self.shouldFail = shouldFail
    }

    enum CodingKeys: String, CodingKey {
        case number, shouldFail = "should_fail"
    }
}

/// `task_fallback`: when a task fails, its fallback runs with the same arguments and its result
/// completes the task (TASK_FALLBACK_STARTED, TASK_FALLBACK_COMPLETED, TASK_COMPLETED).
public enum TaskFallbackExample {
    public static let badTask = task("bad_task") { (input: BadTaskInput) -> String in
        if input.shouldFail { throw ExampleError.simulatedFailure("task #\(input.number) failed") }
        return "task #\(input.number) succeeded"
    }.with(fallback: { input in "fallback for task #\(input.number)" })

    public static let workflow = FluxCore.workflow(
        "task_fallback", description: "Tasks 1 and 3 fail and their fallback answers"
    ) { (_: ExecutionContext<NoInput>) -> [String] in
        [
            try await badTask(BadTaskInput(1)),
            try await badTask(BadTaskInput(2, shouldFail: false)),
            try await badTask(BadTaskInput(3)),
            try await badTask(BadTaskInput(4, shouldFail: false)),
        ]
    }
}

/// `task_fallback_after_retry`: the fallback runs only once every retry has failed.
public enum TaskFallbackAfterRetryExample {
    public static let badTask = task("bad_task", options: TaskOptions(retryMaxAttempts: 2, retryDelay: 0.01, retryBackoff: 2)) {
        (input: BadTaskInput) -> String in
        if input.shouldFail { throw ExampleError.simulatedFailure("bad_task #\(input.number) failed") }
        return "bad_task #\(input.number) succeed"
    }.with(fallback: { input in "fallback for bad_task #\(input.number) succeed" })

    public static let workflow = FluxCore.workflow(
        "task_fallback_after_retry", description: "Task 1 fails twice more on retry, then its fallback answers"
    ) { (_: ExecutionContext<NoInput>) -> [String] in
        [try await badTask(BadTaskInput(1)), try await badTask(BadTaskInput(2, shouldFail: false))]
    }
}

/// `task_fallback_after_timeout`: an attempt that runs past the task's timeout fails like any
/// other, so the fallback answers for it.
public enum TaskFallbackAfterTimeoutExample {
    public static let timeout = 0.1

    public static let badTask = task("bad_task", options: TaskOptions(timeout: timeout)) { (input: BadTaskInput) -> String in
        if input.shouldFail { try await Task.sleep(for: .seconds(5)) }   // "takes time": past the timeout
        return "Task #\(input.number) succeed."
    }.with(fallback: { input in "Task #\(input.number) fellback." })

    public static let workflow = FluxCore.workflow(
        "task_fallback_after_timeout", description: "Tasks 1 and 3 time out and their fallback answers"
    ) { (_: ExecutionContext<NoInput>) -> [String] in
        [
            try await badTask(BadTaskInput(1)),
            try await badTask(BadTaskInput(2, shouldFail: false)),
            try await badTask(BadTaskInput(3)),
        ]
    }
}
