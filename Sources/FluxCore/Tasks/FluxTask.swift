import Foundation

/// A typed task: call it like a function inside a workflow and the call is durable.
///
/// ```swift
/// let sayHello = task("say_hello") { (name: String) in "Hello, \(name)" }
/// let risky = task("risky", options: TaskOptions(retryMaxAttempts: 3, timeout: 5)) { (url: String) in try await fetch(url) }
/// let greeting = try await sayHello("World")
/// ```
public struct FluxTask<Input: Codable & Sendable, Output: Codable & Sendable>: Sendable {
    public let definition: TaskDefinition

    public var name: String { definition.name }

    public init(definition: TaskDefinition) {
        self.definition = definition
    }

    public init(name: String, options: TaskOptions = TaskOptions(), body: @escaping @Sendable (Input, TaskContext) async throws -> Output) {
        definition = TaskDefinition(name: name, options: options) { arguments, context in
            let input: Input = try arguments.decode()
            return try JSONValue(encoding: try await body(input, context))
        }
    }

    /// Runs the task with `input` (durably inside a workflow).
    public func callAsFunction(_ input: Input) async throws -> Output {
        try await definition.invoke(arguments: try JSONValue(encoding: input)).decode()
    }

    /// Runs the task once per element, concurrently (at most the engine's map concurrency at a time),
    /// and returns the outputs in the order of `inputs`. Each item is its own durable task call.
    public func map(_ inputs: [Input], concurrency: Int? = nil) async throws -> [Output] {
        let arguments = try inputs.map { try JSONValue(encoding: $0) }
        return try await TaskMap.run(definition, over: arguments, concurrency: concurrency).map { try $0.decode() }
    }

    /// A copy with other options.
    public func with(options: TaskOptions) -> FluxTask {
        var definition = self.definition
        definition.options = options
        return FluxTask(definition: definition)
    }

    /// A copy whose fallback is `fallback`, called with the same input when every attempt has failed.
    public func with(fallback: @escaping @Sendable (Input) async throws -> Output) -> FluxTask {
        var options = definition.options
        options.fallback = { arguments, _ in try JSONValue(encoding: try await fallback(try arguments.decode())) }
        return with(options: options)
    }

    /// A copy whose rollback is `rollback`, called with the same input when the task finally fails or is cancelled.
    public func with(rollback: @escaping @Sendable (Input) async throws -> Void) -> FluxTask {
        var options = definition.options
        options.rollback = { arguments, _ in
            try await rollback(try arguments.decode())
            return .null
        }
        return with(options: options)
    }
}

extension FluxTask where Input == NoInput {
    /// Runs a task that takes no input.
    public func callAsFunction() async throws -> Output {
        try await callAsFunction(NoInput())
    }
}

/// Defines a task of one input.
///
/// ```swift
/// let square = task("square") { (x: Int) in x * x }
/// ```
public func task<Input: Codable & Sendable, Output: Codable & Sendable>(
    _ name: String, options: TaskOptions = TaskOptions(), _ body: @escaping @Sendable (Input) async throws -> Output
) -> FluxTask<Input, Output> {
    FluxTask(name: name, options: options) { input, _ in try await body(input) }
}

/// Defines a task of one input whose body also receives its ``TaskContext`` (secrets, metadata, attempt).
///
/// ```swift
/// let call = task("call_api", options: TaskOptions(secretRequests: ["API_KEY"])) { (path: String, ctx: TaskContext) in
///     "\(path)?key=\(ctx.secrets["API_KEY"] ?? "")"
/// }
/// ```
public func task<Input: Codable & Sendable, Output: Codable & Sendable>(
    _ name: String, options: TaskOptions = TaskOptions(), _ body: @escaping @Sendable (Input, TaskContext) async throws -> Output
) -> FluxTask<Input, Output> {
    FluxTask(name: name, options: options, body: body)
}

/// Defines a task that takes no input.
///
/// ```swift
/// let roll = task("roll") { Int.random(in: 1...6) }
/// let n = try await roll()
/// ```
public func task<Output: Codable & Sendable>(
    _ name: String, options: TaskOptions = TaskOptions(), _ body: @escaping @Sendable () async throws -> Output
) -> FluxTask<NoInput, Output> {
    FluxTask(name: name, options: options) { (_: NoInput, _) in try await body() }
}

/// Defines a task of two inputs; they are recorded as a two-element array.
///
/// ```swift
/// let add = task("add") { (a: Int, b: Int) in a + b }
/// let five = try await add(2, 3)
/// ```
public func task<A: Codable & Sendable, B: Codable & Sendable, Output: Codable & Sendable>(
    _ name: String, options: TaskOptions = TaskOptions(), _ body: @escaping @Sendable (A, B) async throws -> Output
) -> FluxTask2<A, B, Output> {
    FluxTask2(definition: TaskDefinition(name: name, options: options) { arguments, _ in
        guard case .array(let pair) = arguments, pair.count == 2 else {
            throw JSONConversionError(message: "task \(name) expects two arguments, got \(arguments.canonicalJSON.prefix(200))")
        }
        return try JSONValue(encoding: try await body(try pair[0].decode(), try pair[1].decode()))
    })
}

/// A task of two inputs (see ``task(_:options:_:)-(_,_,(A,B)->Output)``).
public struct FluxTask2<A: Codable & Sendable, B: Codable & Sendable, Output: Codable & Sendable>: Sendable {
    public let definition: TaskDefinition

    public func callAsFunction(_ a: A, _ b: B) async throws -> Output {
        try await definition.invoke(arguments: .array([try JSONValue(encoding: a), try JSONValue(encoding: b)])).decode()
    }
}
