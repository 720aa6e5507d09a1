/// The `log_format` key: how log lines are written.
///
/// ```swift
/// if configuration.logFormat == .json { /* install a JSON log handler */ }
/// ```
public enum LogFormat: String, ConfigurationChoice {
    /// Human-readable lines.
    case text
    /// One JSON object per line.
    case json
}
