import FluxCore
import FluxPostgres
import Foundation
import Testing

/// What is particular to the PostgreSQL store: its URL, its errors, its migrations.
@Suite("PostgreSQL store")
struct PostgresStoreTests {
    @Test func aFullURLIsRead() throws {
        let c = try PostgresStoreConfiguration(
            url: "postgresql://fl%40ux:p%3Ass@db.example:6543/flux_prod?sslmode=require&schema=flux&pool_size=7&connect_timeout=2.5&application_name=replica-1")
        #expect(c.username == "fl@ux" && c.password == "p:ss")
        #expect(c.host == "db.example" && c.port == 6543 && c.database == "flux_prod")
        #expect(c.tls == .require && c.schema == "flux" && c.maximumConnections == 7)
        #expect(c.connectTimeout == .milliseconds(2500) && c.applicationName == "replica-1")
        #expect(c.endpointDescription == "fl@ux@db.example:6543/flux_prod (schema flux)")
    }

    @Test func defaultsFollowLibpq() throws {
        let c = try PostgresStoreConfiguration(url: "postgres://")
        #expect(c.host == "localhost" && c.port == 5432 && c.username == "postgres" && c.password == nil)
        #expect(c.database == nil && c.tls == .prefer && c.schema == nil && c.unixSocketDirectory == nil)
        let socket = try PostgresStoreConfiguration(url: "postgresql://flux@/flux?host=/var/run/postgresql&sslmode=verify-full")
        #expect(socket.unixSocketDirectory == "/var/run/postgresql" && socket.tls == .verifyFull && socket.database == "flux")
        let v6 = try PostgresStoreConfiguration(url: "postgresql://flux@[::1]:5433/flux")
        #expect(v6.host == "::1" && v6.port == 5433)
    }

    @Test(arguments: [
        ("mysql://db/flux", "scheme"),
        ("postgresql://db:0/flux", "port 0"),
        ("postgresql://db/flux/extra", "one database name"),
        ("postgresql://db/flux?sslmode=maybe", "sslmode"),
        ("postgresql://db/flux?schema=Bad-Name", "schema"),
        ("postgresql://db/flux?pool_size=0", "pool_size"),
        ("postgresql://db/flux?connect_timeout=-1", "connect_timeout"),
        ("postgresql://db/flux?host=relative", "Unix socket directory"),
        ("postgresql://db/flux?colour=blue", "unknown parameter \"colour\""),
    ])
    func aMalformedURLSaysWhatIsWrong(_ url: String, _ expected: String) {
        do {
            _ = try PostgresStoreConfiguration(url: url)
            Issue.record("\(url) was accepted")
        } catch {
            #expect(error.description.contains(expected), "\(error)")
            #expect(error.description.contains("postgresql://user:password@host:port/database"))
        }
    }

    @Test func thePasswordNeverShowsInAnError() {
        do {
            _ = try PostgresStoreConfiguration(url: "postgresql://flux:hunter2@db:5432/flux?sslmode=nope")
            Issue.record("accepted")
        } catch {
            #expect(!error.description.contains("hunter2"))
            #expect(error.url == "postgresql://flux:********@db:5432/flux?sslmode=nope")
        }
    }

    @Test func anUnreachableServerIsAClearError() async throws {
        // Nothing listens on port 1 of the loopback: the connection is refused at once.
        do {
            let store = try await PostgresStore.connect(url: "postgresql://flux:secret@127.0.0.1:1/flux?sslmode=disable&connect_timeout=5")
            await store.close()
            Issue.record("connected to port 1")
        } catch let StoreError.unavailable(message) {
            #expect(message.contains("cannot connect to PostgreSQL at flux@127.0.0.1:1/flux"), "\(message)")
            #expect(message.contains("database_url") && message.contains("server is running"))
            #expect(!message.contains("secret"))
        }
    }

    @Test(.postgresConfigured)
    func aWrongPasswordIsAClearError() async throws {
        var configuration = try PostgresStoreConfiguration(url: try #require(PostgresTestServer.url))
        configuration.password = "not-the-password"
        do {
            let store = try await PostgresStore.connect(configuration, logger: PostgresTestServer.logger)
            await store.close()
            Issue.record("connected with a wrong password")
        } catch let StoreError.unavailable(message) {
            #expect(message.contains("password authentication failed"), "\(message)")
            #expect(!message.contains("not-the-password"))
        }
    }

    @Test(.postgresConfigured)
    func migrationsRunOnceEvenWhenReplicasStartTogether() async throws {
        try await ContractCheck("migrations") { lab in
            let stores = try await withThrowingTaskGroup(of: (any ContractStore).self) { group in
                for _ in 0..<4 { group.addTask { try await lab.open() } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            for store in stores { #expect(try await store.appliedMigrations() == ["v1_initial_schema", "v4_secret_grants", "v5_call_lineage"]) }
            try await stores[0].createExecution(makeRecord(), events: [makeEvent(1)])
            let again = try await lab.open()
            #expect(try await again.appliedMigrations() == ["v1_initial_schema", "v4_secret_grants", "v5_call_lineage"])
            #expect(try await again.counts() == (executions: 1, events: 1))
        }.run(on: .postgres)
    }

    @Test(.postgresConfigured)
    func aClosedStoreRefusesWorkAndEndsItsFeed() async throws {
        try await ContractCheck("close") { lab in
            let store = try #require(try await lab.open() as? PostgresStore)
            let feed = store.changes()
            await store.close()
            var ended = true
            for await _ in feed { ended = false }
            #expect(ended)
            await #expect(throws: (any Error).self) { try await store.execution(id: "x") }
            await store.close()   // a second close is harmless
        }.run(on: .postgres)
    }
}
