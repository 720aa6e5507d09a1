import Flux

/// `task_map`: `task.map(items)` runs one durable call per item, concurrently (bounded by the
/// engine's map concurrency), and returns the results in the order of the items.
///
/// Input `n`: maps `count` over `0..<n` (`count(k)` is `[0, …, k]`) and returns how many results came back.
public enum TaskMapExample {
    public static let count = task("count") { (to: Int) in Array(0...max(0, to)) }

    public static let workflow = FluxCore.workflow(
        "task_map", description: "Maps a task over 0..<n and counts the results"
    ) { (ctx: ExecutionContext<Int>) -> Int in
        guard (0...10_000).contains(ctx.input) else { throw ExampleError.invalidInput("task_map needs 0 <= n <= 10000") }
        let results = try await count.map(Array(0..<ctx.input))
        return results.count
    }
}
