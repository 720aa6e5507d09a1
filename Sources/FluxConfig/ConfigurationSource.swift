import Foundation

/// Where a configuration value came from.
///
/// Sources are listed from lowest to highest precedence: built-in defaults,
/// a configuration file (`flux.toml` or `pyproject.toml`), environment
/// variables, and explicit overrides made through
/// ``FluxConfiguration/overriding(_:)``.
///
/// ```swift
/// let source = ConfigurationSource.environment(variable: "FLUX_MCP__PORT")
/// print(source) // environment FLUX_MCP__PORT
/// ```
public enum ConfigurationSource: Sendable, Hashable, CustomStringConvertible {
    /// The built-in default value.
    case defaults
    /// A TOML file; the associated value is the path as it should be shown to people.
    case file(String)
    /// An environment variable, named exactly as it was found in the environment.
    case environment(variable: String)
    /// An explicit override (``FluxConfiguration/overriding(_:)`` or ``ConfigurationStore/override(_:)``).
    case override
    /// A value set directly in code on a ``FluxConfiguration``, found by ``FluxConfiguration/validate()``.
    case programmatic

    public var description: String {
        switch self {
        case .defaults: return "defaults"
        case .file(let path): return path
        case .environment(let variable): return "environment \(variable)"
        case .override: return "override"
        case .programmatic: return "configuration"
        }
    }
}
