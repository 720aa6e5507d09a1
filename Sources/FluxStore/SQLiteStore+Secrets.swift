import FluxCore
import Foundation
import GRDB

/// Secrets are stored exactly as the ciphertext bytes they are given (see `SecretVault`): the store
/// never sees, logs or derives anything from a plain value, and its errors never include the bytes.
extension SQLiteStore {
    /// The ciphertext stored under `name`, or nil.
    ///
    /// ```swift
    /// if let sealed = try await store.secretCiphertext(name: "API_KEY") { let value = try vault.open(sealed, name: "API_KEY") }
    /// ```
    public func secretCiphertext(name: String) async throws -> Data? {
        try await read { db in
            guard let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT ciphertext FROM secrets WHERE name = ?"),
                                             arguments: [name])
            else { return nil }
            do {
                return try row.decode(Data.self, atIndex: 0)
            } catch {
                throw StoreError.corrupt("secrets row \(name): column ciphertext cannot be read as bytes")
            }
        }
    }

    /// Stores `ciphertext` under `name`, replacing what was there.
    ///
    /// ```swift
    /// try await store.setSecretCiphertext(try vault.seal("s3cr3t", name: "API_KEY"), name: "API_KEY")
    /// ```
    public func setSecretCiphertext(_ ciphertext: Data, name: String) async throws {
        try await write { db in
            try db.cachedStatement(sql: """
                INSERT INTO secrets (name, ciphertext, updated_at) VALUES (?, ?, ?)
                ON CONFLICT (name) DO UPDATE SET ciphertext = excluded.ciphertext, updated_at = excluded.updated_at
                """).execute(arguments: [name, ciphertext, Date().storeSeconds])
        }
    }

    /// Deletes the secret; returns false when there was no such secret.
    ///
    /// ```swift
    /// let existed = try await store.deleteSecret(name: "API_KEY")
    /// ```
    public func deleteSecret(name: String) async throws -> Bool {
        try await write { db in
            try db.cachedStatement(sql: "DELETE FROM secrets WHERE name = ?").execute(arguments: [name])
            return db.changesCount > 0
        }
    }

    /// The names of all secrets, sorted.
    ///
    /// ```swift
    /// let names = try await store.secretNames()   // ["API_KEY", "DB_PASSWORD"]
    /// ```
    public func secretNames() async throws -> [String] {
        try await read { db in
            try String.fetchAll(db.cachedStatement(sql: "SELECT name FROM secrets ORDER BY name"))
        }
    }
}
