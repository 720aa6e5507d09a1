import FluxCore
import FluxStore
import Foundation
import GRDB

/// The floor the engine is compared with: the rows a run stores, written to the store's schema in the
/// same number of transactions, through GRDB with prepared statements and no engine at all.
///
/// The database is created (and migrated) by `SQLiteStore`, then closed and reopened as a single plain GRDB
/// connection: WAL, the same `synchronous`, foreign keys on, and SQLite's own checkpoint inside the commit that
/// passes 4,000 pages (`wal_autocheckpoint = 4000`, what `SQLiteStore` did before it checkpointed in the
/// background). The store's batched WAL writes are not used either: this is what plain SQLite costs. Each transaction is `BEGIN IMMEDIATE … COMMIT`. What the baseline still does per run, as any
/// program would: a new execution id (`ExecutionRecord.newID()`, as the engine makes them), a timestamp per row, the event ids and JSON texts.
enum RawBaseline {
    static let insertExecution = """
        INSERT INTO executions (id, workflow_name, workflow_version, state, input, output, owner, claim_generation,
                                lease_expires_at, last_sequence, created_at, updated_at)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        """
    static let insertEvent = """
        INSERT INTO execution_events (execution_id, sequence, event_id, type, source_id, name, value, time)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?)
        """
    static let finishExecution = """
        UPDATE executions SET state = ?, output = ?, last_sequence = ?, updated_at = ?, owner = NULL, lease_expires_at = NULL
        WHERE id = ?
        """

    /// What SQLiteStore adds to each write besides the rows (`storeShape` variants, diagnostics): it reads the
    /// row's state and claim generation first, inserts events with INSERT OR IGNORE, and updates `last_sequence`
    /// and `updated_at` in every commit.
    static let checkExecution = "SELECT state, claim_generation FROM executions WHERE id = ?"
    static let insertEventOrIgnore = insertEvent.replacingOccurrences(of: "INSERT INTO", with: "INSERT OR IGNORE INTO")
    static let touchExecution = """
        UPDATE executions SET output = COALESCE(?, output), last_sequence = MAX(last_sequence, ?), updated_at = ? WHERE id = ?
        """

    /// Creates the schema with SQLiteStore, then opens the file as one plain GRDB connection.
    static func open(_ options: CaseOptions) throws -> DatabaseQueue {
        removeDatabase(at: options.databasePath)
        do { _ = try SQLiteStore(path: options.databasePath, synchronous: options.synchronous) }
        var configuration = Configuration()
        configuration.foreignKeysEnabled = true
        let queue = try DatabaseQueue(path: options.databasePath, configuration: configuration)
        try queue.writeWithoutTransaction { db in
            let mode = try String.fetchOne(db, sql: "PRAGMA journal_mode")
            guard mode == "wal" else { throw BenchmarkFailure("journal_mode is \(mode ?? "?"), expected wal") }
            try db.execute(sql: "PRAGMA synchronous = \(options.synchronous == .full ? "FULL" : "NORMAL")")
            try db.execute(sql: "PRAGMA wal_autocheckpoint = 4000")
            // For what-if experiments on the baseline only (docs/performance.md): extra SQL run after opening,
            // e.g. FLUX_BENCH_RAW_SETUP_SQL="PRAGMA mmap_size = 268435456; DROP INDEX executions_by_created".
            if let setup = ProcessInfo.processInfo.environment["FLUX_BENCH_RAW_SETUP_SQL"], !setup.isEmpty {
                try db.execute(sql: setup)
            }
        }
        return queue
    }

    static let owner = OwnerIdentity.current

    /// Per run, in one transaction, what the engine writes for a run that finishes before its first commit: the
    /// finished execution row (COMPLETED, its output, no owner or lease) and its four events. One untimed run
    /// first, as in `hello`. With `--transactions 2` (a what-if, reported as `hello-raw-2tx`): (1) the RUNNING
    /// row with its owner and lease, WORKFLOW_STARTED and TASK_STARTED; (2) TASK_COMPLETED, WORKFLOW_COMPLETED
    /// and the final update of the row.
    static func hello(_ options: CaseOptions) async throws -> CaseResult {
        try await hello(options, storeShape: false)
    }

    static func hello(_ options: CaseOptions, storeShape: Bool) async throws -> CaseResult {
        let n = options.n
        // The engine writes a durable hello_world in one transaction; `--transactions 2` is the what-if of
        // committing the start events before the task body as well.
        let oneTransaction = options.transactions != 2
        let name = storeShape ? "hello-raw-store" : oneTransaction ? "hello-raw" : "hello-raw-2tx"
        let load = Measure.loadAverage()
        var seconds: [Double] = []
        var cpu: [Double] = []
        for rep in 0..<options.repetitions {
            let queue = try open(options)
            let elapsed: (wall: Double, cpu: Double) = try queue.inDatabase { db in
                let execution = try db.makeStatement(sql: insertExecution)
                let event = try db.makeStatement(sql: storeShape ? insertEventOrIgnore : insertEvent)
                let finish = try db.makeStatement(sql: finishExecution)
                let check = try db.makeStatement(sql: checkExecution)
                let input = "\"World\"", output = "\"Hello, World\""
                let taskSource = "say_hello_" + TaskIdentity.hash16(Data("[\"say_hello\",\"World\"]".utf8))
                func run() throws {
                    let id = ExecutionRecord.newID()
                    let prefix = ExecutionRecord.eventIDPrefix(executionID: id)
                    let workflowSource = "hello_world_" + id
                    let now = Date().timeIntervalSince1970
                    func first() throws {
                        try execution.execute(arguments: [id, "hello_world", 1, "RUNNING", input, "null", owner, 1, now + 30, 2, now, now])
                        try event.execute(arguments: [id, 1, "\(prefix)1", "WORKFLOW_STARTED", workflowSource, "hello_world", input, now])
                        try event.execute(arguments: [id, 2, "\(prefix)2", "TASK_STARTED", taskSource, "say_hello", input, Date().timeIntervalSince1970])
                    }
                    func second() throws {
                        if storeShape { _ = try Row.fetchOne(check, arguments: [id]) }
                        let end = Date().timeIntervalSince1970
                        try event.execute(arguments: [id, 3, "\(prefix)3", "TASK_COMPLETED", taskSource, "say_hello", output, end])
                        try event.execute(arguments: [id, 4, "\(prefix)4", "WORKFLOW_COMPLETED", workflowSource, "hello_world", output, end])
                        try finish.execute(arguments: ["COMPLETED", output, 4, end, id])
                    }
                    if oneTransaction {
                        try db.inTransaction(.immediate) {
                            let end = Date().timeIntervalSince1970
                            try execution.execute(arguments: [id, "hello_world", 1, "COMPLETED", input, output, nil as String?, 1, nil as Double?, 4, now, end])
                            try event.execute(arguments: [id, 1, "\(prefix)1", "WORKFLOW_STARTED", workflowSource, "hello_world", input, now])
                            try event.execute(arguments: [id, 2, "\(prefix)2", "TASK_STARTED", taskSource, "say_hello", input, now])
                            try event.execute(arguments: [id, 3, "\(prefix)3", "TASK_COMPLETED", taskSource, "say_hello", output, end])
                            try event.execute(arguments: [id, 4, "\(prefix)4", "WORKFLOW_COMPLETED", workflowSource, "hello_world", output, end])
                            return .commit
                        }
                    } else {
                        try db.inTransaction(.immediate) { try first(); return .commit }
                        try db.inTransaction(.immediate) { try second(); return .commit }
                    }
                }
                try run()
                let c0 = Measure.cpu()
                let t0 = Measure.now()
                for _ in 0..<n { try run() }
                return (Measure.now() - t0, Measure.cpu() - c0)
            }
            seconds.append(elapsed.wall)
            cpu.append(elapsed.cpu)
            let rows = try queue.inDatabase { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM execution_events") ?? 0 }
            guard rows == 4 * (n + 1) else { throw BenchmarkFailure("the baseline wrote \(rows) event rows") }
            try queue.close()
            log("\(name) n=\(n) rep \(rep + 1)/\(options.repetitions): \(format(elapsed.wall)) s")
        }
        removeDatabase(at: options.databasePath)
        return CaseResult(name: name, family: storeShape || !oneTransaction ? "diagnostic" : "hello", n: n, unit: "executions",
                          options: options, seconds: seconds, cpuSeconds: cpu, transactions: (oneTransaction ? 1 : 2) * n, eventRows: 4 * n, loadBefore: load)
    }

    /// The map's 2N + 2 events (WORKFLOW_STARTED, N × TASK_STARTED, N × TASK_COMPLETED, WORKFLOW_COMPLETED)
    /// in transactions of the sizes the engine used (`--batches FILE`, written by the `map` case), the first
    /// also inserting the execution row and the last updating it.
    static func map(_ options: CaseOptions) async throws -> CaseResult {
        try await map(options, storeShape: false)
    }

    static func map(_ options: CaseOptions, storeShape: Bool) async throws -> CaseResult {
        let n = options.n
        let name = storeShape ? "map-raw-store" : "map-raw"
        let total = 2 * n + 2
        let shape = try batches(options, total: total)
        let load = Measure.loadAverage()
        var seconds: [Double] = []
        var cpu: [Double] = []
        for rep in 0..<options.repetitions {
            let queue = try open(options)
            let elapsed: (wall: Double, cpu: Double) = try queue.inDatabase { db in
                let execution = try db.makeStatement(sql: insertExecution)
                let event = try db.makeStatement(sql: storeShape ? insertEventOrIgnore : insertEvent)
                let finish = try db.makeStatement(sql: finishExecution)
                let check = try db.makeStatement(sql: checkExecution)
                let touch = try db.makeStatement(sql: touchExecution)
                let c0 = Measure.cpu()
                let t0 = Measure.now()
                let id = ExecutionRecord.newID()
                let prefix = ExecutionRecord.eventIDPrefix(executionID: id)
                let workflowSource = "map_wf_" + id
                let input = String(n)
                let output = String((0..<n).reduce(0) { $0 + $1 * $1 })
                var sequence = 0
                for (index, count) in shape.enumerated() {
                    try db.inTransaction(.immediate) {
                        let now = Date().timeIntervalSince1970
                        if index == 0 {
                            try execution.execute(arguments: [id, "map_wf", 1, "RUNNING", input, "null", owner, 1, now + 30, count, now, now])
                        } else if storeShape {
                            _ = try Row.fetchOne(check, arguments: [id])
                        }
                        for _ in 0..<count {
                            sequence += 1
                            let (type, source, name, value): (String, String, String, String)
                            if sequence == 1 {
                                (type, source, name, value) = ("WORKFLOW_STARTED", workflowSource, "map_wf", input)
                            } else if sequence == total {
                                (type, source, name, value) = ("WORKFLOW_COMPLETED", workflowSource, "map_wf", output)
                            } else if sequence <= n + 1 {
                                let i = sequence - 2
                                (type, source, name, value) = ("TASK_STARTED", taskSource(i), "square", String(i))
                            } else {
                                let i = sequence - n - 2
                                (type, source, name, value) = ("TASK_COMPLETED", taskSource(i), "square", String(i * i))
                            }
                            try event.execute(arguments: [id, sequence, "\(prefix)\(sequence)", type, source, name, value,
                                                          Date().timeIntervalSince1970])
                        }
                        if index == shape.count - 1 {
                            try finish.execute(arguments: ["COMPLETED", output, total, Date().timeIntervalSince1970, id])
                        } else if storeShape, index > 0 {
                            try touch.execute(arguments: [nil as String?, sequence, Date().timeIntervalSince1970, id])
                        }
                        return .commit
                    }
                }
                return (Measure.now() - t0, Measure.cpu() - c0)
            }
            seconds.append(elapsed.wall)
            cpu.append(elapsed.cpu)
            let rows = try queue.inDatabase { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM execution_events") ?? 0 }
            guard rows == total else { throw BenchmarkFailure("the baseline wrote \(rows) event rows, expected \(total)") }
            try queue.close()
            log("\(name) n=\(n) rep \(rep + 1)/\(options.repetitions): \(format(elapsed.wall)) s, \(shape.count) transactions")
        }
        removeDatabase(at: options.databasePath)
        return CaseResult(name: name, family: storeShape ? "diagnostic" : "map", n: n, unit: "tasks", options: options, seconds: seconds,
                          cpuSeconds: cpu, transactions: shape.count, eventRows: total, loadBefore: load)
    }

    /// A task id of the same length as the engine's (`square_` and 16 hex digits).
    static func taskSource(_ i: Int) -> String {
        let hex = String(i, radix: 16)
        return "square_" + String(repeating: "0", count: max(0, 16 - hex.count)) + hex
    }

    /// Events per transaction: the engine's shape from `--batches`, or `--transactions` even splits.
    static func batches(_ options: CaseOptions, total: Int) throws -> [Int] {
        if let path = options.batchesIn {
            let shape = try JSONDecoder().decode([Int].self, from: Data(contentsOf: URL(fileURLWithPath: path)))
            guard shape.reduce(0, +) == total, !shape.isEmpty else {
                throw BenchmarkFailure("\(path) holds \(shape.reduce(0, +)) events in \(shape.count) transactions; the map of \(options.n) writes \(total)")
            }
            return shape
        }
        let count = max(1, min(total, options.transactions ?? (total + 63) / 64))
        return (0..<count).map { total / count + ($0 < total % count ? 1 : 0) }
    }
}
