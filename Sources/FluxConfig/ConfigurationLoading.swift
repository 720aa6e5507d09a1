import Foundation
import Logging

extension FluxConfiguration {
    /// Loads the configuration: defaults < `<directory>/flux.toml` `[flux]` (or
    /// `pyproject.toml` `[tool.flux]` when there is no `flux.toml`) < `FLUX_…` variables.
    ///
    /// Unknown keys never fail the load: they are collected in ``warnings`` and logged
    /// at warning level through `logger`.
    ///
    /// ```swift
    /// let configuration = try FluxConfiguration.load(
    ///     directory: URL(fileURLWithPath: "/srv/flux"),
    ///     environment: ["FLUX_MCP__PORT": "9000"],
    ///     logger: Logger(label: "flux.config")
    /// )
    /// configuration.mcp.port // 9000
    /// ```
    /// - Throws: ``ConfigurationError`` for unreadable files, invalid TOML and invalid values.
    public static func load(
        directory: URL = URL(fileURLWithPath: FileManager.default.currentDirectoryPath, isDirectory: true),
        environment: [String: String] = ProcessInfo.processInfo.environment,
        logger: Logger? = nil
    ) throws(ConfigurationError) -> FluxConfiguration {
        var resolver = ConfigurationResolver(base: FluxConfiguration())
        try resolver.apply(ConfigurationFile.read(directory: directory))
        try resolver.apply(EnvironmentReader.read(environment))
        return try resolver.finish(logger: logger)
    }

    /// Loads the configuration from one explicit file (for example a `--config` option).
    ///
    /// A file named `pyproject.toml` is read for `[tool.flux]`; any other file for `[flux]`.
    ///
    /// ```swift
    /// let configuration = try FluxConfiguration.load(file: URL(fileURLWithPath: "/etc/flux/flux.toml"))
    /// ```
    public static func load(
        file: URL,
        environment: [String: String] = ProcessInfo.processInfo.environment,
        logger: Logger? = nil
    ) throws(ConfigurationError) -> FluxConfiguration {
        var resolver = ConfigurationResolver(base: FluxConfiguration())
        try resolver.apply(ConfigurationFile.read(file: file))
        try resolver.apply(EnvironmentReader.read(environment))
        return try resolver.finish(logger: logger)
    }

    /// Loads the configuration again; the same as ``load(directory:environment:logger:)``.
    ///
    /// ```swift
    /// configuration = try FluxConfiguration.reload(directory: projectDirectory, environment: environment)
    /// ```
    public static func reload(
        directory: URL = URL(fileURLWithPath: FileManager.default.currentDirectoryPath, isDirectory: true),
        environment: [String: String] = ProcessInfo.processInfo.environment,
        logger: Logger? = nil
    ) throws(ConfigurationError) -> FluxConfiguration {
        try load(directory: directory, environment: environment, logger: logger)
    }

    /// Builds a configuration from the text of a `flux.toml` (its `[flux]` table) and an environment.
    ///
    /// ```swift
    /// let configuration = try FluxConfiguration(
    ///     toml: """
    ///     [flux.workers]
    ///     concurrency = 4
    ///     """,
    ///     environment: ["FLUX_WORKERS__CONCURRENCY": "2"]
    /// )
    /// configuration.workers.concurrency // 2: the environment wins
    /// ```
    /// - Parameters:
    ///   - toml: The document's text.
    ///   - environment: The variables to read `FLUX_…` settings from (pass `[:]` for none).
    ///   - sourceName: How the document is named in errors and warnings.
    ///   - logger: Where warnings are logged, if anywhere.
    public init(
        toml: String,
        environment: [String: String] = [:],
        sourceName: String = "flux.toml",
        logger: Logger? = nil
    ) throws(ConfigurationError) {
        var resolver = ConfigurationResolver(base: FluxConfiguration())
        try resolver.apply(ConfigurationFile.read(text: toml, layout: .fluxFile, source: .file(sourceName)))
        try resolver.apply(EnvironmentReader.read(environment))
        self = try resolver.finish(logger: logger)
    }

    /// Returns a copy with some keys changed, parsed with the same rules as environment values.
    ///
    /// Keys are dotted and case-insensitive (`"workers.concurrency"`; a leading `"flux."` is allowed).
    /// An empty value unsets an optional key and returns a derived path to its default.
    /// Unlike files and the environment, an unknown key is an error here, since it is a typo in code.
    ///
    /// ```swift
    /// let test = try FluxConfiguration.defaults.overriding([
    ///     "workers.concurrency": "4",
    ///     "security.exec_allowlist": "git,make",
    /// ])
    /// ```
    /// - Throws: ``ConfigurationError`` for unknown keys and invalid values; the source is `override`.
    public func overriding(_ changes: [String: String]) throws(ConfigurationError) -> FluxConfiguration {
        var reading = SourceReading()
        for name in changes.keys.sorted() {
            var dotted = name.trimmingCharacters(in: .whitespaces).lowercased()
            if dotted.hasPrefix("flux.") { dotted.removeFirst("flux.".count) }
            guard let key = ConfigurationKeys.byName[dotted] else {
                var message = "unknown key"
                if let suggestion = ConfigurationKeys.suggestion(for: dotted) { message += "; did you mean \"\(suggestion)\"?" }
                throw ConfigurationError(kind: .unknownKey, source: .override, key: name, message: message)
            }
            reading.assignments.append(Assignment(key: key, raw: .text(changes[name] ?? ""), source: .override))
        }
        var resolver = ConfigurationResolver(base: self)
        try resolver.apply(reading)
        var result = try resolver.finish(logger: nil)
        result.warnings = warnings
        return result
    }

    /// Checks every value against the same rules used when loading; for configurations changed in code.
    ///
    /// ```swift
    /// var configuration = FluxConfiguration.defaults
    /// configuration.mcp.port = 70_000
    /// try configuration.validate() // throws: configuration: mcp.port: expected an integer from 1 to 65535, found 70000
    /// ```
    public func validate() throws(ConfigurationError) {
        try ConfigurationValidator.validate(self)
    }
}
