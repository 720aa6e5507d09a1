import FluxCore
import Foundation
import GRDB

/// How hard SQLite works to keep a committed transaction (`PRAGMA synchronous`).
public enum SQLiteSynchronous: String, Sendable, Hashable, CaseIterable {
    /// Committed transactions survive a crash of the process (even SIGKILL), but the last ones may be
    /// lost if the machine loses power. The fast default.
    case normal
    /// Committed transactions also survive power loss: every commit waits for an fsync of the WAL.
    case full
}

/// The embedded store: one SQLite file in WAL mode, shared safely by several processes.
///
/// ```swift
/// let store = try SQLiteStore(path: "/var/lib/flux/flux.db")
/// try await store.createExecution(record, events: [])
/// let outcome = try await store.commit(ExecutionCommit(executionID: record.id, events: events, state: .completed))
/// ```
///
/// Reads run concurrently on a pool of reader connections. Writes go through one writer connection
/// and a group-commit queue that applies concurrent writes in a single transaction. Write transactions
/// start with `BEGIN IMMEDIATE` and wait up to `busyTimeout` for another process's transaction, so two
/// processes (a CLI and a server, say) can write the same file. docs/store.md has the details and numbers.
///
/// ``changes()`` is an in-process change feed: every write this store object commits to an execution is
/// published to its subscribers. Writes by other processes or other store objects on the same file are
/// not seen (use PostgreSQL for a feed across processes).
///
/// Times are stored as Unix seconds in a `REAL`: a `Date` you pass in comes back within a microsecond
/// (not always bit-identical), while dates the store sets itself (`updatedAt` of a claim, a workflow's
/// `createdAt`) come back exactly as returned.
public final class SQLiteStore: FluxStore, ExecutionChangeFeed, Sendable {
    /// The database file.
    public let path: String
    let pool: DatabasePool
    let writer: GroupCommitWriter
    let changeFeed = ExecutionChangeBroadcaster()
    /// Set for ``temporary(synchronous:)`` stores: this directory is deleted with the store.
    private let temporaryDirectory: String?

    /// Opens (creating it and its parent directories if needed) and migrates the database at `path`.
    ///
    /// ```swift
    /// let store = try SQLiteStore(path: ".flux/flux.db", synchronous: .full, busyTimeout: .seconds(10))
    /// ```
    ///
    /// - Throws: ``StoreError/unavailable(_:)`` when the file cannot be opened or migrated.
    public convenience init(path: String, synchronous: SQLiteSynchronous = .normal, busyTimeout: Duration = .seconds(5)) throws {
        try self.init(path: path, synchronous: synchronous, busyTimeout: busyTimeout, temporaryDirectory: nil)
    }

    private init(path: String, synchronous: SQLiteSynchronous, busyTimeout: Duration, temporaryDirectory: String?) throws {
        try Self.createPrivately(path: path)

        let busyPolicy = BusyPolicy(timeout: busyTimeout.seconds)
        var configuration = Configuration()
        configuration.label = "flux.store"
        configuration.foreignKeysEnabled = true
        configuration.busyMode = .callback { tries in busyPolicy.shouldRetry(afterTries: tries) }
        configuration.journalMode = .wal
        let checkpointer = WALCheckpointer(path: path)
        do {
            pool = try DatabasePool(path: path, configuration: configuration)
            // Only the writer's settings matter: its durability (SQLite's own PRAGMA synchronous), and checkpoints run
            // in the background instead of inside the commit that crosses SQLite's threshold (WALCheckpointer).
            try pool.writeWithoutTransaction { db in
                try db.execute(sql: "PRAGMA synchronous = \(synchronous == .full ? "FULL" : "NORMAL")")
                checkpointer.install(on: db)
            }
            try StoreMigrations.migrate(pool)
        } catch {
            throw StoreError.unavailable("cannot open \(path): \(error)")
        }
        self.path = path
        self.writer = GroupCommitWriter(pool: pool, busyPolicy: busyPolicy, checkpointer: checkpointer)
        self.temporaryDirectory = temporaryDirectory
    }

    /// Creates the directories of `path` that are missing with mode 0700 and the database file, if missing, with
    /// mode 0600; an existing database file readable by others is narrowed to 0600. The store holds every input,
    /// output and event, and secrets' ciphertexts: nobody but its owner reads it. SQLite gives its `-wal` and
    /// `-shm` files the database file's mode.
    private static func createPrivately(path: String) throws {
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent()
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw StoreError.unavailable("cannot create the directory of \(path): \(error.localizedDescription)")
        }
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw StoreError.unavailable("cannot open \(path): \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        var status = stat()
        if fstat(fd, &status) == 0, status.st_mode & 0o077 != 0, status.st_uid == geteuid() {
            _ = fchmod(fd, 0o600)
            for suffix in ["-wal", "-shm"] { _ = chmod(path + suffix, 0o600) }
        }
    }

    /// A store in a new temporary directory that is deleted when the store is released. For tests.
    ///
    /// ```swift
    /// let store = try SQLiteStore.temporary()
    /// ```
    public static func temporary(synchronous: SQLiteSynchronous = .normal) throws -> SQLiteStore {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("flux-store-\(UUID().uuidString)", isDirectory: true).path
        return try SQLiteStore(path: directory + "/flux.db", synchronous: synchronous, busyTimeout: .seconds(5),
                               temporaryDirectory: directory)
    }

    deinit {
        changeFeed.finish()
        if let temporaryDirectory {
            try? pool.close()
            try? FileManager.default.removeItem(atPath: temporaryDirectory)
        }
    }

    /// The executions this store object writes from now on: each creation, commit, claim and state
    /// transition it commits, after the commit. Ends when the store is released.
    ///
    /// ```swift
    /// for await change in store.changes() where change.state == .created { print("new work:", change.executionID) }
    /// ```
    public func changes() -> AsyncStream<ExecutionChange> {
        changeFeed.subscribe()
    }

    /// False: the feed reports this store object's own commits only.
    public var reportsOtherProcesses: Bool { false }

    // MARK: - Maintenance

    /// Runs `PRAGMA integrity_check`; returns `"ok"` when the file is sound, otherwise SQLite's findings.
    ///
    /// ```swift
    /// #expect(try store.integrityCheck() == "ok")
    /// ```
    public func integrityCheck() throws -> String {
        try translatingErrors {
            try pool.read { db in
                try String.fetchAll(db, sql: "PRAGMA integrity_check").joined(separator: "\n")
            }
        }
    }

    /// What a commit through the writer connection survives: what `synchronous:` asked for (its `PRAGMA synchronous`).
    ///
    /// ```swift
    /// #expect(try SQLiteStore(path: p, synchronous: .full).writerSynchronous() == .full)
    /// ```
    public func writerSynchronous() throws -> SQLiteSynchronous? {
        try translatingErrors {
            try pool.writeWithoutTransaction { db in
                // 1 is NORMAL, 2 is FULL (0 OFF and 3 EXTRA are never set by this store).
                switch try Int.fetchOne(db, sql: "PRAGMA synchronous") {
                case 1: return SQLiteSynchronous.normal
                case 2: return .full
                default: return nil
                }
            }
        }
    }

    /// How many executions and events the file holds.
    ///
    /// ```swift
    /// let (executions, events) = try store.counts()
    /// ```
    public func counts() throws -> (executions: Int, events: Int) {
        try translatingErrors {
            try pool.read { db in
                let executions = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM executions") ?? 0
                let events = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM execution_events") ?? 0
                return (executions, events)
            }
        }
    }

    /// The names of the schema migrations applied to the file, in order (`["v1_initial_schema", ...]`).
    public func appliedMigrations() throws -> [String] {
        try translatingErrors {
            try pool.read { db in try StoreMigrations.migrator.appliedMigrations(db) }
        }
    }

    // MARK: - Plumbing

    /// The most rows a write may have to run on the caller's thread (GroupCommitWriter's fast path). A commit of
    /// 64 events takes well under a millisecond; one of thousands (a map's buffered start events) takes
    /// 100 ms or more, for which a thread of Swift's cooperative pool must not be held.
    static let inlineWriteLimit = 64

    /// Runs `body` in a write transaction through the group-commit queue. `rows` is about how many rows it
    /// writes: above ``inlineWriteLimit`` the write never runs on the calling thread.
    func write<T: Sendable>(rows: Int = 1, _ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        do {
            return try await writer.perform(small: rows <= Self.inlineWriteLimit, body)
        } catch {
            throw translate(error)
        }
    }

    /// Runs `body`, a single SELECT (which SQLite runs atomically), on a reader connection.
    ///
    /// No transaction is opened around it (GRDB's `unsafeRead`): the statement's own implicit read
    /// transaction is enough, and BEGIN/COMMIT would double the cost of a point read. The read runs on the calling thread: GRDB's `dispatch_sync` onto an idle reader queue runs inline,
    /// which saves the two thread hand-offs of GRDB's async `read` (most of the cost of a point read).
    /// WAL readers never wait for writers or other processes, so this does not park a Swift concurrency
    /// thread for long; at most it waits for one of the pool's reader connections to come free.
    func read<T: Sendable>(_ body: @Sendable (Database) throws -> T) async throws -> T {
        do {
            return try readInline(body)
        } catch {
            throw translate(error)
        }
    }

    private func readInline<T>(_ body: (Database) throws -> T) throws -> T {
        try pool.unsafeRead(body)
    }

    private func translatingErrors<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch {
            throw translate(error)
        }
    }

    /// Turns SQLite's errors into ``StoreError``s; the store's own errors pass through.
    private func translate(_ error: any Error) -> any Error {
        guard let error = error as? DatabaseError else { return error }
        switch error.resultCode {
        case .SQLITE_CORRUPT, .SQLITE_NOTADB:
            return StoreError.corrupt("\(path): \(error.message ?? "\(error)")")
        case .SQLITE_BUSY, .SQLITE_LOCKED:
            return StoreError.unavailable("\(path) stayed locked by another connection or process: \(error.message ?? "\(error)")")
        default:
            return StoreError.unavailable("\(path): \(error)")
        }
    }
}

extension Duration {
    /// The duration in seconds, as GRDB's busy timeout wants it.
    var seconds: TimeInterval {
        let (seconds, attoseconds) = components
        return TimeInterval(seconds) + TimeInterval(attoseconds) / 1e18
    }
}
