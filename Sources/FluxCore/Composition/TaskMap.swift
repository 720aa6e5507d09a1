/// Runs one task over many arguments with bounded concurrency.
enum TaskMap {
    static func run(_ definition: TaskDefinition, over arguments: [JSONValue], concurrency: Int?) async throws -> [JSONValue] {
        guard !arguments.isEmpty else { return [] }
        guard let runtime = RuntimeContext.runtime else {
            return try await boundedMap(count: arguments.count, limit: concurrency ?? 64) { i in
                try await definition.invoke(arguments: arguments[i])
            }
        }
        // Number the calls in order before any of them starts, so ids do not depend on scheduling.
        let contentIDs = arguments.map { TaskIdentity.contentID(name: definition.name, arguments: $0) }
        let taskIDs = await runtime.nextTaskIDs(contentIDs: contentIDs, scope: RuntimeContext.scope)
        try checkMapItems(arguments.count)
        let limit = concurrency ?? runtime.services.mapConcurrency
        return try await boundedMap(count: arguments.count, limit: limit) { i in
            try await definition.invoke(arguments: arguments[i], runtime: runtime, taskID: taskIDs[i], contentID: contentIDs[i])
        }
    }
}

/// Calls `body` for 0..<count with at most `limit` calls in flight; results in index order.
/// The first error cancels the calls still running and is rethrown. A call that pauses (``pause(_:output:)``) does not
/// stop the others: every one runs until it ends or pauses too, so that each branch waiting for a resume is recorded
/// and can be resumed on its own; then the pause is rethrown.
///
/// ```swift
/// let squares = try await boundedMap(count: 10, limit: 3) { i in i * i }
/// ```
public func boundedMap<T: Sendable>(count: Int, limit: Int, _ body: @escaping @Sendable (Int) async throws -> T) async throws -> [T] {
    let limit = max(1, limit)
    return try await withThrowingTaskGroup(of: (Int, BranchOutcome<T>).self) { group in
        var results = [T?](repeating: nil, count: count)
        var firstPause: PauseRequested?
        var next = 0
        while next < min(limit, count) {
            let i = next
            group.addTask { (i, try await BranchOutcome.of(i, body)) }
            next += 1
        }
        while let (i, ended) = try await group.next() {
            switch ended {
            case .value(let value): results[i] = value
            case .paused(let pause): if firstPause == nil { firstPause = pause }
            }
            if next < count {
                let j = next
                group.addTask { (j, try await BranchOutcome.of(j, body)) }
                next += 1
            }
        }
        if let firstPause { throw firstPause }
        return results.compactMap { $0 }
    }
}

/// How one call of ``boundedMap(count:limit:_:)`` ended, short of an error.
private enum BranchOutcome<T: Sendable>: Sendable {
    case value(T)
    case paused(PauseRequested)

    /// Calls `body(i)`: its value, or the pause it asked for; any other error is thrown.
    static func of(_ i: Int, _ body: @Sendable (Int) async throws -> T) async throws -> BranchOutcome<T> {
        do { return .value(try await body(i)) } catch let pause as PauseRequested { return .paused(pause) }
    }
}
