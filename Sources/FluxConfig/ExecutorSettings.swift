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
    /// `executor.max_map_items`: the most items one `map` may have (≥ 1). Default 100,000.
    public var maxMapItems: Int
    /// `executor.max_recorded_bytes`: the most bytes one execution may record in its events (≥ 1,024). Default 64 MiB.
    public var maxRecordedBytes: Int

    /// Creates executor settings; every argument defaults to the built-in default.
    ///
    /// ```swift
    /// let executor = ExecutorSettings(mapConcurrency: 4)
    /// ```
    public init(maxConcurrentExecutions: Int = 64, mapConcurrency: Int = 64, maxMapItems: Int = 100_000, maxRecordedBytes: Int = 64 << 20) {
        self.maxConcurrentExecutions = maxConcurrentExecutions
        self.mapConcurrency = mapConcurrency
        self.maxMapItems = maxMapItems
        self.maxRecordedBytes = maxRecordedBytes
    }
}
