import Flux

/// `parallel_tasks`: four greetings run concurrently with `parallel`; the results come back in
/// the order the branches were written, whatever order they finish in.
public enum ParallelTasksExample {
    public static let sayHi = task("say_hi") { (name: String) in "Hi, \(name)" }
    public static let sayHello = task("say_hello") { (name: String) in "Hello, \(name)" }
    public static let digaOla = task("diga_ola") { (name: String) in "Ola, \(name)" }
    public static let saluda = task("saluda") { (name: String) in "Hola, \(name)" }

    public static let workflow = FluxCore.workflow(
        "parallel_tasks", description: "Runs four greeting tasks concurrently"
    ) { (ctx: ExecutionContext<String>) -> [String] in
        try await parallel(
            { try await sayHi(ctx.input) },
            { try await sayHello(ctx.input) },
            { try await digaOla(ctx.input) },
            { try await saluda(ctx.input) }
        )
    }
}
