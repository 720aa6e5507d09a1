/// A raw value for one key from one source, waiting to be parsed and applied.
struct Assignment: Sendable {
    let key: ConfigurationKey
    let raw: ConfigValue
    let source: ConfigurationSource

    /// Parses the value and stores it into `configuration`.
    func apply(to configuration: inout FluxConfiguration) throws(ConfigurationError) {
        try key.assign(&configuration, raw, ValueParser(key: key.name, source: source))
    }
}

/// Assignments and warnings gathered from one source.
struct SourceReading: Sendable {
    var assignments: [Assignment] = []
    var warnings: [String] = []
}
