import FluxCore
import Foundation
import GRDB

extension SQLiteStore: WorkerStore {
    /// Inserts the worker or replaces the row of the same name.
    ///
    /// ```swift
    /// try await store.saveWorker(WorkerRecord(name: "w1", incarnation: "8f2c", tokenHash: hash, info: info))
    /// ```
    public func saveWorker(_ record: WorkerRecord) async throws {
        try await write { db in
            try db.cachedStatement(sql: """
                INSERT INTO workers (name, incarnation, token_hash, info, status, registered_at, last_seen_at)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (name) DO UPDATE SET incarnation = excluded.incarnation, token_hash = excluded.token_hash,
                    info = excluded.info, status = excluded.status, registered_at = excluded.registered_at,
                    last_seen_at = excluded.last_seen_at
                """).execute(arguments: [
                    record.name, record.incarnation, record.tokenHash, record.info.canonicalJSON, record.status.canonicalJSON,
                    record.registeredAt.storeSeconds, record.lastSeenAt.storeSeconds,
                ])
        }
    }

    /// The worker named `name`, or nil.
    ///
    /// ```swift
    /// let w = try await store.worker(name: "w1")
    /// ```
    public func worker(name: String) async throws -> WorkerRecord? {
        try await read { db in
            try Row.fetchOne(db.cachedStatement(sql: "SELECT \(Self.workerColumns) FROM workers WHERE name = ?"), arguments: [name])
                .map(Self.workerRecord)
        }
    }

    /// Every registered worker, by name.
    ///
    /// ```swift
    /// for w in try await store.listWorkers() { print(w.name, w.lastSeenAt) }
    /// ```
    public func listWorkers() async throws -> [WorkerRecord] {
        try await read { db in
            try Row.fetchAll(db.cachedStatement(sql: "SELECT \(Self.workerColumns) FROM workers ORDER BY name")).map(Self.workerRecord)
        }
    }

    /// Records a heartbeat; false for an unknown worker.
    ///
    /// ```swift
    /// _ = try await store.recordWorkerHeartbeat(name: "w1", at: Date(), status: ["in_flight": []])
    /// ```
    public func recordWorkerHeartbeat(name: String, at: Date, status: JSONValue) async throws -> Bool {
        try await write { db in
            try db.cachedStatement(sql: "UPDATE workers SET last_seen_at = ?, status = ? WHERE name = ?")
                .execute(arguments: [at.storeSeconds, status.canonicalJSON, name])
            return db.changesCount > 0
        }
    }

    static let workerColumns = "name, incarnation, token_hash, info, status, registered_at, last_seen_at"

    static func workerRecord(_ row: Row) throws -> WorkerRecord {
        let name = try RowReader(row: row, table: "workers", key: "?").string(0, "name")
        let r = RowReader(row: row, table: "workers", key: name)
        return WorkerRecord(
            name: name, incarnation: try r.string(1, "incarnation"), tokenHash: try r.string(2, "token_hash"),
            info: try r.json(3, "info"), status: try r.json(4, "status"),
            registeredAt: try r.date(5, "registered_at"), lastSeenAt: try r.date(6, "last_seen_at"))
    }
}
