@_exported import FluxConfig
@_exported import FluxCore
import FluxStore
import Foundation
import Logging

/// Everything a process needs to run workflows, opened from the configuration: the store, the secret
/// vault and the engine.
///
/// ```swift
/// let env = try FluxEnvironment.open(configuration: try FluxConfiguration.load())
/// let ctx = try await helloWorld.run("World", on: env.engine)
/// ```
public struct FluxEnvironment: Sendable {
    public let configuration: FluxConfiguration
    public let store: any FluxStore
    public let engine: FluxEngine
    /// Nil when no `security.encryption_key` is configured.
    public let vault: SecretVault?
    public let secrets: StoredSecretProvider

    /// Opens the store named by `database_url` (creating the SQLite file and its folder when needed).
    public static func open(configuration: FluxConfiguration, logger: Logger = Logger(label: "flux")) throws -> FluxEnvironment {
        try open(configuration: configuration, store: try openStore(configuration: configuration), logger: logger)
    }

    /// The environment of `configuration` over a store opened already (a PostgreSQL store, which
    /// FluxService's `StoreFactory` opens, or a store of your own).
    ///
    /// ```swift
    /// let env = try FluxEnvironment.open(configuration: configuration, store: InMemoryStore())
    /// ```
    ///
    /// - Parameter engineConfiguration: the engine's settings, instead of those `configuration` gives
    ///   (`executor.map_concurrency`, `workers.lease_timeout`, `executor.max_concurrent_executions`).
    public static func open(configuration: FluxConfiguration, store: any FluxStore, engineConfiguration: EngineConfiguration? = nil,
                            logger: Logger = Logger(label: "flux")) throws -> FluxEnvironment {
        let vault = try configuration.security.encryptionKey.map { try SecretVault(encryptionKey: $0) }
        let secrets = StoredSecretProvider(store: store, vault: vault)
        let engine = FluxEngine(
            store: store, secrets: secrets,
            configuration: engineConfiguration ?? EngineConfiguration(
                mapConcurrency: configuration.executor.mapConcurrency,
                leaseDuration: .milliseconds(Int(configuration.workers.leaseTimeout * 1000)),
                maxConcurrentExecutions: configuration.executor.maxConcurrentExecutions,
                maxMapItems: configuration.executor.maxMapItems, maxRecordedBytes: configuration.executor.maxRecordedBytes,
                callLimits: CallLimits(maxDepth: configuration.executor.maxCallDepth, maxDescendants: configuration.executor.maxDescendants)),
            logger: logger)
        return FluxEnvironment(configuration: configuration, store: store, engine: engine, vault: vault, secrets: secrets)
    }

    /// Opens the SQLite store `database_url` names. The Flux library opens SQLite only, so that it does not
    /// build PostgreSQL's client; FluxService's `StoreFactory` (used by every `flux` command) opens both.
    ///
    /// ```swift
    /// let store = try FluxEnvironment.openStore(configuration: FluxConfiguration(home: ".flux"))
    /// ```
    public static func openStore(configuration: FluxConfiguration) throws -> any FluxStore {
        switch try configuration.databaseLocation() {
        case .sqlite(let path):
            return try SQLiteStore(
                path: path, synchronous: configuration.store.synchronous == .full ? .full : .normal,
                busyTimeout: .milliseconds(configuration.store.busyTimeoutMilliseconds))
        case .postgres:
            throw FluxEnvironmentError.postgresNotAvailable
        }
    }

    /// The environment of the configuration in the current directory, opened once per process.
    public static func shared() async throws -> FluxEnvironment {
        try await SharedEnvironment.instance.get()
    }
}

public enum FluxEnvironmentError: Error, Sendable, CustomStringConvertible {
    case postgresNotAvailable

    public var description: String {
        switch self {
        case .postgresNotAvailable:
            return "database_url names a PostgreSQL server, which the Flux library alone does not open: "
                + "use a sqlite:/// URL here, or open the environment through FluxService (FluxService.open, StoreFactory), "
                + "as every flux command does"
        }
    }
}

/// Opens the shared environment on first use.
actor SharedEnvironment {
    static let instance = SharedEnvironment()
    private var environment: FluxEnvironment?

    func get() throws -> FluxEnvironment {
        if let environment { return environment }
        let opened = try FluxEnvironment.open(configuration: try FluxConfiguration.load())
        environment = opened
        return opened
    }
}

extension Workflow {
    /// Runs a new execution on the shared environment (`.flux/flux.db` by default).
    ///
    /// ```swift
    /// let ctx = try await helloWorld.run("World")
    /// print(ctx.output)   // "Hello, World"
    /// ```
    public func run(_ input: Input) async throws -> ExecutionContext<Input> {
        try await run(input, on: try await FluxEnvironment.shared().engine)
    }

    /// Continues or returns an existing execution on the shared environment.
    public func run(executionID: String) async throws -> ExecutionContext<Input> {
        try await run(executionID: executionID, on: try await FluxEnvironment.shared().engine)
    }

    /// Resumes a paused execution on the shared environment.
    public func resume<R: Encodable>(executionID: String, input: R) async throws -> ExecutionContext<Input> {
        try await resume(executionID: executionID, input: input, on: try await FluxEnvironment.shared().engine)
    }
}
