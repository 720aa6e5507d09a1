import FluxStore
import Foundation

// flux-benchmark: throughput, latency and memory of the engine on SQLite, against a raw SQLite baseline.
// docs/performance.md has the figures and how to read them; bench/compare-engine.sh adds flux-core.

let usage = """
    usage:
      flux-benchmark all [--synchronous normal|full] [--json] [--repetitions R] [--map-repetitions R]
                         [--hello-sizes 1000,10000] [--map-sizes 1000,10000,100000] [--cases hello,map,...] [--tmp DIR]
                         [--diagnostics]
          runs every case in a child process of its own, each on a fresh database in a new temporary
          directory, and prints a table (or JSON with --json); --diagnostics adds the diagnostic cases
      flux-benchmark case NAME N --db PATH [--synchronous normal|full] [--repetitions R]
                         [--batches-out FILE | --batches FILE | --transactions T]
          runs one case in this process and prints its result as one line of JSON
      flux-benchmark list
          names the cases

    cases:
    \(BenchmarkCase.all.map { "  \(pad($0.name, 15, left: true)) \($0.summary)" }.joined(separator: "\n"))
    """

func fail(_ message: String) -> Never {
    log("flux-benchmark: \(message)")
    exit(2)
}

/// The value after `flag`, if the arguments have it.
func value(of flag: String, in arguments: [String]) -> String? {
    guard let i = arguments.firstIndex(of: flag) else { return nil }
    guard i + 1 < arguments.count else { fail("\(flag) needs a value") }
    return arguments[i + 1]
}

func integers(_ text: String, flag: String) -> [Int] {
    text.split(separator: ",").map {
        guard let n = Int($0.replacingOccurrences(of: "_", with: "")), n > 0 else { fail("\(flag): \($0) is not a positive integer") }
        return n
    }
}

func synchronousMode(_ arguments: [String]) -> SQLiteSynchronous {
    guard let text = value(of: "--synchronous", in: arguments) else { return .normal }
    guard let mode = SQLiteSynchronous(rawValue: text.lowercased()) else { fail("--synchronous is normal or full, not \(text)") }
    return mode
}

let arguments = Array(CommandLine.arguments.dropFirst())
switch arguments.first {
case "all":
    var driver = Driver()
    driver.synchronous = synchronousMode(arguments)
    driver.json = arguments.contains("--json")
    driver.diagnostics = arguments.contains("--diagnostics")
    if let r = value(of: "--repetitions", in: arguments) { driver.helloRepetitions = integers(r, flag: "--repetitions")[0] }
    if let r = value(of: "--map-repetitions", in: arguments) { driver.mapRepetitions = integers(r, flag: "--map-repetitions")[0] }
    if let s = value(of: "--hello-sizes", in: arguments) { driver.helloSizes = integers(s, flag: "--hello-sizes") }
    if let s = value(of: "--map-sizes", in: arguments) { driver.mapSizes = integers(s, flag: "--map-sizes") }
    if let t = value(of: "--tmp", in: arguments) { driver.temporaryRoot = t }
    if let c = value(of: "--cases", in: arguments) {
        let names = Set(c.split(separator: ",").map(String.init))
        for name in names where BenchmarkCase.named(name) == nil { fail("no case named \(name)\n\(usage)") }
        driver.only = names
    }
    do { try driver.run() } catch { fail("\(error)") }

case "case":
    guard arguments.count >= 3, let benchmark = BenchmarkCase.named(arguments[1]), let n = Int(arguments[2]), n > 0 else {
        fail(usage)
    }
    guard let db = value(of: "--db", in: arguments) else { fail("case needs --db PATH") }
    let options = CaseOptions(
        n: n, databasePath: db, synchronous: synchronousMode(arguments),
        repetitions: value(of: "--repetitions", in: arguments).map { integers($0, flag: "--repetitions")[0] } ?? 1,
        batchesOut: value(of: "--batches-out", in: arguments), batchesIn: value(of: "--batches", in: arguments),
        transactions: value(of: "--transactions", in: arguments).map { integers($0, flag: "--transactions")[0] })
    do {
        let result = try await benchmark.run(options)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        print(String(decoding: try encoder.encode(result), as: UTF8.self))
    } catch {
        fail("\(benchmark.name) \(n): \(error)")
    }

case "list":
    for c in BenchmarkCase.all { print("\(pad(c.name, 15, left: true)) \(c.summary)") }

default:
    print(usage)
    exit(arguments.isEmpty || arguments.first == "--help" || arguments.first == "-h" ? 0 : 2)
}
