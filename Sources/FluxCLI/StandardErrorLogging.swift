import Flux
import Logging

/// Long-running commands log to standard error (standard output may carry a protocol) at the configured level.
enum StandardErrorLogging {
    /// Bootstraps swift-log once for the process.
    ///
    /// ```swift
    /// StandardErrorLogging.bootstrap(configuration)
    /// ```
    static func bootstrap(_ configuration: FluxConfiguration) {
        let level = configuration.logLevel.loggerLevel
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
    }
}
