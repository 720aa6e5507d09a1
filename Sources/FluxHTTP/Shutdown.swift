import Logging
import ServiceLifecycle
import Synchronization

/// What the server must stop at once when it is asked to shut down: open event streams and requests
/// waiting for an execution. Hummingbird drains requests in flight before it stops, so anything that
/// could wait for long registers here and is ended by ``ShutdownService`` before the drain starts.
final class ShutdownCoordinator: Sendable {
    private struct State {
        var shuttingDown = false
        var next = 0
        var handlers: [Int: @Sendable () -> Void] = [:]
    }

    private let state = Mutex(State())

    var isShuttingDown: Bool { state.withLock { $0.shuttingDown } }

    /// Registers `handler` to run at shutdown; runs it now (and returns nil) when shutdown has begun.
    func register(_ handler: @escaping @Sendable () -> Void) -> Int? {
        let token: Int? = state.withLock { state in
            if state.shuttingDown { return nil }
            state.next += 1
            state.handlers[state.next] = handler
            return state.next
        }
        if token == nil { handler() }
        return token
    }

    func unregister(_ token: Int?) {
        guard let token else { return }
        _ = state.withLock { $0.handlers.removeValue(forKey: token) }
    }

    /// Runs every registered handler once; later registrations run at once.
    func shutdown() {
        let handlers = state.withLock { state in
            state.shuttingDown = true
            defer { state.handlers = [:] }
            return Array(state.handlers.values)
        }
        for handler in handlers { handler() }
    }

    /// Runs `operation` in a task of its own, so that cancelling the caller never cancels the engine's
    /// work, and returns its result, or throws `CancellationError` as soon as the server shuts down (the
    /// execution is then left to this process's end and recovered by the next start).
    func untilShutdown<T: Sendable>(_ operation: @escaping @Sendable () async throws -> T) async throws -> T {
        let gate = Mutex<CheckedContinuation<T, any Error>?>(nil)
        let resume: @Sendable (Result<T, any Error>) -> Void = { result in
            gate.withLock { continuation in
                continuation?.resume(with: result)
                continuation = nil
            }
        }
        var token: Int?
        defer { unregister(token) }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
                gate.withLock { $0 = continuation }
                token = register { resume(.failure(CancellationError())) }
                if token == nil || Task.isCancelled {
                    resume(.failure(CancellationError()))
                    return
                }
                Task {
                    do { resume(.success(try await operation())) } catch { resume(.failure(error)) }
                }
            }
        } onCancel: {
            resume(.failure(CancellationError()))
        }
    }
}

/// Waits for the service group's graceful shutdown, then ends every open stream and waiting request, so
/// that Hummingbird's drain that follows finishes at once. Place it after the application in the group:
/// services shut down in reverse order.
struct ShutdownService: Service {
    let coordinator: ShutdownCoordinator
    let logger: Logger

    func run() async throws {
        try? await gracefulShutdown()
        logger.info("shutting down: closing open event streams and waiting requests")
        coordinator.shutdown()
    }
}
