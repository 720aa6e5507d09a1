import Foundation

/// The built-in tasks. Each is an ordinary durable task, so a replayed execution gets back the value
/// recorded the first time: the time, the random numbers and the ids do not change on replay.
public enum Builtins {
    public static let now = TaskDefinition(name: "now") { _, _ in .string(Timestamp.format(Date())) }

    public static let uuid4 = TaskDefinition(name: "uuid4") { _, _ in .string(UUID().uuidString.lowercased()) }

    /// Arguments: the array of options.
    public static let choice = TaskDefinition(name: "choice") { arguments, _ in
        guard let options = arguments.arrayValue, let pick = options.randomElement() else {
            throw BuiltinError.invalidArguments("choice needs a non-empty array of options, got \(arguments.canonicalJSON.prefix(100))")
        }
        return pick
    }

    /// Arguments: `[min, max]`, both included.
    public static let randint = TaskDefinition(name: "randint") { arguments, _ in
        guard let lo = arguments[0]?.intValue, let hi = arguments[1]?.intValue, lo <= hi else {
            throw BuiltinError.invalidArguments("randint needs [min, max] integers with min <= max, got \(arguments.canonicalJSON.prefix(100))")
        }
        return .int(Int.random(in: lo...hi))
    }

    /// Arguments: `[start, stop, step]`: a random element of `stride(from: start, to: stop, by: step)`.
    public static let randrange = TaskDefinition(name: "randrange") { arguments, _ in
        guard let start = arguments[0]?.intValue, let stop = arguments[1]?.intValue else {
            throw BuiltinError.invalidArguments("randrange needs [start, stop, step] integers, got \(arguments.canonicalJSON.prefix(100))")
        }
        let step = arguments[2]?.intValue ?? 1
        guard step != 0 else { throw BuiltinError.invalidArguments("randrange step must not be 0") }
        let count = step > 0 ? (stop - start + step - 1) / step : (start - stop - step - 1) / -step
        guard count > 0 else { throw BuiltinError.invalidArguments("randrange(\(start), \(stop), \(step)) is empty") }
        return .int(start + step * Int.random(in: 0..<count))
    }
}

public struct BuiltinError: Error, Sendable, Hashable, CustomStringConvertible {
    public let message: String
    static func invalidArguments(_ message: String) -> BuiltinError { BuiltinError(message: message) }
    public var description: String { message }
}

/// The current time, recorded once and replayed.
public func now() async throws -> Date {
    let text = try await Builtins.now.invoke(arguments: .null)
    return text.stringValue.flatMap(Timestamp.parse) ?? Date()
}

/// A random UUID, recorded once and replayed.
public func uuid4() async throws -> String {
    try await Builtins.uuid4.invoke(arguments: .null).decode()
}

/// A random element of `options`, recorded once and replayed.
public func choice<T: Codable & Sendable>(_ options: [T]) async throws -> T {
    try await Builtins.choice.invoke(arguments: try JSONValue(encoding: options)).decode()
}

/// A random integer in `min...max`, recorded once and replayed.
public func randint(_ min: Int, _ max: Int) async throws -> Int {
    try await Builtins.randint.invoke(arguments: [.int(min), .int(max)]).decode()
}

/// A random element of `stride(from: start, to: stop, by: step)`, recorded once and replayed.
public func randrange(_ start: Int, _ stop: Int, step: Int = 1) async throws -> Int {
    try await Builtins.randrange.invoke(arguments: [.int(start), .int(stop), .int(step)]).decode()
}
