import Foundation

/// An error raised while loading, overriding or validating a ``FluxConfiguration``.
///
/// The ``description`` names the source and the key in dotted form, for example
/// `flux.toml: workers.concurrency: expected an integer, found "abc"` or
/// `environment FLUX_MCP__PORT: expected an integer from 1 to 65535, found "x"`.
/// (For environment variables the variable name already identifies the key, so the
/// dotted key is only available through ``key``.)
///
/// ```swift
/// do {
///     _ = try FluxConfiguration(toml: "[flux.mcp]\nport = 0", environment: [:])
/// } catch {
///     print(error.key ?? "-")   // mcp.port
///     print(error)              // flux.toml: mcp.port: expected an integer from 1 to 65535, found 0
/// }
/// ```
public struct ConfigurationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The category of a configuration error.
    public enum Kind: Sendable, Equatable {
        /// A value has the wrong type, is out of range or is otherwise not accepted.
        case invalidValue
        /// A configuration file is not valid TOML.
        case invalidSyntax
        /// A configuration file exists but could not be read.
        case unreadableFile
        /// An override named a key that does not exist.
        case unknownKey
    }

    /// What went wrong, broadly.
    public let kind: Kind
    /// Where the offending value came from.
    public let source: ConfigurationSource
    /// The configuration key in dotted form (`"workers.concurrency"`), when the error concerns one key.
    public let key: String?
    /// The explanation, without the source and key prefix.
    public let message: String
    /// The 1-based line of a TOML syntax error, when known.
    public let line: Int?
    /// The 1-based column of a TOML syntax error, when known.
    public let column: Int?

    /// Creates a configuration error.
    ///
    /// ```swift
    /// let error = ConfigurationError(kind: .invalidValue, source: .override,
    ///                                key: "workers.concurrency", message: "expected an integer, found \"abc\"")
    /// ```
    public init(
        kind: Kind,
        source: ConfigurationSource,
        key: String?,
        message: String,
        line: Int? = nil,
        column: Int? = nil
    ) {
        self.kind = kind
        self.source = source
        self.key = key
        self.message = message
        self.line = line
        self.column = column
    }

    public var description: String {
        var prefix = source.description
        if let line {
            prefix += ":\(line)"
            if let column { prefix += ":\(column)" }
        }
        switch source {
        case .environment:
            return "\(prefix): \(message)"
        case .defaults, .file, .override, .programmatic:
            if let key { return "\(prefix): \(key): \(message)" }
            return "\(prefix): \(message)"
        }
    }

    static func invalid(_ key: String, _ source: ConfigurationSource, _ message: String) -> ConfigurationError {
        ConfigurationError(kind: .invalidValue, source: source, key: key, message: message)
    }
}
