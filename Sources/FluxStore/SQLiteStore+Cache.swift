import FluxCore
import Foundation
import GRDB

extension SQLiteStore {
    /// The cached result stored under `key`, or nil.
    ///
    /// ```swift
    /// if let hit = try await store.cachedValue(key: taskHash) { return hit }
    /// ```
    public func cachedValue(key: String) async throws -> JSONValue? {
        try await read { db in
            guard let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT value FROM task_cache WHERE key = ?"),
                                             arguments: [key])
            else { return nil }
            return try RowReader(row: row, table: "task_cache", key: key).json(0, "value")
        }
    }

    /// Stores `value` under `key`, replacing what was there.
    ///
    /// ```swift
    /// try await store.storeCachedValue(result, key: taskHash)
    /// ```
    public func storeCachedValue(_ value: JSONValue, key: String) async throws {
        let text = value.canonicalJSON
        try await write { db in
            try db.cachedStatement(sql: """
                INSERT INTO task_cache (key, value, created_at) VALUES (?, ?, ?)
                ON CONFLICT (key) DO UPDATE SET value = excluded.value, created_at = excluded.created_at
                """).execute(arguments: [key, text, Date().storeSeconds])
        }
    }
}
