import Flux

/// `cancellation`: a long-running task that checks for cancellation at every step. Cancel the
/// execution while it runs (`engine.cancel(executionID:)`): the task in flight sees Swift task
/// cancellation, its rollback cleans up, and the execution ends CANCELLED.
///
/// Input `{"iterations": 10, "interval": 1}` (both optional): the task works `iterations` times for
/// `interval` seconds each, and returns `[0, 1, …, iterations - 1]` if nobody cancels it.
public enum CancellationExample {
    public struct Work: Codable, Sendable, Hashable {
        public var iterations: Int
        public var interval: Double
    }

    public static let longRunningTask = task("long_running_task") { (work: Work) -> [Int] in
        var results: [Int] = []
        for i in 0..<work.iterations {
            try await Task.sleep(for: .seconds(work.interval))   // throws CancellationError once cancelled
            results.append(i)
        }
        return results
    }.with(rollback: { _ in
        // Release whatever the task held: it runs when the task fails for good or is cancelled.
    })

    public static let workflow = FluxCore.workflow(
        "cancellation", description: "A long-running task to cancel while it runs"
    ) { (ctx: ExecutionContext<JSONValue>) -> [Int] in
        let iterations = ctx.input["iterations"]?.intValue ?? 10
        let interval = ctx.input["interval"]?.doubleValue ?? 1
        guard (0...100_000).contains(iterations), interval >= 0, interval <= 3600 else {
            throw ExampleError.invalidInput("iterations must be 0...100000 and interval 0...3600 seconds")
        }
        return try await longRunningTask(Work(iterations: iterations, interval: interval))
    }
}
