import Logging

/// Applies assignments in precedence order on top of a base configuration,
/// remembering where each key's value came from, then validates the result.
struct ConfigurationResolver {
    private(set) var configuration: FluxConfiguration
    private var sources: [String: ConfigurationSource] = [:]
    private var warnings: [String] = []

    init(base: FluxConfiguration) {
        configuration = base
        configuration.warnings = []
    }

    /// Applies one source; later sources win over earlier ones.
    mutating func apply(_ reading: SourceReading) throws(ConfigurationError) {
        warnings += reading.warnings
        for assignment in reading.assignments {
            try assignment.apply(to: &configuration)
            sources[assignment.key.name] = assignment.source
        }
    }

    /// Checks rules that involve several keys, records warnings and logs them.
    func finish(logger: Logger?) throws(ConfigurationError) -> FluxConfiguration {
        try ConfigurationValidator.checkRelations(of: configuration) { sources[$0] ?? .defaults }
        var result = configuration
        result.warnings = warnings
        if let logger {
            for warning in warnings {
                logger.warning("\(warning)")
            }
        }
        return result
    }
}
