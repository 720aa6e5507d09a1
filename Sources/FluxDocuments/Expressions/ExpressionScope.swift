import FluxCore

/// The values an expression can read while a workflow runs.
///
/// ```swift
/// var scope = ExpressionScope(input: ["name": "Ada"])
/// scope.steps["greet"] = "Hello, Ada"
/// ```
public struct ExpressionScope: Sendable, Hashable {
    /// The workflow input (`input`).
    public var input: JSONValue
    /// Outputs of the steps that have finished, by step id (`steps.<id>.output`); a skipped step's output is `null`.
    public var steps: [String: JSONValue]
    /// Secret values by name (`secrets.<NAME>`).
    public var secrets: [String: String]
    /// The current element inside a `map` body (`item`).
    public var item: JSONValue?
    /// The current position inside a `map` body (`index`).
    public var index: Int?
    /// The previous step's output inside a `pipeline` (`previous`).
    public var previous: JSONValue?
    /// The `from` node's output inside a graph edge's `when` (`output`).
    public var output: JSONValue?

    public init(
        input: JSONValue = .null,
        steps: [String: JSONValue] = [:],
        secrets: [String: String] = [:],
        item: JSONValue? = nil,
        index: Int? = nil,
        previous: JSONValue? = nil,
        output: JSONValue? = nil
    ) {
        self.input = input
        self.steps = steps
        self.secrets = secrets
        self.item = item
        self.index = index
        self.previous = previous
        self.output = output
    }
}

/// Bounds on what one evaluation may produce.
public struct EvaluationLimits: Sendable, Hashable {
    /// Longest string an expression may produce, in UTF-8 bytes.
    public var maxStringBytes: Int
    /// Longest array an expression may produce.
    public var maxArrayLength: Int

    public init(maxStringBytes: Int = 1 << 20, maxArrayLength: Int = 100_000) {
        self.maxStringBytes = maxStringBytes
        self.maxArrayLength = maxArrayLength
    }

    public static let `default` = EvaluationLimits()
}

/// Why an expression could not be evaluated: the sub-expression that failed and what went wrong.
///
/// ```text
/// steps.fetch.output.items[3]: index out of range (length 2)
/// ```
public struct ExpressionError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The sub-expression that failed, as text.
    public var subject: String
    public var message: String
    /// Whether the failure is a missing value (unknown step, index out of range, member of null), which `default()` absorbs.
    public var isLookupFailure: Bool

    public init(subject: String, message: String, isLookupFailure: Bool = false) {
        self.subject = subject
        self.message = message
        self.isLookupFailure = isLookupFailure
    }

    public var description: String { "\(subject): \(message)" }
}
