import FluxPostgres
import Foundation
import Logging
import PostgresNIO
import Testing

/// A schema of its own on the test PostgreSQL server for the server processes of one test, so that tests sharing
/// the database stay apart. The server is `FLUX_TEST_POSTGRES_URL`, which scripts/test.sh sets; without it the
/// tests that need PostgreSQL are skipped and say why.
struct PostgresTestSchema {
    static let serverURL = ProcessInfo.processInfo.environment["FLUX_TEST_POSTGRES_URL"].flatMap { $0.isEmpty ? nil : $0 }
    static let isConfigured = serverURL != nil
    static let skipReason: Comment = """
        FLUX_TEST_POSTGRES_URL is unset, so server replicas on PostgreSQL are not tested: run scripts/test.sh, or \
        export FLUX_TEST_POSTGRES_URL="$(bash scripts/postgres.sh)" before swift test
        """

    /// `t_` and 24 random hex digits; the servers create it when they migrate.
    let name = "t_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(24)

    /// The server's URL with `schema=<name>`: what the servers get as FLUX_DATABASE_URL.
    var databaseURL: String {
        get throws {
            let server = try #require(Self.serverURL)
            var components = try #require(URLComponents(string: server))
            components.queryItems = (components.queryItems ?? []) + [URLQueryItem(name: "schema", value: name)]
            return try #require(components.string)
        }
    }

    /// Drops the schema and everything in it.
    func drop() async throws {
        let server = try PostgresStoreConfiguration(url: try #require(Self.serverURL))
        let logger = Logger(label: "flux.tests") { StreamLogHandler.standardError(label: $0) }
        let connection = try await PostgresConnection.connect(
            configuration: .init(host: server.host, port: server.port, username: server.username, password: server.password,
                                 database: server.database, tls: .disable),
            id: 1, logger: logger)
        do {
            try await connection.query(PostgresQuery(unsafeSQL: "DROP SCHEMA IF EXISTS \(name) CASCADE"), logger: logger)
        } catch {
            try? await connection.close()
            throw error
        }
        try await connection.close()
    }
}
