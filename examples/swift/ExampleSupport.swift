import Flux

/// Why an example refused its input or failed on purpose.
public enum ExampleError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The workflow needs an input it did not get (the original raised `TypeError("Input not provided")`).
    case missingInput(String)
    /// The input has the wrong shape or is out of range.
    case invalidInput(String)
    /// A task failing on purpose, to show retries, fallbacks and rollbacks.
    case simulatedFailure(String)
    /// A lookup found nothing.
    case notFound(String)

    public var description: String {
        switch self {
        case .missingInput(let why): return "input not provided: \(why)"
        case .invalidInput(let why): return "invalid input: \(why)"
        case .simulatedFailure(let why): return why
        case .notFound(let what): return "not found: \(what)"
        }
    }
}

extension JSONValue {
    /// This object with `changes` applied (keys in `changes` win); a non-object counts as `{}`.
    func merging(_ changes: [String: JSONValue]) -> JSONValue {
        var object = objectValue ?? [:]
        for (key, value) in changes { object[key] = value }
        return .object(object)
    }
}
