import FluxCore
import Foundation
import Logging
import NIOSSL
import PostgresNIO
import Synchronization

/// The store for more than one process or machine: every ``FluxStore`` operation on a PostgreSQL server,
/// with a pool of connections and a change feed over LISTEN/NOTIFY.
///
/// ```swift
/// let store = try await PostgresStore.connect(url: "postgresql://flux:secret@db:5432/flux")
/// try await store.createExecution(record, events: [])
/// for await change in store.changes() { print(change) }   // from every process on this database
/// await store.close()
/// ```
///
/// The schema, its migrations and the semantics of each operation are the SQLite store's (docs/store.md).
/// Claims lock rows: a claim of a given execution is one conditional `UPDATE`, and ``claimNext(fromStates:owner:leaseExpiresAt:newState:now:)``
/// picks work with `FOR UPDATE SKIP LOCKED`, so concurrent claimers never wait for or take each other's row.
///
/// The store owns a `PostgresClient` (PostgresNIO's pool) that runs in a task of its own, and one more
/// connection that listens for changes. ``close()`` ends both; a store released without `close()` cancels
/// them too.
public final class PostgresStore: FluxStore, ExecutionChangeFeed, Sendable {
    public let configuration: PostgresStoreConfiguration
    let client: PostgresClient
    let changeFeed = ExecutionChangeBroadcaster()
    let logger: Logger
    private let background = Mutex<[Task<Void, Never>]>([])

    private init(configuration: PostgresStoreConfiguration, client: PostgresClient, logger: Logger) {
        self.configuration = configuration
        self.client = client
        self.logger = logger
    }

    /// Connects, creates or migrates the schema, and starts the pool and the change feed.
    ///
    /// ```swift
    /// let store = try await PostgresStore.connect(url: ProcessInfo.processInfo.environment["FLUX_DATABASE_URL"] ?? "")
    /// ```
    ///
    /// - Throws: ``PostgresURLError`` for a malformed URL; ``StoreError/unavailable(_:)`` saying what
    ///   failed (server unreachable, authentication, missing database, migration) and what to check.
    public static func connect(url: String, logger: Logger = Logger(label: "flux.postgres")) async throws -> PostgresStore {
        try await connect(PostgresStoreConfiguration(url: url), logger: logger)
    }

    /// Connects with an explicit configuration; see ``connect(url:logger:)``.
    ///
    /// ```swift
    /// let store = try await PostgresStore.connect(PostgresStoreConfiguration(host: "127.0.0.1", port: 54329, database: "flux"))
    /// ```
    public static func connect(_ configuration: PostgresStoreConfiguration,
                               logger: Logger = Logger(label: "flux.postgres")) async throws -> PostgresStore {
        let connectionConfiguration = try configuration.connectionConfiguration()
        let open: @Sendable () async throws -> PostgresConnection = {
            try await PostgresConnection.connect(configuration: connectionConfiguration, id: Int.random(in: 1...Int.max), logger: logger)
        }
        let first: PostgresConnection
        do {
            first = try await open()
        } catch {
            throw StoreError.unavailable("""
                cannot connect to PostgreSQL at \(configuration.endpointDescription): \(describe(error)). \
                Check that the server is running and reachable from here, and that database_url (or FLUX_DATABASE_URL) \
                names the right host, port, user, password and database
                """)
        }
        let channel: String
        do {
            try await PostgresMigrations.migrate(on: first, schema: configuration.schema, logger: logger)
            let schema = try await first.query("SELECT current_schema()", logger: logger)
                .decode(String?.self).first { _ in true }.flatMap { $0 }
            guard let schema else {
                throw StoreError.unavailable("no schema is selected on \(configuration.endpointDescription) (check the user's search_path)")
            }
            channel = PostgresChangeListener.channelPrefix + schema
        } catch {
            try? await first.close()
            if let error = error as? StoreError { throw error }
            throw StoreError.unavailable("""
                cannot prepare the Flux schema on \(configuration.endpointDescription): \(describe(error)). \
                The user needs the right to create tables (and the schema, if one is configured)
                """)
        }

        // The pool reports every connection it opens or drops at info; keep its chatter to warnings.
        var poolLogger = logger
        poolLogger.logLevel = max(logger.logLevel, .warning)
        let client = PostgresClient(configuration: configuration.clientConfiguration(), backgroundLogger: poolLogger)
        let store = PostgresStore(configuration: configuration, client: client, logger: logger)
        let run = Task { await client.run() }
        let (ready, readyContinuation) = AsyncStream.makeStream(of: Void.self)
        let feed = store.changeFeed
        let listener = Task {
            await PostgresChangeListener.run(first: first, channel: channel, reconnect: open, feed: feed, logger: logger,
                                             ready: { readyContinuation.finish() })
        }
        store.background.withLock { $0 = [run, listener] }
        for await _ in ready {}
        return store
    }

    deinit {
        for task in background.withLock({ $0 }) { task.cancel() }
        changeFeed.finish()
    }

    /// Stops the change feed and the pool, and waits until their connections are closed. Operations
    /// after `close()` fail with ``StoreError/unavailable(_:)``.
    ///
    /// ```swift
    /// defer { Task { await store.close() } }
    /// ```
    public func close() async {
        let tasks = background.withLock { tasks in
            defer { tasks = [] }
            return tasks
        }
        for task in tasks.reversed() {
            task.cancel()
            await task.value
        }
        changeFeed.finish()
    }

    /// Changes to executions committed from now on by any process using this database (and schema):
    /// creations, state changes, new events and claims, announced by a trigger when their transaction commits.
    ///
    /// ```swift
    /// for await change in store.changes() where change.state == .created { await dispatch(change.executionID) }
    /// ```
    public func changes() -> AsyncStream<ExecutionChange> {
        changeFeed.subscribe()
    }

    /// True: the trigger announces every process's commits to every listener.
    public var reportsOtherProcesses: Bool { true }

    // MARK: - Maintenance

    /// The names of the applied migrations, in order (`["v1_initial_schema"]`).
    public func appliedMigrations() async throws -> [String] {
        try await rows("SELECT identifier FROM schema_migrations ORDER BY applied_at, identifier").map {
            try PostgresRowReader($0, table: "schema_migrations", key: "?").string(0, "identifier")
        }
    }

    /// How many executions and events the database holds.
    ///
    /// ```swift
    /// let (executions, events) = try await store.counts()
    /// ```
    public func counts() async throws -> (executions: Int, events: Int) {
        let row = try await rows("SELECT (SELECT COUNT(*) FROM executions), (SELECT COUNT(*) FROM execution_events)")
        guard let first = row.first else { return (0, 0) }
        let r = PostgresRowReader(first, table: "counts", key: "?")
        return (try r.int(0, "executions"), try r.int(1, "execution_events"))
    }

    // MARK: - Plumbing

    /// Runs one statement on a pool connection and collects its rows.
    func rows(_ query: PostgresQuery) async throws -> [PostgresRow] {
        try await translatingErrors { try await untranslatedRows(query) }
    }

    /// ``rows(_:)`` with PostgresNIO's errors as they are, for callers that look at the SQLSTATE.
    func untranslatedRows(_ query: PostgresQuery) async throws -> [PostgresRow] {
        try await client.query(query, logger: logger).collect()
    }

    /// Runs `body` in a transaction (READ COMMITTED) on one pool connection: COMMIT when it returns,
    /// ROLLBACK when it throws. The store's own errors pass through unchanged.
    func transaction<T: Sendable>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
        try await translatingErrors {
            try await client.withConnection { connection in
                try await connection.query("BEGIN", logger: logger)
                let value: T
                do {
                    value = try await body(connection)
                } catch {
                    _ = try? await connection.query("ROLLBACK", logger: logger)
                    throw error
                }
                try await connection.query("COMMIT", logger: logger)
                return value
            }
        }
    }

    func translatingErrors<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch {
            throw translate(error)
        }
    }

    /// Turns PostgresNIO's errors into ``StoreError``s; the store's own errors pass through.
    func translate(_ error: any Error) -> any Error {
        if error is StoreError || error is InvalidCursorError { return error }
        return StoreError.unavailable("PostgreSQL at \(configuration.endpointDescription): \(Self.describe(error))")
    }

    /// What went wrong, from the server's message when there is one. PSQLError's own description is
    /// deliberately empty, so this reads its fields; the query's bound values are never included.
    static func describe(_ error: any Error) -> String {
        guard let error = error as? PSQLError else { return "\(error)" }
        if let info = error.serverInfo, let message = info[.message] {
            var text = message
            if let detail = info[.detail] { text += " (\(detail))" }
            if let hint = info[.hint] { text += "; hint: \(hint)" }
            if let state = info[.sqlState] { text += " [SQLSTATE \(state)]" }
            return text
        }
        if let underlying = error.underlying { return "\(error.code): \(underlying)" }
        return "\(error.code)"
    }

    /// The SQLSTATE of a server error (`23505` for a unique violation), or nil.
    static func sqlState(of error: any Error) -> String? {
        (error as? PSQLError)?.serverInfo?[.sqlState]
    }
}

extension PostgresStoreConfiguration {
    /// Startup parameters: the schema as `search_path`, so that every statement names tables unqualified.
    var startupParameters: [(String, String)] {
        var parameters = [("application_name", applicationName)]
        if let schema { parameters.append(("search_path", schema)) }
        return parameters
    }

    /// TLS as libpq's `sslmode` means it: `prefer` and `require` encrypt without checking the certificate,
    /// `verify-full` checks it and the host name.
    var tlsConfiguration: TLSConfiguration {
        var tls = TLSConfiguration.makeClientConfiguration()
        if self.tls != .verifyFull { tls.certificateVerification = .none }
        return tls
    }

    func clientConfiguration() -> PostgresClient.Configuration {
        let tls: PostgresClient.Configuration.TLS
        switch self.tls {
        case .disable: tls = .disable
        case .prefer: tls = .prefer(tlsConfiguration)
        case .require, .verifyFull: tls = .require(tlsConfiguration)
        }
        var configuration: PostgresClient.Configuration
        if let unixSocketDirectory {
            configuration = .init(unixSocketPath: "\(unixSocketDirectory)/.s.PGSQL.\(port)", username: username,
                                  password: password, database: database)
        } else {
            configuration = .init(host: host, port: port, username: username, password: password, database: database, tls: tls)
        }
        configuration.options.maximumConnections = maximumConnections
        configuration.options.connectTimeout = connectTimeout
        configuration.options.additionalStartupParameters = startupParameters
        return configuration
    }

    func connectionConfiguration() throws -> PostgresConnection.Configuration {
        var configuration: PostgresConnection.Configuration
        if let unixSocketDirectory {
            configuration = .init(unixSocketPath: "\(unixSocketDirectory)/.s.PGSQL.\(port)", username: username,
                                  password: password, database: database)
        } else {
            let tls: PostgresConnection.Configuration.TLS
            do {
                switch self.tls {
                case .disable: tls = .disable
                case .prefer: tls = .prefer(try NIOSSLContext(configuration: tlsConfiguration))
                case .require, .verifyFull: tls = .require(try NIOSSLContext(configuration: tlsConfiguration))
                }
            } catch {
                throw StoreError.unavailable("cannot set up TLS for PostgreSQL at \(endpointDescription): \(error)")
            }
            configuration = .init(host: host, port: port, username: username, password: password, database: database, tls: tls)
        }
        let (seconds, attoseconds) = connectTimeout.components
        configuration.options.connectTimeout = .milliseconds(seconds * 1000 + attoseconds / 1_000_000_000_000_000)
        configuration.options.additionalStartupParameters = startupParameters
        return configuration
    }
}
