import FluxCore
import FluxStore
import Foundation
import Testing

/// The task cache and the secrets, on SQLite and on PostgreSQL.
@Suite("Task cache and secrets")
struct CacheAndSecretTests {
    @Test(arguments: Self.checks)
    func sqlite(_ check: ContractCheck) async throws { try await check.run(on: .sqlite) }

    @Test(.postgresConfigured, arguments: Self.checks)
    func postgres(_ check: ContractCheck) async throws { try await check.run(on: .postgres) }

    static let checks: [ContractCheck] = [
        ContractCheck("the cache is shared by two stores on one database") { lab in
            let writer = try await lab.open()
            let reader = try await lab.open()
            let value: JSONValue = ["answer": 42, "items": ["a", 1.25, nil, false]]

            #expect(try await reader.cachedValue(key: "k") == nil)
            try await writer.storeCachedValue(value, key: "k")
            #expect(try await reader.cachedValue(key: "k") == value)
            try await reader.storeCachedValue("replaced", key: "k")
            #expect(try await writer.cachedValue(key: "k") == "replaced")
        },
        ContractCheck("secrets round-trip their bytes") { lab in
            let store = try await lab.open()
            let bytes = Data((0..<200).map { UInt8(truncatingIfNeeded: $0 &* 37) })
            #expect(try await store.secretCiphertext(name: "API_KEY") == nil)
            try await store.setSecretCiphertext(bytes, name: "API_KEY")
            try await store.setSecretCiphertext(Data([0, 1, 2]), name: "DB_PASSWORD")
            try await store.setSecretCiphertext(Data(), name: "EMPTY")
            #expect(try await store.secretCiphertext(name: "API_KEY") == bytes)
            #expect(try await store.secretCiphertext(name: "EMPTY") == Data())
            #expect(try await store.secretNames() == ["API_KEY", "DB_PASSWORD", "EMPTY"])

            try await store.setSecretCiphertext(Data([9, 9]), name: "API_KEY")
            #expect(try await store.secretCiphertext(name: "API_KEY") == Data([9, 9]))
            #expect(try await store.deleteSecret(name: "API_KEY"))
            #expect(try await store.deleteSecret(name: "API_KEY") == false)
            #expect(try await store.secretNames() == ["DB_PASSWORD", "EMPTY"])
        },
    ]

    @Test func theSQLiteFileHoldsOnlyCiphertext() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let marker = "plaintext-marker-\(UUID().uuidString)"
        let vault = try SecretVault(encryptionKey: "a long enough test passphrase")
        let sealed = try vault.seal(marker, name: "TOKEN")
        do {
            let store = try SQLiteStore(path: dir.databasePath)
            try await store.setSecretCiphertext(sealed, name: "TOKEN")
            let stored = try #require(try await store.secretCiphertext(name: "TOKEN"))
            #expect(stored == sealed)
            #expect(try vault.open(stored, name: "TOKEN") == marker)
        }
        // Whatever is on disk (database, WAL), the plain value is nowhere in it.
        let files = try FileManager.default.contentsOfDirectory(atPath: dir.path + "/nested/dir")
        #expect(files.contains("flux.db"))
        for file in files {
            let data = try Data(contentsOf: URL(fileURLWithPath: dir.path + "/nested/dir/" + file))
            #expect(data.range(of: Data(marker.utf8)) == nil, "plain value found in \(file)")
        }
    }
}
