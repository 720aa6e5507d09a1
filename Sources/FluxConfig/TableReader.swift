import Foundation

/// Turns the `[flux]` table of a TOML document into assignments and warnings.
enum TableReader {
    /// The two places Flux looks for its table.
    enum Layout: Sendable {
        /// `flux.toml`: the `[flux]` table; other top-level keys are warned about.
        case fluxFile
        /// `pyproject.toml`: the `[tool.flux]` table; everything else belongs to other tools.
        case pyproject

        var tableName: String {
            switch self {
            case .fluxFile: return "[flux]"
            case .pyproject: return "[tool.flux]"
            }
        }
    }

    /// Reads the Flux table of a parsed document. A document without one yields nothing.
    static func read(
        root: [(String, ConfigValue)],
        layout: Layout,
        source: ConfigurationSource
    ) throws(ConfigurationError) -> SourceReading {
        var reading = SourceReading()
        let fluxValue: ConfigValue?
        switch layout {
        case .fluxFile:
            fluxValue = root.first { $0.0 == "flux" }?.1
            for (name, _) in root where name != "flux" {
                reading.warnings.append("\(source): key \"\(name)\" is outside the [flux] table (ignored)")
            }
        case .pyproject:
            guard let tool = root.first(where: { $0.0 == "tool" })?.1 else { return reading }
            guard case .table(let toolEntries) = tool else { return reading }
            fluxValue = toolEntries.first { $0.0 == "flux" }?.1
        }
        guard let fluxValue else { return reading }
        guard case .table(let entries) = fluxValue else {
            throw ConfigurationError(
                kind: .invalidValue, source: source, key: nil,
                message: "\(layout.tableName) must be a table, found \(fluxValue.found)"
            )
        }
        for (name, value) in entries {
            if ConfigurationKeys.sections.contains(name) {
                guard case .table(let sectionEntries) = value else {
                    throw ConfigurationError.invalid(name, source, "expected a table, found \(value.found)")
                }
                for (leaf, leafValue) in sectionEntries {
                    take("\(name).\(leaf)", leafValue, source: source, into: &reading)
                }
            } else {
                take(name, value, source: source, into: &reading)
            }
        }
        return reading
    }

    private static func take(
        _ dotted: String,
        _ value: ConfigValue,
        source: ConfigurationSource,
        into reading: inout SourceReading
    ) {
        if let key = ConfigurationKeys.byName[dotted] {
            reading.assignments.append(Assignment(key: key, raw: value, source: source))
            return
        }
        let what = if case .table = value { "unknown table" } else { "unknown key" }
        var warning = "\(source): \(what) \"\(dotted)\" (ignored)"
        if let suggestion = ConfigurationKeys.suggestion(for: dotted) {
            warning += "; did you mean \"\(suggestion)\"?"
        }
        reading.warnings.append(warning)
    }
}
