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
    /// `executor.max_call_depth`: how deep `call`s may nest (≥ 1; a root's child is at depth 1). Default 10.
    public var maxCallDepth: Int
    /// `executor.max_descendants`: the most executions `call`s may start under one root execution (≥ 1). Default 10,000.
    public var maxDescendants: Int

    /// Creates executor settings; every argument defaults to the built-in default.
    ///
    /// ```swift
    /// let executor = ExecutorSettings(mapConcurrency: 4)
    /// ```
    public init(maxConcurrentExecutions: Int = 64, mapConcurrency: Int = 64, maxMapItems: Int = 100_000, maxRecordedBytes: Int = 64 << 20,
                maxCallDepth: Int = 10, maxDescendants: Int = 10_000) {
        self.maxConcurrentExecutions = maxConcurrentExecutions
        self.mapConcurrency = mapConcurrency
        self.maxMapItems = maxMapItems
        self.maxRecordedBytes = maxRecordedBytes
        self.maxCallDepth = maxCallDepth
        self.maxDescendants = maxDescendants
    }
}
