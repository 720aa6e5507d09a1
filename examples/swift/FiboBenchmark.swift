import Flux

/// `fibo_benchmark`: one task per iteration, each named after its iteration (`sum_fibo_0`,
/// `sum_fibo_1`, …), as the original's templated name `sum_fibo_{iteration}` did. Computes
/// the n-th Fibonacci number naively, `iterations` times.
///
/// Input `[iterations, n]`, e.g. `[10, 25]`; output `{"Iteration #0": fibo(n), …}`.
public enum FiboBenchmarkExample {
    /// The naive, exponential Fibonacci the benchmark burns time with.
    public static func fibo(_ n: Int) -> Int {
        n <= 1 ? n : fibo(n - 1) + fibo(n - 2)
    }

    /// The task of one iteration: its name carries the iteration.
    public static func sumFibo(iteration: Int) -> FluxTask<Int, Int> {
        task("sum_fibo_\(iteration)") { (n: Int) in fibo(n) }
    }

    public static let workflow = FluxCore.workflow(
        "fibo_benchmark", description: "Computes fibo(n) in `iterations` separately named tasks: [iterations, n]"
    ) { (ctx: ExecutionContext<[Int]>) -> [String: Int] in
        guard ctx.input.count == 2, (0...1000).contains(ctx.input[0]), (0...35).contains(ctx.input[1]) else {
            throw ExampleError.invalidInput("fibo_benchmark needs [iterations, n] with 0 <= iterations <= 1000 and 0 <= n <= 35")
        }
        var results: [String: Int] = [:]
        for i in 0..<ctx.input[0] {
            results["Iteration #\(i)"] = try await sumFibo(iteration: i)(ctx.input[1])
        }
        return results
    }
}
