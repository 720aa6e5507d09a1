import FluxCore
import GRDB

/// Applies the store's writes in shared transactions ("group commit").
///
/// SQLite serializes writers, and most of a small write's cost is the transaction around it (locking,
/// appending the WAL commit frame, and with `synchronous=FULL` an fsync). When many tasks write at
/// once (a `map` running 64 tasks, each committing its events) the writer takes every write waiting in
/// the queue and applies them all in one `BEGIN IMMEDIATE … COMMIT`.
///
/// Each write in a shared transaction runs inside its own savepoint, so one that fails (a stale claim,
/// an unknown execution, a constraint) is rolled back alone and the others still commit. Callers are
/// resumed only after the transaction has committed; if the commit itself fails, every write in the
/// batch fails with that error.
///
/// **Fast path.** When nothing else is writing, and writes have not been queuing lately, the caller runs
/// its write on its own thread (GRDB's `dispatch_sync` onto an idle writer queue runs inline), saving two
/// thread hand-offs. (Under concurrency the fast path would cost a transaction per write, so it stays off
/// until a drain finds a single write waiting.) It must never
/// block a Swift concurrency thread on another process's lock, so that attempt takes the SQLite lock
/// without waiting (see ``BusyPolicy``); if another process holds it, the write goes through the queue,
/// which waits up to the busy timeout on GRDB's writer thread.
final class GroupCommitWriter: Sendable {
    private struct State {
        var pending: [any PendingWrite] = []
        /// A drain block has been dispatched and has not taken its batch yet.
        var drainQueued = false
        /// Drain blocks dispatched and not yet finished.
        var activeDrains = 0
        /// A caller is running its write on the fast path. Meanwhile no drain is dispatched (the
        /// caller dispatches one when it is done), so the writer queue stays free for its `dispatch_sync`.
        var inlineRunning = false
        /// Writes have been queuing: use the queue even when it is momentarily idle, so that concurrent
        /// writers keep sharing transactions instead of taking one each on the fast path. Cleared when a
        /// drain finds a single write waiting.
        var preferQueue = false
    }

    private let pool: DatabasePool
    private let busyPolicy: BusyPolicy
    private let maxBatch: Int
    private let state = Locked(State())
    /// Installed as the writer connection's WAL hook: held here so that it lives as long as anything can commit.
    private let checkpointer: WALCheckpointer

    init(pool: DatabasePool, busyPolicy: BusyPolicy, checkpointer: WALCheckpointer, maxBatch: Int = 256) {
        self.pool = pool
        self.busyPolicy = busyPolicy
        self.checkpointer = checkpointer
        self.maxBatch = max(1, maxBatch)
    }

    /// Runs `body` in a write transaction, possibly shared with other writes, and returns its result
    /// once the transaction has committed. `body` must not start or end transactions itself.
    /// `small` allows the fast path; a large write (thousands of events) always goes to the writer's thread,
    /// so that it never holds the caller's thread (one of Swift's cooperative pool) for long.
    func perform<T: Sendable>(small: Bool = true, _ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        if small, case .done(let value) = try performInlineIfIdle(body) {
            return value
        }
        return try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            enqueue(Write(body: body, continuation: continuation))
        }
    }

    private enum InlineAttempt<T> {
        case done(T)
        case notIdle
    }

    /// The fast path: runs the write right here when no other write is queued or running and no other
    /// process holds the write lock.
    private func performInlineIfIdle<T>(_ body: (Database) throws -> T) throws -> InlineAttempt<T> {
        let idle = state.withLock { state in
            guard !state.preferQueue, !state.inlineRunning, state.activeDrains == 0, state.pending.isEmpty
            else { return false }
            state.inlineRunning = true
            return true
        }
        guard idle else { return .notIdle }
        defer {
            let mustDispatch = state.withLock { state in
                state.inlineRunning = false
                guard !state.pending.isEmpty, !state.drainQueued else { return false }
                state.drainQueued = true
                state.activeDrains += 1
                return true
            }
            if mustDispatch { dispatchDrain() }
        }

        return try pool.writeWithoutTransaction { db -> InlineAttempt<T> in
            // BEGIN and COMMIT as cached statements: `beginTransaction` and `commit` compile their SQL anew each
            // time, a few µs per transaction (GRDB still sees the transaction start and end through SQLite's hooks).
            do {
                try busyPolicy.withoutWaiting { try db.cachedStatement(sql: "BEGIN IMMEDIATE TRANSACTION").execute() }
            } catch let error as DatabaseError where error.resultCode == .SQLITE_BUSY {
                return .notIdle
            }
            do {
                let value = try body(db)
                try db.cachedStatement(sql: "COMMIT TRANSACTION").execute()
                return .done(value)
            } catch {
                if db.isInsideTransaction { try? db.rollback() }
                throw error
            }
        }
    }

    private func enqueue(_ write: any PendingWrite) {
        let mustDispatch = state.withLock { state in
            state.pending.append(write)
            state.preferQueue = true
            if state.drainQueued || state.inlineRunning { return false }
            state.drainQueued = true
            state.activeDrains += 1
            return true
        }
        if mustDispatch { dispatchDrain() }
    }

    private func dispatchDrain() {
        pool.asyncWriteWithoutTransaction { [self] db in drain(db) }
    }

    /// Takes the waiting writes (at most `maxBatch`) and applies them in one transaction.
    private func drain(_ db: Database) {
        let (batch, more) = state.withLock { state -> ([any PendingWrite], Bool) in
            let batch: [any PendingWrite]
            if state.pending.count <= maxBatch {
                batch = state.pending
                state.pending = []
            } else {
                batch = Array(state.pending.prefix(maxBatch))
                state.pending.removeFirst(maxBatch)
            }
            // Writes submitted from now on dispatch the next drain, which queues up behind this one
            // and so collects everything that arrives while this transaction runs.
            let more = !state.pending.isEmpty
            state.drainQueued = more
            state.preferQueue = more || batch.count > 1
            if more { state.activeDrains += 1 }
            return (batch, more)
        }
        if more { dispatchDrain() }
        defer { state.withLock { $0.activeDrains -= 1 } }
        guard !batch.isEmpty else { return }

        var transactionError: (any Error)?
        do {
            try db.inTransaction(.immediate) {
                if batch.count == 1 {
                    return batch[0].apply(db) ? .commit : .rollback
                }
                let savepoint = try db.cachedStatement(sql: "SAVEPOINT flux_write")
                let release = try db.cachedStatement(sql: "RELEASE SAVEPOINT flux_write")
                for write in batch {
                    try savepoint.execute()
                    if !write.apply(db) {
                        try db.execute(sql: "ROLLBACK TO SAVEPOINT flux_write")
                    }
                    try release.execute()
                }
                return .commit
            }
        } catch {
            transactionError = error
        }
        for write in batch {
            write.complete(transactionError: transactionError)
        }
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
