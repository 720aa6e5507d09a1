import Flux

/// `task_retries`: a task with `retryMaxAttempts: 3` that fails on its first attempts and then
/// succeeds. `TaskContext.attempt` (0 for the first attempt, n for the n-th retry) makes the
/// failures predictable.
///
/// Input: how many attempts of task #1 fail (default 2, so it succeeds on its second retry);
/// 4 or more exhausts the retries and fails the workflow. Task #2 always succeeds at once.
public enum TaskRetriesExample {
    public struct Attempts: Codable, Sendable, Hashable {
        public var number: Int
        /// Attempts that fail before one succeeds.
        public var failures: Int
    }

    public static let options = TaskOptions(retryMaxAttempts: 3, retryDelay: 0.01, retryBackoff: 2)

    public static let badTask = task("bad_task", options: options) { (input: Attempts, context: TaskContext) -> String in
        if context.attempt < input.failures {
            throw ExampleError.simulatedFailure("task #\(input.number) failed on attempt \(context.attempt)")
        }
        return "task #\(input.number) succeeded on attempt \(context.attempt)"
    }

    public static let workflow = FluxCore.workflow(
        "task_retries", description: "Retries a failing task until it succeeds (input: failing attempts, default 2)"
    ) { (ctx: ExecutionContext<Int?>) -> [String] in
        let failures = ctx.input ?? 2
        return [
            try await badTask(Attempts(number: 1, failures: failures)),
            try await badTask(Attempts(number: 2, failures: 0)),
        ]
    }
}
