import Flux

/// `multiple_pause_points`: five pauses in one workflow (`verify_setup`, `validate_data`,
/// `monitor_progress_1`, `monitor_progress_2`, `final_approval`), each resumed in turn; the state
/// built by the tasks between them is replayed, never recomputed.
public enum MultiplePausePointsExample {
    public static let pauseNames = ["verify_setup", "validate_data", "monitor_progress_1", "monitor_progress_2", "final_approval"]
    public static let totalChunks = 3

    public static let initProcess = task("init_process") { () -> JSONValue in
        ["stage": "init", "status": "complete"]
    }

    public static let loadData = task("load_data") { (state: JSONValue) -> JSONValue in
        state.merging(["stage": "data_loaded", "data_size": 1000])
    }

    public static let processChunk = task("process_chunk") { (state: JSONValue, chunk: Int) -> JSONValue in
        let processed = state["chunks_processed"]?.intValue ?? 0
        return state.merging(["current_chunk": .int(chunk), "chunks_processed": .int(processed + 1)])
    }

    public static let workflow = FluxCore.workflow(
        "multiple_pause_points", description: "Pauses five times: setup, data, two progress checks, approval"
    ) { (_: ExecutionContext<NoInput>) -> JSONValue in
        var state = try await initProcess()
        try await pause("verify_setup")
        state = try await loadData(state)
        try await pause("validate_data")
        for chunk in 1...totalChunks {
            state = try await processChunk(state, chunk)
            if chunk < totalChunks { try await pause("monitor_progress_\(chunk)") }
        }
        try await pause("final_approval")
        return state.merging(["stage": "complete", "message": "Workflow completed successfully"])
    }
}
