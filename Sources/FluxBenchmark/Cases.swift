import Flux
import FluxStore
import Foundation

/// What one case is asked to do (one child process runs one case).
struct CaseOptions: Sendable {
    var n: Int
    /// The database file; each repetition deletes it and starts from an empty store.
    var databasePath: String
    var synchronous: SQLiteSynchronous
    var repetitions: Int
    /// Map cases: where the engine writes its transaction shape (events per transaction), and where the raw
    /// baseline reads it.
    var batchesOut: String?
    var batchesIn: String?
    /// Raw map without a shape file: split the events evenly over this many transactions.
    var transactions: Int?
}

/// What one case measured. `seconds` and `cpuSeconds` hold every repetition; the figures derive from the median.
struct CaseResult: Codable, Sendable {
    var name: String
    var family: String
    var n: Int
    var unit: String
    var synchronous: String
    var repetitions: Int
    var seconds: [Double]
    var cpuSeconds: [Double]
    var medianSeconds: Double
    var medianCPUSeconds: Double
    var perSecond: Double
    var microsecondsPerItem: Double
    var cpuMicrosecondsPerItem: Double
    /// SQLite transactions per timed repetition (the engine's writes; the baseline's transactions).
    var transactions: Int
    /// Event rows written per timed repetition.
    var eventRows: Int
    var peakRSSMiB: Double
    var loadBefore: Double
    var loadAfter: Double

    init(name: String, family: String, n: Int, unit: String, options: CaseOptions, seconds: [Double], cpuSeconds: [Double],
         transactions: Int, eventRows: Int, loadBefore: Double) {
        self.name = name
        self.family = family
        self.n = n
        self.unit = unit
        synchronous = options.synchronous.rawValue
        repetitions = seconds.count
        self.seconds = seconds
        self.cpuSeconds = cpuSeconds
        medianSeconds = Measure.median(seconds)
        medianCPUSeconds = Measure.median(cpuSeconds)
        perSecond = Double(n) / medianSeconds
        microsecondsPerItem = medianSeconds / Double(n) * 1e6
        cpuMicrosecondsPerItem = medianCPUSeconds / Double(n) * 1e6
        self.transactions = transactions
        self.eventRows = eventRows
        peakRSSMiB = Measure.peakRSSMiB()
        self.loadBefore = loadBefore
        loadAfter = Measure.loadAverage()
    }
}

struct BenchmarkFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// A benchmark case: a name for the command line, and what it runs.
struct BenchmarkCase: Sendable {
    /// `hello` or `map`: the raw baseline of a family is compared with its engine case.
    let family: String
    let name: String
    let unit: String
    let summary: String
    let run: @Sendable (CaseOptions) async throws -> CaseResult

    static let all: [BenchmarkCase] = [
        BenchmarkCase(family: "hello", name: "hello", unit: "executions",
                      summary: "N sequential hello_world executions through FluxEngine on SQLiteStore",
                      run: EngineCases.hello),
        BenchmarkCase(family: "hello", name: "hello-raw", unit: "executions",
                      summary: "the same rows and transactions as `hello`, written through GRDB without the engine",
                      run: RawBaseline.hello),
        BenchmarkCase(family: "map", name: "map", unit: "tasks",
                      summary: "one execution mapping the task `square` over N integers (map concurrency 64)",
                      run: EngineCases.map),
        BenchmarkCase(family: "map", name: "map-raw", unit: "tasks",
                      summary: "the same event rows in the same transactions as `map`, written through GRDB without the engine",
                      run: RawBaseline.map),
        // Diagnostics, not in the default plan (`--cases hello-mem,map-mem`): the engine on a store that
        // keeps nothing (``DiscardingStore``), i.e. the engine's own cost without SQLite.
        BenchmarkCase(family: "diagnostic", name: "hello-mem", unit: "executions",
                      summary: "`hello` on a store that keeps nothing: the engine alone (diagnostic)",
                      run: { try await EngineCases.hello($0, inMemory: true) }),
        BenchmarkCase(family: "diagnostic", name: "map-mem", unit: "tasks",
                      summary: "`map` on a store that keeps nothing: the engine alone (diagnostic)",
                      run: { try await EngineCases.map($0, inMemory: true) }),
        // Diagnostics: the raw baselines plus the statements SQLiteStore adds to every commit (a SELECT of the
        // row's state and generation, INSERT OR IGNORE, an UPDATE of last_sequence and updated_at).
        BenchmarkCase(family: "diagnostic", name: "hello-raw-store", unit: "executions",
                      summary: "`hello-raw` with the statements SQLiteStore adds to each commit (diagnostic)",
                      run: { try await RawBaseline.hello($0, storeShape: true) }),
        BenchmarkCase(family: "diagnostic", name: "hello-raw-2tx", unit: "executions",
                      summary: "`hello-raw` with each run in two transactions, start events committed first (what-if, diagnostic)",
                      run: { options in
                          var two = options
                          two.transactions = 2
                          return try await RawBaseline.hello(two, storeShape: false)
                      }),
        BenchmarkCase(family: "diagnostic", name: "map-raw-store", unit: "tasks",
                      summary: "`map-raw` with the statements SQLiteStore adds to each commit (diagnostic)",
                      run: { try await RawBaseline.map($0, storeShape: true) }),
        // Document variants: the same work written as workflow documents and run by DocumentInterpreter.
        BenchmarkCase(family: "document", name: "hello-document", unit: "executions",
                      summary: "N sequential runs of examples/documents/hello_world.yaml through the document interpreter",
                      run: DocumentCases.hello),
        BenchmarkCase(family: "document", name: "map-document", unit: "tasks",
                      summary: "one execution of a document mapping a `set` step (item * item) over N integers, concurrency 64",
                      run: DocumentCases.map),
    ]

    static func named(_ name: String) -> BenchmarkCase? { all.first { $0.name == name } }
}

// MARK: - The engine cases

let sayHello = task("say_hello") { (name: String) in "Hello, \(name)" }
let helloWorld = workflow("hello_world") { (ctx: ExecutionContext<String>) in try await sayHello(ctx.input) }

let square = task("square") { (x: Int) in x * x }
let mapWorkflow = workflow("map_wf") { (ctx: ExecutionContext<Int>) in
    try await square.map(Array(0..<ctx.input)).reduce(0, +)
}

enum EngineCases {
    /// N sequential `hello_world` runs, after one untimed first run (as hello.py does).
    static func hello(_ options: CaseOptions) async throws -> CaseResult {
        try await hello(options, inMemory: false)
    }

    static func map(_ options: CaseOptions) async throws -> CaseResult {
        try await map(options, inMemory: false)
    }

    /// A fresh store: SQLite at the case's path, or one that keeps nothing.
    static func makeStore(_ options: CaseOptions, inMemory: Bool) throws -> (store: CountingStore, sqlite: SQLiteStore?) {
        if inMemory { return (CountingStore(DiscardingStore()), nil) }
        removeDatabase(at: options.databasePath)
        let sqlite = try SQLiteStore(path: options.databasePath, synchronous: options.synchronous)
        return (CountingStore(sqlite), sqlite)
    }

    static func hello(_ options: CaseOptions, inMemory: Bool) async throws -> CaseResult {
        let n = options.n
        let name = inMemory ? "hello-mem" : "hello"
        let load = Measure.loadAverage()
        var seconds: [Double] = []
        var cpu: [Double] = []
        var transactions = 0
        for rep in 0..<options.repetitions {
            let (store, sqlite) = try makeStore(options, inMemory: inMemory)
            let engine = FluxEngine(store: store)
            let first = try await helloWorld.run("World", on: engine)
            guard first.output == .string("Hello, World"), first.events.count == 4 else {
                throw BenchmarkFailure("hello_world gave \(first.state) \(first.output) with \(first.events.count) events")
            }
            store.reset()
            let c0 = Measure.cpu()
            let t0 = Measure.now()
            for _ in 0..<n {
                let ctx = try await helloWorld.run("World", on: engine)
                guard ctx.output == .string("Hello, World") else { throw BenchmarkFailure("hello_world output \(ctx.output)") }
            }
            let elapsed = Measure.now() - t0
            cpu.append(Measure.cpu() - c0)
            seconds.append(elapsed)
            transactions = store.eventsPerWrite.count
            if let counts = try sqlite?.counts(), counts.executions != n + 1 || counts.events != 4 * (n + 1) {
                throw BenchmarkFailure("the store holds \(counts.executions) executions and \(counts.events) events")
            }
            log("\(name) n=\(n) rep \(rep + 1)/\(options.repetitions): \(format(elapsed)) s, \(transactions) transactions")
        }
        removeDatabase(at: options.databasePath)
        return CaseResult(name: name, family: inMemory ? "diagnostic" : "hello", n: n, unit: "executions", options: options, seconds: seconds,
                          cpuSeconds: cpu, transactions: transactions, eventRows: 4 * n, loadBefore: load)
    }

    /// One execution mapping `square` over 0..<N, after an untimed 16-task map on the same store.
    static func map(_ options: CaseOptions, inMemory: Bool) async throws -> CaseResult {
        let n = options.n
        let name = inMemory ? "map-mem" : "map"
        let expected = (0..<n).reduce(0) { $0 + $1 * $1 }
        let load = Measure.loadAverage()
        var seconds: [Double] = []
        var cpu: [Double] = []
        var shapes: [[Int]] = []
        for rep in 0..<options.repetitions {
            let (store, _) = try makeStore(options, inMemory: inMemory)
            let engine = FluxEngine(store: store)
            _ = try await mapWorkflow.run(16, on: engine)
            store.reset()
            let c0 = Measure.cpu()
            let t0 = Measure.now()
            let ctx = try await mapWorkflow.run(n, on: engine)
            let elapsed = Measure.now() - t0
            cpu.append(Measure.cpu() - c0)
            seconds.append(elapsed)
            guard ctx.state == .completed, ctx.output == .int(expected), ctx.events.count == 2 * n + 2 else {
                throw BenchmarkFailure("map_wf gave \(ctx.state) \(ctx.output.canonicalJSON.prefix(200)) with \(ctx.events.count) events")
            }
            let shape = store.eventsPerWrite
            shapes.append(shape)
            log("\(name) n=\(n) rep \(rep + 1)/\(options.repetitions): \(format(elapsed)) s, \(shape.count) transactions")
        }
        removeDatabase(at: options.databasePath)
        // The shape of the median repetition goes to the raw baseline.
        let medianIndex = seconds.indices.sorted { seconds[$0] < seconds[$1] }[seconds.count / 2]
        let shape = shapes[medianIndex]
        if let out = options.batchesOut {
            try JSONEncoder().encode(shape).write(to: URL(fileURLWithPath: out))
        }
        return CaseResult(name: name, family: inMemory ? "diagnostic" : "map", n: n, unit: "tasks", options: options, seconds: seconds,
                          cpuSeconds: cpu, transactions: shape.count, eventRows: shape.reduce(0, +), loadBefore: load)
    }
}

func log(_ message: String) {
    FileHandle.standardError.write(Data((message + "\n").utf8))
}

func format(_ seconds: Double) -> String { String(format: "%.3f", seconds) }
