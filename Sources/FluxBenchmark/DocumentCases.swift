import Flux
import FluxDocuments
import FluxStore
import Foundation

/// The engine cases again, written as workflow documents and run by ``DocumentInterpreter``, so that the
/// cost of interpreting a document shows beside the same work written in Swift.
enum DocumentCases {
    static let helloDocument = """
        flux: 1
        name: hello_world
        input: { type: string }
        steps:
          - id: greet
            set: "Hello, ${{ input }}"
        output: "${{ steps.greet.output }}"
        """

    static let mapDocument = """
        flux: 1
        name: map_squares
        input: { type: array }
        steps:
          - id: squares
            map:
              over: "${{ input }}"
              concurrency: 64
              step:
                set: "${{ item * item }}"
          - id: total
            set: "${{ sum(steps.squares.output) }}"
        output: "${{ steps.total.output }}"
        """

    static func engine(_ options: CaseOptions, document text: String) async throws -> (FluxEngine, CountingStore, String) {
        let (store, _) = try EngineCases.makeStore(options, inMemory: false)
        let engine = FluxEngine(store: store)
        guard let document = try DocumentParser.parse(text: text, sourceName: "bench.yaml").first else {
            throw BenchmarkFailure("the benchmark document defines no workflow")
        }
        await engine.register(DocumentInterpreter.definition(for: document, version: 1, environment: InterpreterEnvironment()))
        return (engine, store, document.name)
    }

    static func hello(_ options: CaseOptions) async throws -> CaseResult {
        let n = options.n
        let load = Measure.loadAverage()
        var seconds: [Double] = [], cpu: [Double] = []
        var transactions = 0
        for rep in 0..<options.repetitions {
            let (engine, store, name) = try await engine(options, document: helloDocument)
            _ = try await engine.run(workflow: name, input: "World")
            store.reset()
            let c0 = Measure.cpu(), t0 = Measure.now()
            for _ in 0..<n {
                let snapshot = try await engine.run(workflow: name, input: "World")
                guard snapshot.record.output == "Hello, World" else { throw BenchmarkFailure("hello document gave \(snapshot.record.output)") }
            }
            seconds.append(Measure.now() - t0)
            cpu.append(Measure.cpu() - c0)
            transactions = store.eventsPerWrite.count
            log("hello-document n=\(n) rep \(rep + 1)/\(options.repetitions): \(format(seconds.last ?? 0)) s, \(transactions) transactions")
        }
        removeDatabase(at: options.databasePath)
        return CaseResult(name: "hello-document", family: "document", n: n, unit: "executions", options: options, seconds: seconds,
                          cpuSeconds: cpu, transactions: transactions, eventRows: 4 * n, loadBefore: load)
    }

    static func map(_ options: CaseOptions) async throws -> CaseResult {
        let n = options.n
        let expected = (0..<n).reduce(0) { $0 + $1 * $1 }
        let input = JSONValue.array((0..<n).map { .int($0) })
        let load = Measure.loadAverage()
        var seconds: [Double] = [], cpu: [Double] = []
        var transactions = 0
        for rep in 0..<options.repetitions {
            let (engine, store, name) = try await engine(options, document: mapDocument)
            store.reset()
            let c0 = Measure.cpu(), t0 = Measure.now()
            let snapshot = try await engine.run(workflow: name, input: input)
            seconds.append(Measure.now() - t0)
            cpu.append(Measure.cpu() - c0)
            guard snapshot.record.output.intValue == expected else { throw BenchmarkFailure("map document gave \(snapshot.record.output)") }
            transactions = store.eventsPerWrite.count
            log("map-document n=\(n) rep \(rep + 1)/\(options.repetitions): \(format(seconds.last ?? 0)) s, \(transactions) transactions")
        }
        removeDatabase(at: options.databasePath)
        return CaseResult(name: "map-document", family: "document", n: n, unit: "tasks", options: options, seconds: seconds,
                          cpuSeconds: cpu, transactions: transactions, eventRows: 2 * n, loadBefore: load)
    }
}
