import GRDB

/// Copies the WAL back into the database file in the background.
///
/// Left to itself, SQLite checkpoints inside the COMMIT that crosses `wal_autocheckpoint` pages, and
/// with `synchronous=NORMAL` a checkpoint fsyncs twice: that commit waits for the disk. Here a separate
/// connection runs a PASSIVE checkpoint every `interval` committed transactions, on its own thread;
/// PASSIVE never blocks writers or readers, and it skips frames still needed by a reader. The writer's
/// automatic checkpoint stays on, with a larger threshold, as a safety net (and for other processes).
final class Checkpointer: Sendable {
    private struct State {
        var transactions = 0
        var running = false
    }

    private let connection: DatabaseQueue
    private let interval: Int
    private let state = Locked(State())

    init(path: String, interval: Int = 200) throws {
        var configuration = Configuration()
        configuration.label = "flux.store.checkpointer"
        configuration.busyMode = .immediateError
        connection = try DatabaseQueue(path: path, configuration: configuration)
        self.interval = max(1, interval)
    }

    /// Counts a committed transaction; starts a checkpoint every `interval` of them.
    func transactionCommitted() {
        let start = state.withLock { state -> Bool in
            state.transactions += 1
            guard state.transactions >= interval, !state.running else { return false }
            state.transactions = 0
            state.running = true
            return true
        }
        guard start else { return }
        connection.asyncWriteWithoutTransaction { [state] db in
            // Failure is harmless: the next checkpoint, or SQLite's automatic one, does the work.
            _ = try? db.checkpoint(.passive)
            state.withLock { $0.running = false }
        }
    }

    func close() {
        try? connection.close()
    }
}
