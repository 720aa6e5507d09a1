import Flux
import FluxCore
import FluxPostgres
import Foundation
import Logging

/// Opens the store that a configuration's `database_url` names: the one place every door (CLI, MCP,
/// REST, workers) gets its store from.
///
/// ```swift
/// let store = try await StoreFactory.open(configuration: try FluxConfiguration.load())
/// // sqlite:///.flux/flux.db          → SQLiteStore (file and folder created when needed)
/// // postgresql://flux:…@db:5432/flux → PostgresStore (schema created or migrated, change feed started)
/// ```
public enum StoreFactory {
    /// - Parameter logger: where the PostgreSQL store reports migrations and lost connections; by default
    ///   stderr (stdout may carry a command's output or a protocol).
    /// - Throws: ``StoreFactoryError`` for a `database_url` that is malformed or names a server that
    ///   cannot be used, saying what was wrong and what to do.
    public static func open(configuration: FluxConfiguration,
                            logger: Logger = Logger(label: "flux.store") { StreamLogHandler.standardError(label: $0) })
        async throws -> any FluxStore {
        switch try configuration.databaseLocation() {
        case .sqlite:
            return try FluxEnvironment.openStore(configuration: configuration)
        case .postgres(let url):
            let settings: PostgresStoreConfiguration
            do {
                settings = try PostgresStoreConfiguration(url: url)
            } catch {
                throw StoreFactoryError.malformedURL(error)
            }
            do {
                return try await PostgresStore.connect(settings, logger: logger)
            } catch {
                throw StoreFactoryError.serverUnavailable(String(describing: error))
            }
        }
    }
}

/// Why ``StoreFactory/open(configuration:logger:)`` could not open the configured store.
public enum StoreFactoryError: Error, Sendable, Hashable, CustomStringConvertible {
    /// `database_url` is a postgresql:// URL this store cannot read.
    case malformedURL(PostgresURLError)
    /// The PostgreSQL server could not be reached or used.
    case serverUnavailable(String)

    public var description: String {
        switch self {
        case .malformedURL(let error):
            return "database_url: \(error). Fix database_url in flux.toml or FLUX_DATABASE_URL"
        case .serverUnavailable(let why):
            return "database_url: \(why)"
        }
    }
}
