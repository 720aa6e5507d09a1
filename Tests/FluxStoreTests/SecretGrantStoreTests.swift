import FluxCore
import FluxStore
import Foundation
import GRDB
import Testing

/// Secret grants (the workflows a secret is granted to) stored beside the ciphertext, on SQLite and on PostgreSQL,
/// and the provider that refuses a secret to an execution of a workflow it is not granted to.
@Suite("Secret grants in the store")
struct SecretGrantStoreTests {
    @Test(arguments: Self.checks)
    func sqlite(_ check: ContractCheck) async throws { try await check.run(on: .sqlite) }

    @Test(.postgresConfigured, arguments: Self.checks)
    func postgres(_ check: ContractCheck) async throws { try await check.run(on: .postgres) }

    static let checks: [ContractCheck] = [
        ContractCheck("a grant round-trips with its ciphertext and is replaced with it") { lab in
            let writer = try await lab.open()
            let reader = try await lab.open()
            #expect(try await reader.sealedSecret(name: "API_KEY") == nil)
            try await writer.setSealedSecret(SealedSecret(ciphertext: Data([1, 2, 3]), grant: .workflows(["a", "b"])), name: "API_KEY")
            try await writer.setSecretCiphertext(Data([4]), name: "OPEN")
            #expect(try await reader.sealedSecret(name: "API_KEY") == SealedSecret(ciphertext: Data([1, 2, 3]), grant: .workflows(["a", "b"])))
            #expect(try await reader.sealedSecret(name: "OPEN") == SealedSecret(ciphertext: Data([4]), grant: .anyWorkflow))
            // Names that need escaping in JSON survive.
            let odd = SealedSecret(ciphertext: Data([5]), grant: .workflows(["with \"quotes\"", "ünïcode", "back\\slash"]))
            try await writer.setSealedSecret(odd, name: "ODD")
            #expect(try await reader.sealedSecret(name: "ODD") == odd)
            // Setting again replaces both; the ciphertext-only setter grants any workflow.
            try await writer.setSealedSecret(SealedSecret(ciphertext: Data([6]), grant: .anyWorkflow), name: "API_KEY")
            #expect(try await reader.sealedSecret(name: "API_KEY")?.grant == .anyWorkflow)
            try await writer.setSealedSecret(SealedSecret(ciphertext: Data([7]), grant: .workflows(["c"])), name: "OPEN")
            #expect(try await reader.secretCiphertext(name: "OPEN") == Data([7]))
            #expect(try await reader.sealedSecret(name: "OPEN")?.grant == .workflows(["c"]))
            #expect(try await reader.secretNames() == ["API_KEY", "ODD", "OPEN"])
        },
        ContractCheck("the provider hands a secret only to the workflows it is granted to") { lab in
            let store = try await lab.open()
            let secrets = StoredSecretProvider(store: store, vault: try SecretVault(encryptionKey: "a long enough test passphrase"))
            try await secrets.set("granted-value", name: "API_KEY", grant: .workflows(["a"]))
            try await secrets.set("open-value", name: "OPEN")
            func run(_ workflow: String) -> SecretRequester { SecretRequester(executionID: "e-\(workflow)", workflowName: workflow, workflowVersion: 1) }

            #expect(try await secrets.secrets(named: ["API_KEY", "OPEN"], for: run("a")) == ["API_KEY": "granted-value", "OPEN": "open-value"])
            #expect(try await secrets.secrets(named: ["OPEN"], for: run("b")) == ["OPEN": "open-value"])
            await #expect(throws: SecretError.notGranted(secret: "API_KEY", workflow: "b")) {
                try await secrets.secrets(named: ["OPEN", "API_KEY"], for: run("b"))
            }
            // The operator's read ignores grants; a missing secret is still missing.
            #expect(try await secrets.secrets(named: ["API_KEY"]) == ["API_KEY": "granted-value"])
            await #expect(throws: SecretError.missing(["NOPE"])) { try await secrets.secrets(named: ["NOPE"], for: run("a")) }
            // Grants that name no usable workflow are refused before anything is stored.
            await #expect(throws: SecretError.self) { try await secrets.set("x", name: "EMPTY", grant: .workflows([])) }
            await #expect(throws: SecretError.self) { try await secrets.set("x", name: "BAD", grant: .workflows(["a/b"])) }
            #expect(try await store.secretNames() == ["API_KEY", "OPEN"])
        },
    ]

    /// A database written before grants existed: its secrets, read after the upgrade, are granted to any workflow.
    @Test func secretsStoredBeforeGrantsExistedAreGrantedToAnyWorkflow() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        do {
            let store = try SQLiteStore(path: dir.databasePath)
            try await store.setSecretCiphertext(Data([1, 2]), name: "OLD")
        }
        // Undo the migration, as if the file came from the previous version.
        try await DatabaseQueue(path: dir.databasePath).write { db in
            try db.execute(sql: "ALTER TABLE secrets DROP COLUMN workflows")
            try db.execute(sql: "DELETE FROM grdb_migrations WHERE identifier = 'v4_secret_grants'")
        }
        let upgraded = try SQLiteStore(path: dir.databasePath)
        #expect(try upgraded.appliedMigrations().contains("v4_secret_grants"))
        #expect(try await upgraded.sealedSecret(name: "OLD") == SealedSecret(ciphertext: Data([1, 2]), grant: .anyWorkflow))
    }

    /// A damaged grant column is a store error, not a grant to everyone.
    @Test func aDamagedGrantIsRefused() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let store = try SQLiteStore(path: dir.databasePath)
        try await store.setSealedSecret(SealedSecret(ciphertext: Data([1]), grant: .workflows(["a"])), name: "K")
        try await DatabaseQueue(path: dir.databasePath).write { db in
            try db.execute(sql: "UPDATE secrets SET workflows = '{\"not\": \"a list\"}' WHERE name = 'K'")
        }
        await #expect(throws: StoreError.self) { try await store.sealedSecret(name: "K") }
    }
}
