import FluxCore
import Foundation

/// Turns a workflow document into a workflow the engine runs.
///
/// Every step that does work (`set`, `task`, `http`, `exec`, and the `now`/`uuid4`/random built-ins) is one
/// durable task named after the step id, whose recorded arguments are the step's path and its resolved inputs
/// (`{"step": "steps[2]", "input": …}`, plus `"index"` inside a `map`), so replay, retries, timeouts,
/// fallback, cache and secrets behave exactly as for Swift workflows. `sleep`, `pause` and `call` use the
/// engine's durable primitives; `parallel`, `map`, `pipeline` and `graph` compose the steps inside them.
/// docs/workflow-format.md ("Running a document") describes the semantics.
///
/// ```swift
/// let document = try DocumentParser.parse(text: yaml, sourceName: "hello.yaml")[0]
/// await engine.register(DocumentInterpreter.definition(for: document, version: 1, environment: .init()))
/// let snapshot = try await engine.run(workflow: "hello_world", input: "Ada")
/// ```
public enum DocumentInterpreter {
    /// The runnable workflow of `document`. Its body validates the input against the document's input schema
    /// first (an invalid input fails the execution with ``EngineError/invalidInput(_:)``).
    public static func definition(for document: WorkflowDocument, version: Int, environment: InterpreterEnvironment) -> WorkflowDefinition {
        WorkflowDefinition(name: document.name, version: version, description: document.description ?? "",
                           inputSchema: document.inputSchema, requests: document.requests) { input, _ in
            try await DocumentRun(document: document, environment: environment).run(input: input)
        }
    }

    /// Throws ``EngineError/invalidInput(_:)`` (every problem with its path, `input.user.age: expected integer, found "x"`)
    /// when `input` does not satisfy the document's input schema: lets a door refuse a run before creating it.
    public static func validateInput(_ input: JSONValue, for document: WorkflowDocument) throws(EngineError) {
        do { try document.validateInput(input) } catch {
            throw .invalidInput(error.violations.map(\.description).joined(separator: "; "))
        }
    }

    /// Throws ``EngineError/invalidInput(_:)`` when `input` satisfies the input schema of no pause point named
    /// `pauseName` in `document`: lets a door refuse a resume before it is recorded. A pause point without a schema
    /// (or a name the document does not have) accepts anything.
    public static func validateResumeInput(_ input: JSONValue, pauseName: String, in document: WorkflowDocument) throws(EngineError) {
        let points = document.pausePoints.filter { $0.name == pauseName }
        var problems: [String] = []
        for point in points {
            guard let validator = point.inputValidator else { return }
            let violations = validator.violations(of: input, root: "resume input")
            if violations.isEmpty { return }
            problems.append(contentsOf: violations.map(\.description))
        }
        if !problems.isEmpty { throw .invalidInput(problems.joined(separator: "; ")) }
    }
}

extension WorkflowDocument {
    /// Every pause point of the workflow, nested ones included, in document order.
    public var pausePoints: [PausePoint] {
        var out: [PausePoint] = []
        for step in steps {
            step.body.forEachBody { body in
                if case .pause(let point) = body.kind { out.append(point) }
            }
        }
        return out
    }
}

/// Why a step failed, naming the step.
public struct StepError: Error, Sendable, Hashable, CustomStringConvertible {
    public let step: String
    public let message: String

    public init(step: String, message: String) {
        self.step = step
        self.message = message
    }

    public var description: String { "step \(step): \(message)" }
}
