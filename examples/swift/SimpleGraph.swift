import Flux

/// `simple_graph`: a workflow shaped as a graph with a conditional edge. `get_name` trims the
/// input; a blank name takes the edge to `default_name` ("World"), any other goes straight to
/// `say_hello`, the end node.
///
/// ```
/// get_name ──(blank)──▶ default_name ──▶ say_hello
///     └──────────(otherwise)──────────────▲
/// ```
public enum SimpleGraphExample {
    public static let getName = task("get_name") { (input: String) in
        input.trimmingCharacters(in: .whitespacesAndNewlines)
    }
    public static let defaultName = task("default_name") { (_: String) in "World" }
    public static let sayHello = task("say_hello") { (name: String) in "Hello, \(name)" }

    public static let graph = Graph("hello_world")
        .add(node: "get_name", task: getName)
        .add(node: "default_name", task: defaultName)
        .add(node: "say_hello", task: sayHello)
        .edge(from: "get_name", to: "default_name", when: { $0.stringValue?.isEmpty ?? true })
        .edge(from: "get_name", to: "say_hello")
        .edge(from: "default_name", to: "say_hello")
        .start(at: "get_name")
        .end(at: "say_hello")

    public static let workflow = FluxCore.workflow(
        "simple_graph", description: "A graph of tasks with a conditional edge for a blank name"
    ) { (ctx: ExecutionContext<String>) -> String in
        try await graph.run(.string(ctx.input)).decode()
    }
}
