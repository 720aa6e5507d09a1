import Foundation
import Logging

/// A process-wide holder of the current configuration, for code that cannot have it passed in.
///
/// It remembers where it loads from, so ``reload()`` reads the same directory and
/// environment again. ``override(_:)`` changes keys on top of the loaded configuration
/// and ``reset()`` drops those changes. Create one per process (or per test).
///
/// ```swift
/// let store = try ConfigurationStore(directory: projectDirectory, environment: [:])
/// try await store.override(["workers.concurrency": "2"])
/// let concurrency = await store.current.workers.concurrency // 2
/// await store.reset()                                        // back to what was loaded
/// ```
public actor ConfigurationStore {
    /// The configuration in force: the last loaded one plus any overrides.
    public private(set) var current: FluxConfiguration
    /// The configuration as last loaded, without overrides.
    public private(set) var loaded: FluxConfiguration

    private let directory: URL?
    private let environment: [String: String]
    private let logger: Logger?

    /// Creates a store holding `configuration`; ``reload()`` keeps it (there is nothing to read).
    ///
    /// ```swift
    /// let store = ConfigurationStore(FluxConfiguration.defaults)
    /// ```
    public init(_ configuration: FluxConfiguration) {
        current = configuration
        loaded = configuration
        directory = nil
        environment = [:]
        logger = nil
    }

    /// Creates a store by loading the configuration of `directory` and `environment`.
    ///
    /// ```swift
    /// let store = try ConfigurationStore(logger: logger) // current directory, process environment
    /// ```
    public init(
        directory: URL = URL(fileURLWithPath: FileManager.default.currentDirectoryPath, isDirectory: true),
        environment: [String: String] = ProcessInfo.processInfo.environment,
        logger: Logger? = nil
    ) throws(ConfigurationError) {
        let configuration = try FluxConfiguration.load(directory: directory, environment: environment, logger: logger)
        current = configuration
        loaded = configuration
        self.directory = directory
        self.environment = environment
        self.logger = logger
    }

    /// Changes keys of the current configuration (see ``FluxConfiguration/overriding(_:)``).
    ///
    /// ```swift
    /// try await store.override(["mcp.port": "9001"])
    /// ```
    /// - Returns: The new current configuration.
    /// - Throws: ``ConfigurationError``; the current configuration is then unchanged.
    @discardableResult
    public func override(_ changes: [String: String]) throws(ConfigurationError) -> FluxConfiguration {
        current = try current.overriding(changes)
        return current
    }

    /// Loads the configuration again from the same directory and environment, dropping overrides.
    ///
    /// ```swift
    /// try await store.reload() // after editing flux.toml
    /// ```
    /// - Returns: The new current configuration.
    /// - Throws: ``ConfigurationError``; the current configuration is then unchanged.
    @discardableResult
    public func reload() throws(ConfigurationError) -> FluxConfiguration {
        if let directory {
            loaded = try FluxConfiguration.reload(directory: directory, environment: environment, logger: logger)
        }
        current = loaded
        return current
    }

    /// Drops overrides, going back to the configuration as last loaded.
    ///
    /// ```swift
    /// await store.reset()
    /// ```
    public func reset() {
        current = loaded
    }
}
