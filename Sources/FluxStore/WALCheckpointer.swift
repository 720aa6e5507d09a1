import Dispatch
import GRDB
import GRDBSQLite

/// Copies the write-ahead log into the database file (a checkpoint) on a connection and thread of its own,
/// so that commits callers wait for do not pay for it.
///
/// SQLite's own automatic checkpoint runs inside whichever commit makes the WAL cross its threshold: that
/// commit copies every page written since the last checkpoint and fsyncs the WAL and the database file,
/// milliseconds in a commit that otherwise takes tens of microseconds (docs/store.md has the figures). This
/// checkpointer replaces it through the writer connection's WAL hook:
///
/// - every `backgroundStep` frames the hook wakes a background PASSIVE checkpoint, which copies what it can
///   without blocking readers or the writer;
/// - when the WAL reaches `inlineLimit` frames anyway, the commit that reaches it runs a PASSIVE checkpoint
///   itself. By then the background has copied (and synced) almost everything, so this catches up the last
///   frames, after which the next write transaction starts the WAL over from its beginning. (SQLite restarts
///   the WAL only when a writer begins after every frame has been copied, which a background checkpoint
///   racing a steady stream of commits never achieves on its own.)
///
/// Only the writer connection commits, so only its hook is installed. The object must outlive every commit
/// on that connection: ``GroupCommitWriter`` owns it.
final class WALCheckpointer: @unchecked Sendable {
    // @unchecked: `state` is guarded by its lock; `path`, the limits and `queue` are immutable.
    private struct State {
        /// A background checkpoint is queued or running.
        var running = false
        /// How far the last background checkpoint copied, in frames from the start of the WAL.
        var copiedUpTo = 0
        /// The background connection, opened at the first background checkpoint.
        var connection: DatabaseQueue?
        /// Set when the background connection cannot be opened or its checkpoint fails other than with SQLITE_BUSY:
        /// from then on the inline checkpoint alone bounds the WAL.
        var disabled = false
    }

    private let path: String
    private let backgroundStep: Int
    private let inlineLimit: Int
    private let queue = DispatchQueue(label: "flux.store.checkpoint", qos: .utility)
    private let state = Locked(State())

    /// - Parameters:
    ///   - backgroundStep: frames written since the last background checkpoint that start the next one
    ///     (SQLite's default automatic checkpoint threshold is 1,000).
    ///   - inlineLimit: WAL size, in frames, at which a commit catches up itself (4,000 frames of 4 KiB: 16 MiB).
    init(path: String, backgroundStep: Int = 1000, inlineLimit: Int = 4000) {
        self.path = path
        self.backgroundStep = max(1, backgroundStep)
        self.inlineLimit = max(self.backgroundStep, inlineLimit)
    }

    /// Replaces SQLite's automatic checkpoint on `db`, the writer connection, with this checkpointer.
    func install(on db: Database) {
        sqlite3_wal_hook(db.sqliteConnection, walHook, Unmanaged.passUnretained(self).toOpaque())
    }

    /// Called by SQLite after each commit on the writer connection, on the thread that committed.
    fileprivate func committed(frames: Int, connection: OpaquePointer?) {
        if frames >= inlineLimit {
            sqlite3_wal_checkpoint_v2(connection, nil, SQLITE_CHECKPOINT_PASSIVE, nil, nil)
            return
        }
        let start = state.withLock { state -> Bool in
            if frames < state.copiedUpTo { state.copiedUpTo = 0 }  // the WAL started over
            guard !state.running, !state.disabled, frames - state.copiedUpTo >= backgroundStep else { return false }
            state.running = true
            return true
        }
        if start { queue.async { self.checkpointInBackground() } }
    }

    private func checkpointInBackground() {
        var copied: Int?
        do {
            let connection = try backgroundConnection()
            // PASSIVE never waits: it copies the frames no reader still needs and returns. SQLITE_BUSY (another
            // process is checkpointing the same file) just means there is nothing to do this time.
            copied = try connection.writeWithoutTransaction { db in try db.checkpoint(.passive).checkpointedFrameCount }
        } catch let error as DatabaseError where error.resultCode == .SQLITE_BUSY {
            copied = nil
        } catch {
            state.withLock { $0.disabled = true }
        }
        state.withLock { state in
            if let copied { state.copiedUpTo = copied }
            state.running = false
        }
    }

    private func backgroundConnection() throws -> DatabaseQueue {
        if let connection = state.withLock({ $0.connection }) { return connection }
        var configuration = Configuration()
        configuration.label = "flux.store.checkpoint"
        let connection = try DatabaseQueue(path: path, configuration: configuration)
        state.withLock { $0.connection = connection }
        return connection
    }
}

/// The WAL hook: `context` is the unretained ``WALCheckpointer``; `frames` the WAL's size after the commit.
private func walHook(_ context: UnsafeMutableRawPointer?, _ connection: OpaquePointer?, _ name: UnsafePointer<CChar>?,
                     _ frames: Int32) -> Int32 {
    if let context {
        Unmanaged<WALCheckpointer>.fromOpaque(context).takeUnretainedValue().committed(frames: Int(frames), connection: connection)
    }
    return SQLITE_OK
}
