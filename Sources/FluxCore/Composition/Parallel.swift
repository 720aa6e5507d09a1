/// Runs branches concurrently and returns their results in order. Inside a workflow each branch numbers
/// its task calls in a scope of its own, so ids stay deterministic whatever the scheduling.
///
/// ```swift
/// let greetings = try await parallel(
///     { try await sayHi(ctx.input) },
///     { try await sayHello(ctx.input) }
/// )
/// ```
public func parallel<T: Sendable>(_ branches: (@Sendable () async throws -> T)...) async throws -> [T] {
    try await parallel(branches)
}

/// Runs an array of branches concurrently, at most `limit` at a time (all at once by default); see
/// ``parallel(_:)-(()->T...)``. Task ids do not depend on the limit.
///
/// ```swift
/// let pages = try await parallel(urls.map { url in { try await fetch(url) } }, limit: 8)
/// ```
public func parallel<T: Sendable>(_ branches: [@Sendable () async throws -> T], limit: Int? = nil) async throws -> [T] {
    guard !branches.isEmpty else { return [] }
    let scopes: [String]
    if let runtime = RuntimeContext.runtime {
        let base = await runtime.nextCompositionScope(in: RuntimeContext.scope, kind: "parallel")
        scopes = branches.indices.map { "\(base).\($0)" }
    } else {
        scopes = branches.indices.map { _ in RuntimeContext.scope }
    }
    return try await boundedMap(count: branches.count, limit: limit ?? branches.count) { i in
        try await RuntimeContext.$scope.withValue(scopes[i]) { try await branches[i]() }
    }
}
