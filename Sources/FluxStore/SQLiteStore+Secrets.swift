import FluxCore
import Foundation
import GRDB

/// Secrets are stored exactly as the ciphertext bytes they are given (see `SecretVault`): the store
/// never sees, logs or derives anything from a plain value, and its errors never include the bytes.
extension SQLiteStore {
    /// The ciphertext and grant stored under `name`, or nil.
    ///
    /// ```swift
    /// if let sealed = try await store.sealedSecret(name: "API_KEY") { let value = try vault.open(sealed.ciphertext, name: "API_KEY") }
    /// ```
    public func sealedSecret(name: String) async throws -> SealedSecret? {
        try await read { db in
            guard let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT ciphertext, workflows FROM secrets WHERE name = ?"),
                                             arguments: [name])
            else { return nil }
            let ciphertext: Data
            do {
                ciphertext = try row.decode(Data.self, atIndex: 0)
            } catch {
                throw StoreError.corrupt("secrets row \(name): column ciphertext cannot be read as bytes")
            }
            let workflows: String?
            do { workflows = try row.decode(String?.self, atIndex: 1) } catch {
                throw StoreError.corrupt("secrets row \(name): column workflows cannot be read as text")
            }
            return SealedSecret(ciphertext: ciphertext, grant: try SecretGrant(storedColumn: workflows))
        }
    }

    /// Stores `secret` under `name`, replacing the ciphertext and the grant that were there.
    ///
    /// ```swift
    /// try await store.setSealedSecret(SealedSecret(ciphertext: try vault.seal("s3cr3t", name: "API_KEY")), name: "API_KEY")
    /// ```
    public func setSealedSecret(_ secret: SealedSecret, name: String) async throws {
        try await write { db in
            try db.cachedStatement(sql: """
                INSERT INTO secrets (name, ciphertext, updated_at, workflows) VALUES (?, ?, ?, ?)
                ON CONFLICT (name) DO UPDATE SET ciphertext = excluded.ciphertext, updated_at = excluded.updated_at,
                    workflows = excluded.workflows
                """).execute(arguments: [name, secret.ciphertext, Date().storeSeconds, secret.grant.storedColumn])
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
