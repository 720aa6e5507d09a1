/// Task-local state that connects task calls to the execution they run in.
enum RuntimeContext {
    /// The execution whose workflow body is running on this Swift task, if any.
    @TaskLocal static var runtime: ExecutionRuntime?
    /// Where in the workflow the current code runs: empty at the top level, the enclosing task id inside
    /// a task body, a branch path inside `parallel`. Part of every task id, so that concurrent branches
    /// number their calls independently and deterministically.
    @TaskLocal static var scope: String = ""
}
