import Foundation

/// A named unit of work with its options, over JSON values. ``FluxTask`` is the typed face of it;
/// workflow documents build these directly.
///
/// ```swift
/// let upper = TaskDefinition(name: "upper") { args, _ in .string(args.stringValue?.uppercased() ?? "") }
/// let result = try await upper.invoke(arguments: "hi")   // "HI"
/// ```
public struct TaskDefinition: Sendable {
    public let name: String
    public var options: TaskOptions
    public let body: TaskBody

    public init(name: String, options: TaskOptions = TaskOptions(), body: @escaping TaskBody) {
        self.name = name
        self.options = options
        self.body = body
    }

    /// Runs the task. Inside a workflow the call is durable: recorded, replayed, retried, cached as its
    /// options say. Outside a workflow the body simply runs once.
    public func invoke(arguments: JSONValue) async throws -> JSONValue {
        guard let runtime = RuntimeContext.runtime else {
            guard options.secretRequests.isEmpty else { throw EngineError.secretsOutsideWorkflow(task: name) }
            return try await body(arguments, TaskContext())
        }
        let contentID = TaskIdentity.contentID(name: name, arguments: arguments)
        let taskID = await runtime.nextTaskID(contentID: contentID, scope: RuntimeContext.scope)
        return try await TaskExecution(definition: self, runtime: runtime, taskID: taskID, contentID: contentID, arguments: arguments).run()
    }

    /// Runs the task under an id chosen by the caller (``FluxTask/map(_:)`` numbers its items up front).
    func invoke(arguments: JSONValue, runtime: ExecutionRuntime, taskID: String, contentID: String) async throws -> JSONValue {
        try await TaskExecution(definition: self, runtime: runtime, taskID: taskID, contentID: contentID, arguments: arguments).run()
    }

}

/// One durable call of a task: replay, cache, attempts, retries, fallback, rollback, events.
struct TaskExecution {
    let definition: TaskDefinition
    let runtime: ExecutionRuntime
    let taskID: String
    let contentID: String
    let arguments: JSONValue

    var name: String { definition.name }
    var options: TaskOptions { definition.options }

    func run() async throws -> JSONValue {
        let history = await runtime.history(of: taskID)
        if let value = history?.completed { return value }
        if let failure = history?.failed { throw TaskFailedError(recorded: failure, taskID: taskID, taskName: name) }

        if options.cache, let cached = try await runtime.services.cache.cachedValue(key: contentID) {
            await runtime.append(.taskStarted, source: taskID, name: name, value: arguments)
            await runtime.append(.taskCompleted, source: taskID, name: name, value: cached)
            return cached
        }
        try await runtime.startTask(taskID: taskID, name: name, arguments: arguments, alreadyStarted: history?.started != nil,
                                    sideEffectFree: options.sideEffectFree)

        var secrets: [String: String] = [:]
        if !options.secretRequests.isEmpty {
            do {
                secrets = try await runtime.secrets(named: options.secretRequests)
            } catch {
                return try await fail(with: error, context: TaskContext())
            }
        }
        let metadata = options.metadata ? TaskMetadata(taskID: taskID, taskName: name) : nil
        let retriesDone = history?.retryFailures ?? 0

        var lastError: any Error
        if retriesDone == 0 {
            do {
                let output = try await attempt(TaskContext(secrets: secrets, metadata: metadata, attempt: 0))
                return try await complete(output)
            } catch {
                if isCancellation(error) { return try await cancelled(error) }
                lastError = error
            }
        } else {
            lastError = TaskFailedError(taskID: taskID, taskName: name, errorType: "Error", message: "earlier attempts failed")
        }

        if options.retryMaxAttempts > retriesDone {
            for n in (retriesDone + 1)...options.retryMaxAttempts {
                let delay = options.delay(beforeRetry: n)
                do {
                    if delay > 0 { try await Task.sleep(for: .seconds(delay)) }
                } catch {
                    return try await cancelled(error)
                }
                await runtime.append(.taskRetryStarted, source: taskID, name: name, value: [
                    "current_attempt": .int(n), "max_attempts": .int(options.retryMaxAttempts),
                    "current_delay": .double(delay), "backoff": .double(options.retryBackoff),
                ])
                try await runtime.flush()
                do {
                    let output = try await attempt(TaskContext(secrets: secrets, metadata: metadata, attempt: n))
                    await runtime.append(.taskRetryCompleted, source: taskID, name: name, value: [
                        "current_attempt": .int(n), "max_attempts": .int(options.retryMaxAttempts), "output": output,
                    ])
                    return try await complete(output)
                } catch {
                    if isCancellation(error) { return try await cancelled(error) }
                    lastError = error
                    await runtime.append(.taskRetryFailed, source: taskID, name: name, value: [
                        "current_attempt": .int(n), "max_attempts": .int(options.retryMaxAttempts), "error": errorJSON(error),
                    ])
                }
            }
        }
        return try await fail(with: lastError, context: TaskContext(secrets: secrets, metadata: metadata, attempt: 0))
    }

    /// One attempt of the body, with the timeout applied.
    private func attempt(_ context: TaskContext) async throws -> JSONValue {
        let body = definition.body
        let arguments = self.arguments
        return try await RuntimeContext.$scope.withValue(taskID) {
            try await withTimeout(seconds: options.timeout, taskName: name) {
                try await body(arguments, context)
            }
        }
    }

    /// Records the task's result. Only the body's own result goes to the cache: a fallback's answer is a
    /// stand-in for one failed call, and caching it would make one transient failure permanent.
    private func complete(_ output: JSONValue, cacheable: Bool = true) async throws -> JSONValue {
        let event = await runtime.append(.taskCompleted, source: taskID, name: name, value: output)
        if options.cache && cacheable {
            try await runtime.services.cache.storeCachedValue(event.value, key: contentID)
        }
        return event.value
    }

    /// Fallback, then rollback, then TASK_FAILED and a thrown ``TaskFailedError``. The fallback sees the
    /// same secrets and metadata as the body did.
    private func fail(with error: any Error, context: TaskContext) async throws -> JSONValue {
        var finalError = error
        if let fallback = options.fallback {
            await runtime.append(.taskFallbackStarted, source: taskID, name: name, value: arguments)
            try await runtime.flush()
            do {
                let output = try await RuntimeContext.$scope.withValue(taskID + "/fallback") {
                    try await fallback(arguments, context)
                }
                await runtime.append(.taskFallbackCompleted, source: taskID, name: name, value: output)
                return try await complete(output, cacheable: false)
            } catch {
                if isCancellation(error) { return try await cancelled(error) }
                finalError = error
                await runtime.append(.taskFallbackFailed, source: taskID, name: name, value: errorJSON(error))
            }
        }
        try await rollback()
        let failure = TaskFailedError(
            taskID: taskID, taskName: name, errorType: String(describing: type(of: finalError)),
            message: await runtime.redact(String(describing: finalError)))
        await runtime.append(.taskFailed, source: taskID, name: name, value: failure.json)
        throw failure
    }

    private func rollback() async throws {
        guard let rollback = options.rollback else { return }
        await runtime.append(.taskRollbackStarted, source: taskID, name: name, value: arguments)
        try await runtime.flush()
        let arguments = self.arguments
        let taskID = self.taskID
        // The rollback runs even when the workflow is being cancelled: give it a task of its own.
        let outcome = await Task {
            try await RuntimeContext.$scope.withValue(taskID + "/rollback") {
                try await rollback(arguments, TaskContext())
            }
        }.result
        switch outcome {
        case .success(let value):
            await runtime.append(.taskRollbackCompleted, source: taskID, name: name, value: value)
        case .failure(let error):
            await runtime.append(.taskRollbackFailed, source: taskID, name: name, value: errorJSON(error))
        }
    }

    /// The workflow is being cancelled while this task runs: record it, roll back, and let the cancellation go on.
    private func cancelled(_ error: any Error) async throws -> JSONValue {
        await runtime.append(.taskCancelled, source: taskID, name: name, value: .null)
        try await rollback()
        throw CancellationError()
    }

    private func isCancellation(_ error: any Error) -> Bool {
        error is CancellationError || (Task.isCancelled && !(error is TaskTimeoutError))
    }
}
