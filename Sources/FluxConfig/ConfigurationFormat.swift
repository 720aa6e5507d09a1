/// A text format for showing a configuration.
public enum ConfigurationFormat: Sendable, Equatable {
    /// A `flux.toml` document with a `[flux]` table and one sub-table per section.
    case toml
    /// A JSON object with one nested object per section.
    case json
}
