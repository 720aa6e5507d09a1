import Flux

/// `simple_pipeline`: `pipeline` feeds the input through three tasks in turn, `((x * 2) + 3)²`.
///
/// `5` gives `169`. A zero input fails, as in the original (`if not ctx.input`).
public enum SimplePipelineExample {
    public static let multiplyByTwo = task("multiply_by_two") { (x: Int) in x &* 2 }
    public static let addThree = task("add_three") { (x: Int) in x &+ 3 }
    public static let square = task("square") { (x: Int) in x &* x }

    public static let workflow = FluxCore.workflow(
        "simple_pipeline", description: "Computes ((x * 2) + 3)² with a pipeline of three tasks"
    ) { (ctx: ExecutionContext<Int>) -> Int in
        guard ctx.input != 0 else { throw ExampleError.missingInput("simple_pipeline needs a non-zero integer") }
        return try await pipeline(multiplyByTwo, addThree, square, input: ctx.input)
    }
}
