/// An execution seen from Swift: what a workflow body receives, and what `run` returns.
///
/// ```swift
/// let ctx = try await helloWorld.run("World")
/// ctx.hasSucceeded        // true
/// ctx.output              // "Hello, World"
/// ctx.events.map(\.type)  // [.workflowStarted, .taskStarted, .taskCompleted, .workflowCompleted]
/// ```
public struct ExecutionContext<Input: Codable & Sendable>: Sendable {
    public let executionID: String
    public let workflowName: String
    public let workflowVersion: Int
    public let input: Input
    public let state: ExecutionState
    /// The result once COMPLETED; `{type, message}` once FAILED.
    public let output: JSONValue
    public let events: [ExecutionEvent]

    public init(executionID: String, workflowName: String, workflowVersion: Int, input: Input, state: ExecutionState, output: JSONValue, events: [ExecutionEvent]) {
        self.executionID = executionID
        self.workflowName = workflowName
        self.workflowVersion = workflowVersion
        self.input = input
        self.state = state
        self.output = output
        self.events = events
    }

    public init(snapshot: ExecutionSnapshot) throws {
        self.init(
            executionID: snapshot.record.id, workflowName: snapshot.record.workflowName,
            workflowVersion: snapshot.record.workflowVersion, input: try snapshot.record.input.decode(),
            state: snapshot.record.state, output: snapshot.record.output, events: snapshot.events)
    }

    public var hasFinished: Bool { state.isTerminal }
    public var hasSucceeded: Bool { state == .completed }
    public var hasFailed: Bool { state == .failed }
    public var isPaused: Bool { state == .paused }
    public var isCancelled: Bool { state == .cancelled }
    public var isRunning: Bool { state.isActive }

    /// The output decoded as `T`.
    public func output<T: Decodable>(as type: T.Type) throws -> T { try output.decode(T.self) }

    /// The name of the pause point a PAUSED execution waits at.
    public var pauseName: String? {
        isPaused ? events.last(where: { $0.type == .workflowPaused })?.value.stringValue : nil
    }

    /// The error message of a FAILED execution.
    public var errorMessage: String? { hasFailed ? output["message"]?.stringValue : nil }
}
