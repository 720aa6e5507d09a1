import Flux

/// One example: a port of one file of the original Flux's `examples/`.
public struct Example: Sendable {
    /// The example's name (its file in the original, and its main workflow's name).
    public let name: String
    /// What it shows.
    public let summary: String
    /// Its workflows, the main one first.
    public let workflows: [WorkflowDefinition]
    /// A JSON input to run the main workflow with.
    public let sampleInput: String
}

/// Every example, and a registry of their workflows by name.
///
/// ```swift
/// await Examples.register(on: engine)
/// let snapshot = try await engine.run(workflow: "hello_world", input: "World")
/// ```
public enum Examples {
    public static let catalog: [Example] = [
        Example(name: "hello_world", summary: "One task greets the input; an empty name fails",
                workflows: [HelloWorldExample.workflow.definition], sampleInput: #""World""#),
        Example(name: "parallel_tasks", summary: "Four tasks run concurrently with parallel",
                workflows: [ParallelTasksExample.workflow.definition], sampleInput: #""Joe""#),
        Example(name: "simple_pipeline", summary: "pipeline: ((x * 2) + 3)²",
                workflows: [SimplePipelineExample.workflow.definition], sampleInput: "5"),
        Example(name: "nested_tasks", summary: "Tasks calling tasks, three levels deep",
                workflows: [NestedTasksExample.workflow.definition], sampleInput: "null"),
        Example(name: "determinism", summary: "now, uuid4, randint, randrange and choice replay to their recorded values",
                workflows: [DeterminismExample.workflow.definition], sampleInput: "null"),
        Example(name: "sleep", summary: "Durable sleeps that resume with only the remaining time",
                workflows: [SleepExample.workflow.definition], sampleInput: "null"),
        Example(name: "pause", summary: "Pauses for approval; resume to finish",
                workflows: [PauseExample.workflow.definition], sampleInput: "null"),
        Example(name: "pause_with_input", summary: "Pause points return the resume input; several pauses; a conditional pause",
                workflows: [PauseWithInputExample.workflow.definition, PauseWithInputExample.multipleInputs.definition,
                            PauseWithInputExample.conditional.definition],
                sampleInput: "null"),
        Example(name: "multiple_pause_points", summary: "Five pauses resumed in turn",
                workflows: [MultiplePausePointsExample.workflow.definition], sampleInput: "null"),
        Example(name: "cancellation", summary: "A long-running task cancelled while it runs",
                workflows: [CancellationExample.workflow.definition], sampleInput: #"{"iterations": 10, "interval": 1}"#),
        Example(name: "simple_graph", summary: "A graph of tasks with a conditional edge",
                workflows: [SimpleGraphExample.workflow.definition], sampleInput: #""Joe""#),
        Example(name: "task_cache", summary: "Cached task results reused across calls and executions",
                workflows: [TaskCacheExample.workflow.definition], sampleInput: "[2, 3, 3]"),
        Example(name: "task_fallback", summary: "A failed task's fallback completes it",
                workflows: [TaskFallbackExample.workflow.definition], sampleInput: "null"),
        Example(name: "task_fallback_after_retry", summary: "The fallback runs once the retries are exhausted",
                workflows: [TaskFallbackAfterRetryExample.workflow.definition], sampleInput: "null"),
        Example(name: "task_fallback_after_timeout", summary: "The fallback answers for a task that timed out",
                workflows: [TaskFallbackAfterTimeoutExample.workflow.definition], sampleInput: "null"),
        Example(name: "task_map", summary: "task.map over a list, concurrently and in order",
                workflows: [TaskMapExample.workflow.definition], sampleInput: "10"),
        Example(name: "task_retries", summary: "Retries with exponential backoff until the task succeeds",
                workflows: [TaskRetriesExample.workflow.definition], sampleInput: "2"),
        Example(name: "task_rollback", summary: "A task that fails for good is rolled back",
                workflows: [TaskRollbackExample.workflow.definition], sampleInput: "null"),
        Example(name: "task_timeout", summary: "Task timeouts, also from inside another task",
                workflows: [TaskTimeoutExample.workflow.definition, TaskTimeoutExample.nested.definition], sampleInput: "null"),
        Example(name: "using_secrets", summary: "A task gets a secret; its value is redacted from everything stored",
                workflows: [UsingSecretsExample.workflow.definition], sampleInput: "null"),
        Example(name: "fibo_benchmark", summary: "One task per iteration, named after it",
                workflows: [FiboBenchmarkExample.workflow.definition], sampleInput: "[10, 25]"),
        Example(name: "subflows", summary: "A workflow calling another as child executions",
                workflows: [SubflowsExample.workflow.definition, SubflowsExample.getStars.definition],
                sampleInput: #"["python/cpython", "microsoft/vscode"]"#),
    ]

    /// Every example workflow.
    public static let all: [WorkflowDefinition] = catalog.flatMap(\.workflows)

    /// The example workflows by name.
    public static let byName: [String: WorkflowDefinition] = Dictionary(all.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })

    /// The workflow named `name`, if it is one of the examples.
    public static func workflow(named name: String) -> WorkflowDefinition? { byName[name] }

    /// Registers every example workflow with `engine`.
    public static func register(on engine: FluxEngine) async {
        for definition in all { await engine.register(definition) }
    }
}
