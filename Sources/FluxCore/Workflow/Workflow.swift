/// A typed workflow written in Swift. Its body re-runs from the top on replay; the task calls in it
/// return their recorded results, so only unfinished work runs again.
///
/// ```swift
/// let sayHello = task("say_hello") { (name: String) in "Hello, \(name)" }
/// let helloWorld = workflow("hello_world") { (ctx: ExecutionContext<String>) in
///     try await sayHello(ctx.input)
/// }
/// let ctx = try await helloWorld.run("World", on: engine)
/// ```
public struct Workflow<Input: Codable & Sendable, Output: Codable & Sendable>: Sendable {
    public let name: String
    public let description: String
    public let inputSchema: JSONValue?
    /// What a worker must have to run it; see ``ResourceRequest``.
    public let requests: ResourceRequest?
    let body: @Sendable (ExecutionContext<Input>) async throws -> Output

    public init(name: String, description: String = "", inputSchema: JSONValue? = nil, requests: ResourceRequest? = nil,
                body: @escaping @Sendable (ExecutionContext<Input>) async throws -> Output) {
        self.name = name
        self.description = description
        self.inputSchema = inputSchema
        self.requests = requests
        self.body = body
    }

    /// The type-erased form the engine runs.
    public var definition: WorkflowDefinition {
        let body = self.body
        return WorkflowDefinition(name: name, description: description, inputSchema: inputSchema, requests: requests) { input, info in
            let typed: Input
            do { typed = try input.decode() } catch { throw EngineError.invalidInput("\(error)") }
            let context = ExecutionContext(
                executionID: info.executionID, workflowName: info.workflowName, workflowVersion: info.workflowVersion,
                input: typed, state: .running, output: .null, events: [])
            return try JSONValue(encoding: try await body(context))
        }
    }

    /// Runs a new execution to its end or its first pause.
    public func run(_ input: Input, on engine: FluxEngine) async throws -> ExecutionContext<Input> {
        await engine.register(definition)
        return try ExecutionContext(snapshot: try await engine.run(workflow: name, input: try JSONValue(encoding: input)))
    }

    /// Continues an execution that a crashed process left unfinished, or returns it as it is when it has finished or is paused.
    public func run(executionID: String, on engine: FluxEngine) async throws -> ExecutionContext<Input> {
        await engine.register(definition)
        return try ExecutionContext(snapshot: try await engine.execute(executionID: executionID))
    }

    /// Resumes a paused execution with `input`; the pause point it waits at returns that input.
    public func resume<R: Encodable>(executionID: String, input: R, on engine: FluxEngine) async throws -> ExecutionContext<Input> {
        await engine.register(definition)
        return try ExecutionContext(snapshot: try await engine.resume(executionID: executionID, input: try JSONValue(encoding: input)))
    }
}

extension Workflow where Input == NoInput {
    /// Runs a workflow that takes no input.
    public func run(on engine: FluxEngine) async throws -> ExecutionContext<NoInput> {
        try await run(NoInput(), on: engine)
    }
}

/// Defines a workflow; `requests` says what a remote worker must have to run it.
///
/// ```swift
/// let greet = workflow("greet") { (ctx: ExecutionContext<String>) in "Hi, \(ctx.input)" }
/// let train = workflow("train", requests: ResourceRequest(memory: 16 << 30, gpu: 1)) { (ctx: ExecutionContext<String>) in … }
/// ```
public func workflow<Input: Codable & Sendable, Output: Codable & Sendable>(
    _ name: String, description: String = "", requests: ResourceRequest? = nil,
    _ body: @escaping @Sendable (ExecutionContext<Input>) async throws -> Output
) -> Workflow<Input, Output> {
    Workflow(name: name, description: description, requests: requests, body: body)
}
