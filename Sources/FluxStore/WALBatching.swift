import CFluxSQLite
import Foundation
import GRDB
import GRDBSQLite

/// Puts the store's writer connection on batched WAL writes: the `flux-wal-batch` VFS shim (target CFluxSQLite)
/// hands each commit's WAL frames to the kernel in one write instead of two per page.
///
/// The shim is registered as the process's default VFS before the first connection opens, and passes every
/// file through unchanged until a connection switches its WAL on. The writer then runs with `synchronous=FULL`
/// and `checkpoint_fullfsync=ON`: SQLite syncs the WAL after the last frame of each commit and before it
/// publishes the commit, which is where the shim writes the batch (so an I/O error fails that commit as usual).
/// For a `.normal` store the shim skips the fsync of that commit-time sync, which is exactly SQLite's
/// synchronous=NORMAL; checkpoints keep theirs. docs/store.md has the reasoning and the figures.
///
/// `FLUX_STORE_WAL_BATCHING=off` in the environment leaves the writer on plain SQLite (for comparisons).
enum WALBatching {
    /// Whether the shim is the default VFS (registered once per process, at first use).
    static let available: Bool = {
        if ProcessInfo.processInfo.environment["FLUX_STORE_WAL_BATCHING"]?.lowercased() == "off" { return false }
        return flux_wal_vfs_register() == SQLITE_OK
    }()

    /// Configures `db`, the writer connection, for `synchronous`, batching its WAL writes when the shim is there.
    static func configureWriter(_ db: Database, synchronous: SQLiteSynchronous) throws {
        var mode: Int32 = synchronous == .full ? 2 : 1
        if available, sqlite3_file_control(db.sqliteConnection, "main", FLUX_WAL_VFS_FCNTL_BATCH, &mode) == SQLITE_OK {
            try db.execute(sql: "PRAGMA synchronous = FULL")
            try db.execute(sql: "PRAGMA checkpoint_fullfsync = ON")
        } else {
            try db.execute(sql: "PRAGMA synchronous = \(synchronous == .full ? "FULL" : "NORMAL")")
        }
    }

    /// What a commit on `db` survives: the shim's mode when it batches the WAL, otherwise `PRAGMA synchronous`.
    static func synchronous(of db: Database) throws -> SQLiteSynchronous? {
        switch batchingMode(of: db) {
        case 1: return .normal
        case 2: return .full
        default: break
        }
        // 1 is NORMAL, 2 is FULL (0 OFF and 3 EXTRA are never set by this store).
        switch try Int.fetchOne(db, sql: "PRAGMA synchronous") {
        case 1: return .normal
        case 2: return .full
        default: return nil
        }
    }

    /// What the syncs of `db`'s WAL did since the connection opened: passed to the disk, and commit syncs skipped
    /// (a `.normal` store). Nil when the file is not the shim's.
    static func walSyncs(of db: Database) -> (synced: Int, skipped: Int)? {
        var counts: [sqlite3_uint64] = [0, 0]
        guard available, sqlite3_file_control(db.sqliteConnection, "main", FLUX_WAL_VFS_FCNTL_SYNC_COUNTS, &counts) == SQLITE_OK
        else { return nil }
        return (Int(counts[0]), Int(counts[1]))
    }

    /// The shim's mode for `db`'s WAL (0 off, 1 batching with commit fsyncs skipped, 2 batching with them kept),
    /// or nil when the file is not the shim's.
    private static func batchingMode(of db: Database) -> Int32? {
        var mode: Int32 = -1
        guard available, sqlite3_file_control(db.sqliteConnection, "main", FLUX_WAL_VFS_FCNTL_BATCH, &mode) == SQLITE_OK
        else { return nil }
        return mode
    }
}
