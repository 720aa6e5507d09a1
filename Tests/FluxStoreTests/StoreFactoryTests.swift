import FluxConfig
import FluxCore
import FluxPostgres
import FluxService
import FluxStore
import Foundation
import Testing

/// `database_url` (and FLUX_DATABASE_URL) choose the store that every door opens.
@Suite("Opening the configured store")
struct StoreFactoryTests {
    @Test func aSQLiteURLOpensTheSQLiteStore() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        var configuration = FluxConfiguration(home: dir.path)
        configuration.databaseURL = "sqlite:///" + dir.databasePath
        let store = try await StoreFactory.open(configuration: configuration)
        let sqlite = try #require(store as? SQLiteStore)
        #expect(sqlite.path == dir.databasePath)
        #expect(FileManager.default.fileExists(atPath: dir.databasePath))
    }

    @Test(.postgresConfigured)
    func thePostgresURLFromTheEnvironmentOpensThePostgresStore() async throws {
        try await ContractCheck("factory") { lab in
            let configuration = try FluxConfiguration(toml: "[flux]\ndatabase_url = \"sqlite:///ignored.db\"\n",
                                                      environment: ["FLUX_DATABASE_URL": try PostgresTestServer.url(schema: lab.place)])
            let store = try await StoreFactory.open(configuration: configuration, logger: PostgresTestServer.logger)
            let postgres = try #require(store as? PostgresStore)
            #expect(postgres.configuration.schema == lab.place)
            try await store.createExecution(makeRecord(), events: [])
            // The same database, seen through another store of the lab.
            #expect(try await lab.open().counts().executions == 1)
            await postgres.close()
        }.run(on: .postgres)
    }

    @Test(.postgresConfigured)
    func theServiceRunsAWorkflowOnPostgres() async throws {
        try await ContractCheck("service") { lab in
            var configuration = FluxConfiguration(home: FileManager.default.temporaryDirectory.path + "/flux-\(lab.place)")
            configuration.databaseURL = try PostgresTestServer.url(schema: lab.place)
            let service = try await FluxService.open(configuration: configuration)
            let document = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
                .appendingPathComponent("../../examples/documents/hello_world.yaml").standardized
            _ = try await service.register(document: try String(contentsOf: document, encoding: .utf8), sourceName: "hello_world.yaml")
            let snapshot = try await service.run(workflow: "hello_world", input: "Postgres", mode: .sync)
            #expect(snapshot.record.state == .completed && snapshot.record.output == "Hello, Postgres")
            let stored = try #require(try await lab.open().execution(id: snapshot.record.id))
            #expect(stored.state == .completed && stored.lastSequence > 0)
            await (service.store as? PostgresStore)?.close()
        }.run(on: .postgres)
    }

    /// A malformed URL is the user's to fix (invalid input); an unreachable server is unavailable.
    @Test(arguments: [
        ("postgresql://flux:hunter2@db/flux?sslmode=sometimes", ServiceError.Code.invalidInput, "sslmode"),
        ("postgresql://flux:hunter2@127.0.0.1:1/flux?sslmode=disable&connect_timeout=5", ServiceError.Code.unavailable,
         "cannot connect to PostgreSQL at flux@127.0.0.1:1/flux"),
    ])
    func aPostgresURLThatCannotBeUsedSaysWhatToDo(_ url: String, _ code: ServiceError.Code, _ expected: String) async throws {
        var configuration = FluxConfiguration(home: FileManager.default.temporaryDirectory.path)
        configuration.databaseURL = url
        do {
            _ = try await StoreFactory.open(configuration: configuration)
            Issue.record("opened a store from \(url)")
        } catch let error as StoreFactoryError {
            #expect(error.description.contains(expected), "\(error)")
            #expect(error.description.hasPrefix("database_url: ") && error.description.contains("FLUX_DATABASE_URL"))
            #expect(!error.description.contains("hunter2"))
            #expect(ServiceError.wrap(error).code == code)
        }
    }
}
