import Synchronization

/// Runs `body` with a time limit. On expiry the body's task is cancelled and abandoned, so a body that
/// ignores cancellation cannot hold the workflow past its timeout.
func withTimeout<T: Sendable>(seconds: Double?, taskName: String, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
    guard let seconds, seconds > 0 else { return try await body() }
    let work = Task { try await body() }
    let race = Race<T>()
    return try await withTaskCancellationHandler {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            race.start(continuation)
            let timer = Task {
                try? await Task.sleep(for: .seconds(seconds))
                if !Task.isCancelled, race.finish(.failure(TaskTimeoutError(taskName: taskName, seconds: seconds))) {
                    work.cancel()
                }
            }
            Task {
                let result = await work.result
                if race.finish(result) { timer.cancel() }
            }
        }
    } onCancel: {
        work.cancel()
    }
}

/// The first of two finishers resumes the continuation; the second is ignored.
private final class Race<T: Sendable>: Sendable {
    private let state = Mutex<(continuation: CheckedContinuation<T, any Error>?, done: Bool)>((nil, false))

    func start(_ continuation: CheckedContinuation<T, any Error>) {
        state.withLock { $0.continuation = continuation }
    }

    /// Returns true if this call won the race.
    func finish(_ result: Result<T, any Error>) -> Bool {
        let continuation: CheckedContinuation<T, any Error>? = state.withLock { s in
            guard !s.done else { return nil }
            s.done = true
            let c = s.continuation
            s.continuation = nil
            return c
        }
        guard let continuation else { return false }
        continuation.resume(with: result)
        return true
    }
}
