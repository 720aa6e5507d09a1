/// Feeds `input` through `tasks` in order, each task receiving the previous one's output.
///
/// ```swift
/// let result = try await pipeline(multiplyByTwo, addThree, square, input: 4)   // ((4*2)+3)^2 = 121
/// ```
public func pipeline<T: Codable & Sendable>(_ tasks: FluxTask<T, T>..., input: T) async throws -> T {
    var value = input
    for task in tasks { value = try await task(value) }
    return value
}

/// Feeds `input` through task definitions in order over JSON values.
public func pipeline(_ tasks: [TaskDefinition], input: JSONValue) async throws -> JSONValue {
    var value = input
    for task in tasks { value = try await task.invoke(arguments: value) }
    return value
}
