import FluxCore
import Foundation
import PostgresNIO

/// The task cache, and secrets stored exactly as the ciphertext bytes they are given (see `SecretVault`):
/// the store never sees, logs or derives anything from a plain value, and its errors never include the bytes.
extension PostgresStore {
    /// The cached result stored under `key`, or nil.
    ///
    /// ```swift
    /// if let hit = try await store.cachedValue(key: taskHash) { return hit }
    /// ```
    public func cachedValue(key: String) async throws -> JSONValue? {
        try await rows("SELECT value FROM task_cache WHERE key = \(key)").first.map {
            try PostgresRowReader($0, table: "task_cache", key: key).json(0, "value")
        }
    }

    /// Stores `value` under `key`, replacing what was there.
    ///
    /// ```swift
    /// try await store.storeCachedValue(result, key: taskHash)
    /// ```
    public func storeCachedValue(_ value: JSONValue, key: String) async throws {
        _ = try await rows("""
            INSERT INTO task_cache (key, value, created_at) VALUES (\(key), \(value.canonicalJSON), \(Date().storeSeconds))
            ON CONFLICT (key) DO UPDATE SET value = excluded.value, created_at = excluded.created_at
            """)
    }

    /// The ciphertext and grant stored under `name`, or nil.
    ///
    /// ```swift
    /// if let sealed = try await store.sealedSecret(name: "API_KEY") { let value = try vault.open(sealed.ciphertext, name: "API_KEY") }
    /// ```
    public func sealedSecret(name: String) async throws -> SealedSecret? {
        guard let row = try await rows("SELECT ciphertext, workflows FROM secrets WHERE name = \(name)").first else { return nil }
        let reader = PostgresRowReader(row, table: "secrets", key: name)
        return SealedSecret(ciphertext: try reader.bytes(0, "ciphertext"), grant: try SecretGrant(storedColumn: try reader.optionalString(1, "workflows")))
    }

    /// Stores `secret` under `name`, replacing the ciphertext and the grant that were there.
    ///
    /// ```swift
    /// try await store.setSealedSecret(SealedSecret(ciphertext: try vault.seal("s3cr3t", name: "API_KEY")), name: "API_KEY")
    /// ```
    public func setSealedSecret(_ secret: SealedSecret, name: String) async throws {
        _ = try await rows("""
            INSERT INTO secrets (name, ciphertext, updated_at, workflows)
            VALUES (\(name), \(secret.ciphertext), \(Date().storeSeconds), \(secret.grant.storedColumn))
            ON CONFLICT (name) DO UPDATE SET ciphertext = excluded.ciphertext, updated_at = excluded.updated_at,
                workflows = excluded.workflows
            """)
    }

    /// Deletes the secret; returns false when there was no such secret.
    ///
    /// ```swift
    /// let existed = try await store.deleteSecret(name: "API_KEY")
    /// ```
    public func deleteSecret(name: String) async throws -> Bool {
        try await count("WITH gone AS (DELETE FROM secrets WHERE name = \(name) RETURNING 1) SELECT COUNT(*) FROM gone") > 0
    }

    /// The names of all secrets, sorted (byte order).
    ///
    /// ```swift
    /// let names = try await store.secretNames()   // ["API_KEY", "DB_PASSWORD"]
    /// ```
    public func secretNames() async throws -> [String] {
        try await rows("SELECT name FROM secrets ORDER BY name").map {
            try PostgresRowReader($0, table: "secrets", key: "?").string(0, "name")
        }
    }
}
