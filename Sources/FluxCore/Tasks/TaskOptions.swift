/// How a task behaves when it fails, runs long, or has been run before.
///
/// ```swift
/// let options = TaskOptions(retryMaxAttempts: 3, retryDelay: 0.5, retryBackoff: 2, timeout: 10, cache: true)
/// ```
public struct TaskOptions: Sendable {
    /// Retries after the first failed attempt (0: no retry).
    public var retryMaxAttempts: Int
    /// Seconds before the first retry.
    public var retryDelay: Double
    /// Each retry waits `retryDelay × retryBackoff^(n-1)` seconds.
    public var retryBackoff: Double
    /// Seconds each attempt may take; nil or 0 for no limit.
    public var timeout: Double?
    /// Run with the same arguments when every attempt has failed; its result completes the task.
    public var fallback: TaskBody?
    /// Run when the task finally fails, and when its workflow is cancelled while the task runs.
    public var rollback: TaskBody?
    /// Reuse a stored result of the same call (same name and arguments) from any earlier execution.
    public var cache: Bool
    /// Give the body the task id and name in ``TaskContext/metadata``.
    public var metadata: Bool
    /// Secrets the body receives in ``TaskContext/secrets``.
    public var secretRequests: [String]
    /// The body has no effect outside its result (it computes, it does not call out). Before any other body
    /// runs, the engine makes the completions recorded so far durable, so that a crash repeats at most the
    /// task in flight; a side-effect-free body skips that commit, because running it again is harmless. Its
    /// own completion is recorded as always.
    ///
    /// ```swift
    /// let square = task("square", options: TaskOptions(sideEffectFree: true)) { (n: Int) in n * n }
    /// ```
    public var sideEffectFree: Bool

    public init(retryMaxAttempts: Int = 0, retryDelay: Double = 1, retryBackoff: Double = 2, timeout: Double? = nil,
                fallback: TaskBody? = nil, rollback: TaskBody? = nil, cache: Bool = false, metadata: Bool = false,
                secretRequests: [String] = [], sideEffectFree: Bool = false) {
        self.retryMaxAttempts = max(0, retryMaxAttempts)
        self.retryDelay = max(0, retryDelay)
        self.retryBackoff = max(1, retryBackoff)
        self.timeout = timeout
        self.fallback = fallback
        self.rollback = rollback
        self.cache = cache
        self.metadata = metadata
        self.secretRequests = secretRequests
        self.sideEffectFree = sideEffectFree
    }

    /// The delay before retry `attempt` (1-based): real exponential backoff.
    public func delay(beforeRetry attempt: Int) -> Double {
        retryDelay * pow(retryBackoff, Double(attempt - 1))
    }
}

/// The type-erased body of a task: JSON arguments in, JSON result out.
public typealias TaskBody = @Sendable (_ arguments: JSONValue, _ context: TaskContext) async throws -> JSONValue

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
