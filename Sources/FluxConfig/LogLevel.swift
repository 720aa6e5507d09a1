import Logging

/// The `log_level` key: the minimum severity that is logged.
///
/// ```swift
/// var logger = Logger(label: "flux")
/// logger.logLevel = configuration.logLevel.loggerLevel
/// ```
public enum LogLevel: String, ConfigurationChoice {
    case trace, debug, info, notice, warning, error, critical

    /// The matching swift-log level.
    public var loggerLevel: Logger.Level {
        switch self {
        case .trace: return .trace
        case .debug: return .debug
        case .info: return .info
        case .notice: return .notice
        case .warning: return .warning
        case .error: return .error
        case .critical: return .critical
        }
    }
}
