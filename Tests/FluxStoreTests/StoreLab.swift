import FluxCore
import FluxPostgres
import FluxStore
import Foundation
import Logging
import PostgresNIO
import Synchronization
import Testing

/// What the contract tests need of a store beyond ``FluxStore``: its change feed, row counts and
/// applied migrations. SQLite and PostgreSQL both provide them.
protocol ContractStore: FluxStore, ExecutionChangeFeed {
    func counts() async throws -> (executions: Int, events: Int)
    func appliedMigrations() async throws -> [String]
}

extension SQLiteStore: ContractStore {}
extension PostgresStore: ContractStore {}

/// The store implementations the contract runs against.
enum Backend: String, Sendable, CaseIterable {
    case sqlite = "SQLite"
    case postgres = "PostgreSQL"
}

/// The PostgreSQL server the tests use: `FLUX_TEST_POSTGRES_URL`, which scripts/test.sh sets from
/// scripts/postgres.sh. Without it the PostgreSQL tests are skipped, and say so.
enum PostgresTestServer {
    static let url = ProcessInfo.processInfo.environment["FLUX_TEST_POSTGRES_URL"].flatMap { $0.isEmpty ? nil : $0 }
    static let isConfigured = url != nil
    static let skipReason: Comment = """
        FLUX_TEST_POSTGRES_URL is unset, so the PostgreSQL store is not tested: run scripts/test.sh, or \
        export FLUX_TEST_POSTGRES_URL="$(bash scripts/postgres.sh)" before swift test
        """

    /// Warnings and errors on stderr; the tests' stdout stays for the test runner.
    static let logger: Logger = {
        var logger = Logger(label: "flux.tests") { StreamLogHandler.standardError(label: $0) }
        logger.logLevel = .warning
        return logger
    }()

    /// The server's configuration with a schema of its own, so that each test has its own tables and channel.
    static func configuration(schema: String) throws -> PostgresStoreConfiguration {
        var configuration = try PostgresStoreConfiguration(url: try #require(url))
        configuration.schema = schema
        configuration.maximumConnections = 4
        return configuration
    }

    /// The server's URL with `schema=<schema>` added.
    static func url(schema: String) throws -> String {
        let base = try #require(url)
        var components = try #require(URLComponents(string: base))
        components.queryItems = (components.queryItems ?? []) + [URLQueryItem(name: "schema", value: schema)]
        return try #require(components.string)
    }

    /// Drops a test's schema and everything in it.
    static func dropSchema(_ schema: String) async throws {
        try await execute("DROP SCHEMA IF EXISTS \(schema) CASCADE")
    }

    /// Runs `sql` on a connection of its own, as an administrator would from psql.
    static func execute(_ sql: String) async throws {
        let configuration = try PostgresStoreConfiguration(url: try #require(url))
        var connection = PostgresConnection.Configuration(
            host: configuration.host, port: configuration.port, username: configuration.username,
            password: configuration.password, database: configuration.database, tls: .disable)
        connection.options.connectTimeout = .seconds(10)
        let admin = try await PostgresConnection.connect(configuration: connection, id: 1, logger: logger)
        var failure: (any Error)?
        do {
            try await admin.query(PostgresQuery(unsafeSQL: sql), logger: logger)
        } catch {
            failure = error
        }
        try? await admin.close()
        if let failure { throw failure }
    }
}

extension Trait where Self == ConditionTrait {
    /// Runs the test only when a PostgreSQL server is configured; otherwise it is reported as skipped.
    static var postgresConfigured: Self { .enabled(if: PostgresTestServer.isConfigured, PostgresTestServer.skipReason) }
}

/// One database for one test: a fresh SQLite file in a temporary directory, or a fresh schema on the
/// PostgreSQL server. ``open()`` opens a store on it (call it twice for two processes' worth of stores);
/// ``finish()`` closes them and removes the database.
final class StoreLab: Sendable {
    let backend: Backend
    /// The SQLite file, or the PostgreSQL schema.
    let place: String
    private let directory: TemporaryDirectory?
    private let opened = Mutex<[any ContractStore]>([])

    init(_ backend: Backend) throws {
        self.backend = backend
        switch backend {
        case .sqlite:
            let directory = try TemporaryDirectory()
            self.directory = directory
            place = directory.databasePath
        case .postgres:
            directory = nil
            place = "t_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(24)
        }
    }

    /// A new store on this lab's database.
    func open() async throws -> any ContractStore {
        let store: any ContractStore
        switch backend {
        case .sqlite:
            store = try SQLiteStore(path: place)
        case .postgres:
            store = try await PostgresStore.connect(try PostgresTestServer.configuration(schema: place),
                                                    logger: PostgresTestServer.logger)
        }
        opened.withLock { $0.append(store) }
        return store
    }

    /// Closes every store opened here and removes the database.
    func finish() async {
        let stores = opened.withLock { stores in
            defer { stores = [] }
            return stores
        }
        for store in stores {
            if let postgres = store as? PostgresStore { await postgres.close() }
        }
        switch backend {
        case .sqlite:
            directory?.remove()
        case .postgres:
            do {
                try await PostgresTestServer.dropSchema(place)
            } catch {
                Issue.record("could not drop the test schema \(place): \(error)")
            }
        }
    }
}

/// One check of the store contract, run against each backend by a pair of parameterized tests.
struct ContractCheck: Sendable, CustomTestStringConvertible {
    let name: String
    let body: @Sendable (StoreLab) async throws -> Void

    init(_ name: String, _ body: @escaping @Sendable (StoreLab) async throws -> Void) {
        self.name = name
        self.body = body
    }

    var testDescription: String { name }

    /// Runs the check on a fresh database of `backend`, and removes it afterwards, pass or fail.
    func run(on backend: Backend) async throws {
        let lab = try StoreLab(backend)
        do {
            try await body(lab)
        } catch {
            await lab.finish()
            throw error
        }
        await lab.finish()
    }
}
