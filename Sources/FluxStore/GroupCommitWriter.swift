import FluxCore
import GRDB

/// Applies the store's writes in shared transactions ("group commit").
///
/// SQLite serializes writers, and most of a small write's cost is the transaction around it (locking,
/// appending the WAL commit frame, and with `synchronous=FULL` an fsync). When many tasks write at
/// once (a `map` running 64 tasks, each committing its events) the writer takes every write waiting in
/// the queue and applies them all in one `BEGIN IMMEDIATE … COMMIT`.
///
/// Each write runs inside its own savepoint, so one that fails (a stale claim, an unknown execution, a
/// constraint) is rolled back alone and the others still commit. Callers are resumed only after the
/// transaction has committed; if the commit itself fails, every write in the batch fails with that error.
/// A lone write skips the savepoint: its transaction is its savepoint.
///
/// Writes run in submission order on GRDB's writer queue, interleaved with any other `pool.write`.
final class GroupCommitWriter: Sendable {
    private struct Queue {
        var pending: [any PendingWrite] = []
        var drainScheduled = false
    }

    private let pool: DatabasePool
    private let maxBatch: Int
    private let queue = Locked(Queue())

    init(pool: DatabasePool, maxBatch: Int = 256) {
        self.pool = pool
        self.maxBatch = max(1, maxBatch)
    }

    /// Runs `body` in a write transaction, possibly shared with other writes, and returns its result
    /// once the transaction has committed. `body` must not start or end transactions itself.
    func perform<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            enqueue(Write(body: body, continuation: continuation))
        }
    }

    private func enqueue(_ write: any PendingWrite) {
        let mustSchedule = queue.withLock { queue in
            queue.pending.append(write)
            if queue.drainScheduled { return false }
            queue.drainScheduled = true
            return true
        }
        if mustSchedule { scheduleDrain() }
    }

    private func scheduleDrain() {
        pool.asyncWriteWithoutTransaction { [self] db in drain(db) }
    }

    /// Takes the waiting writes (at most `maxBatch`) and applies them in one transaction.
    private func drain(_ db: Database) {
        let (batch, more) = queue.withLock { queue -> ([any PendingWrite], Bool) in
            let batch: [any PendingWrite]
            if queue.pending.count <= maxBatch {
                batch = queue.pending
                queue.pending = []
            } else {
                batch = Array(queue.pending.prefix(maxBatch))
                queue.pending.removeFirst(maxBatch)
            }
            // Writes submitted from now on schedule the next drain, which queues up behind this one
            // and so collects everything that arrives while this transaction runs.
            let more = !queue.pending.isEmpty
            queue.drainScheduled = more
            return (batch, more)
        }
        guard !batch.isEmpty else { return }

        var transactionError: (any Error)?
        do {
            try db.inTransaction(.immediate) {
                if batch.count == 1 {
                    return batch[0].apply(db) ? .commit : .rollback
                }
                for write in batch {
                    try db.execute(sql: "SAVEPOINT flux_write")
                    if !write.apply(db) {
                        try db.execute(sql: "ROLLBACK TO SAVEPOINT flux_write")
                    }
                    try db.execute(sql: "RELEASE SAVEPOINT flux_write")
                }
                return .commit
            }
        } catch {
            transactionError = error
        }
        for write in batch {
            write.complete(transactionError: transactionError)
        }
        if more { scheduleDrain() }
    }
}

/// One write waiting in the ``GroupCommitWriter``.
private protocol PendingWrite: Sendable {
    /// Applies the write; false when it failed and its changes must be rolled back.
    func apply(_ db: Database) -> Bool
    /// Resumes the caller once the transaction has ended.
    func complete(transactionError: (any Error)?)
}

private final class Write<T: Sendable>: PendingWrite, @unchecked Sendable {
    // `result` is only touched on GRDB's writer queue: set by `apply`, read by `complete` after it.
    private let body: @Sendable (Database) throws -> T
    private let continuation: CheckedContinuation<T, any Error>
    private var result: Result<T, any Error>?

    init(body: @escaping @Sendable (Database) throws -> T, continuation: CheckedContinuation<T, any Error>) {
        self.body = body
        self.continuation = continuation
    }

    func apply(_ db: Database) -> Bool {
        do {
            result = .success(try body(db))
            return true
        } catch {
            result = .failure(error)
            return false
        }
    }

    func complete(transactionError: (any Error)?) {
        switch (result, transactionError) {
        case (.failure(let error)?, _):
            continuation.resume(throwing: error)
        case (_, let error?):
            continuation.resume(throwing: error)
        case (.success(let value)?, nil):
            continuation.resume(returning: value)
        case (nil, nil):
            // Unreachable: a committed transaction applied every write of its batch.
            continuation.resume(throwing: StoreError.unavailable("the write was not applied"))
        }
    }
}
