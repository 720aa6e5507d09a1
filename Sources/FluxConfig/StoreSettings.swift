/// The `[flux.store]` table: how the SQLite store is tuned.
///
/// ```toml
/// [flux.store]
/// synchronous = "full"
/// busy_timeout_ms = 10000
/// ```
public struct StoreSettings: Sendable, Equatable {
    /// `store.synchronous`: SQLite `PRAGMA synchronous`. Default ``SynchronousMode/normal``.
    public var synchronous: SynchronousMode
    /// `store.busy_timeout_ms`: how long SQLite waits for a lock, in milliseconds (≥ 0). Default 5000.
    public var busyTimeoutMilliseconds: Int

    /// Creates store settings; every argument defaults to the built-in default.
    ///
    /// ```swift
    /// let store = StoreSettings(synchronous: .full)
    /// ```
    public init(synchronous: SynchronousMode = .normal, busyTimeoutMilliseconds: Int = 5000) {
        self.synchronous = synchronous
        self.busyTimeoutMilliseconds = busyTimeoutMilliseconds
    }
}
