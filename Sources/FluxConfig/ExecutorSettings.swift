/// The `[flux.executor]` table: limits on concurrent work inside one process.
///
/// ```toml
/// [flux.executor]
/// max_concurrent_executions = 16
/// map_concurrency = 8
/// ```
public struct ExecutorSettings: Sendable, Equatable {
    /// `executor.max_concurrent_executions`: workflow executions run at once (≥ 1). Default 64.
    public var maxConcurrentExecutions: Int
    /// `executor.map_concurrency`: items of one `map` processed at once (≥ 1). Default 64.
    public var mapConcurrency: Int

    /// Creates executor settings; every argument defaults to the built-in default.
    ///
    /// ```swift
    /// let executor = ExecutorSettings(mapConcurrency: 4)
    /// ```
    public init(maxConcurrentExecutions: Int = 64, mapConcurrency: Int = 64) {
        self.maxConcurrentExecutions = maxConcurrentExecutions
        self.mapConcurrency = mapConcurrency
    }
}
