import Flux

/// `hello_world`: the smallest workflow, one task that greets its input.
///
/// An empty name fails the execution, as the original raised `TypeError` when it got no input.
///
/// ```swift
/// let ctx = try await HelloWorldExample.workflow.run("World", on: engine)
/// ctx.output   // "Hello, World"
/// ```
public enum HelloWorldExample {
    public static let sayHello = task("say_hello") { (name: String) in "Hello, \(name)" }

    public static let workflow = FluxCore.workflow(
        "hello_world", description: "Greets the input name with one task"
    ) { (ctx: ExecutionContext<String>) -> String in
        guard !ctx.input.isEmpty else { throw ExampleError.missingInput("hello_world needs a name, e.g. \"World\"") }
        return try await sayHello(ctx.input)
    }
}
