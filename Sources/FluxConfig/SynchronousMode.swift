/// The `store.synchronous` key: SQLite's `PRAGMA synchronous` setting.
///
/// ```swift
/// let pragma = "PRAGMA synchronous = \(configuration.store.synchronous.rawValue.uppercased())"
/// ```
public enum SynchronousMode: String, ConfigurationChoice {
    /// Sync at checkpoints only; safe with WAL, fastest.
    case normal
    /// Sync on every commit.
    case full
}
