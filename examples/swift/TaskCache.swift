import Flux

/// `task_cache`: a task with `cache: true` stores its result under a hash of its name and
/// arguments; later calls with the same arguments, in this execution or any other on the same
/// store, return the stored result without running the body.
///
/// Input `[a, b, n]`: calls `multiply(a, b)` n times and returns the n results.
public enum TaskCacheExample {
    public static let multiply = task("multiply", options: TaskOptions(cache: true)) { (a: Int, b: Int) in a &* b }

    public static let workflow = FluxCore.workflow(
        "task_cache", description: "Calls a cached task n times: [a, b, n]"
    ) { (ctx: ExecutionContext<[Int]>) -> [Int] in
        guard ctx.input.count == 3, (0...1000).contains(ctx.input[2]) else {
            throw ExampleError.invalidInput("task_cache needs [a, b, n] with 0 <= n <= 1000")
        }
        let (a, b, n) = (ctx.input[0], ctx.input[1], ctx.input[2])
        var results: [Int] = []
        for _ in 0..<n { results.append(try await multiply(a, b)) }
        return results
    }
}
