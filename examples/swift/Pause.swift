import Flux

/// `pause`: the workflow processes some data, then stops in PAUSED at `wait_for_approval` until
/// someone resumes it. On resume the completed task is not run again: its recorded result is replayed.
///
/// ```swift
/// let paused = try await PauseExample.workflow.run(on: engine)       // PAUSED at wait_for_approval
/// let done = try await PauseExample.workflow.resume(executionID: paused.executionID, input: "ok", on: engine)
/// done.output   // "Data processed and approved"
/// ```
public enum PauseExample {
    /// Simulates some processing with a (durable) sleep inside the task.
    public static let processData = task("process_data") { () -> String in
        try await sleep(seconds: 0.05)
        return "Data processed"
    }

    public static let workflow = FluxCore.workflow(
        "pause", description: "Processes data, then pauses for approval"
    ) { (_: ExecutionContext<NoInput>) -> String in
        let result = try await processData()
        try await pause("wait_for_approval", output: ["result": .string(result)])
        return result + " and approved"
    }
}
