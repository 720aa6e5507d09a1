import FluxStore
import Foundation

/// `flux-benchmark all`: runs every case in a child process of its own (so each peak RSS is the case's
/// own), each on a fresh database in a new temporary directory, and prints a table or JSON.
struct Driver {
    var synchronous: SQLiteSynchronous = .normal
    var json = false
    var helloSizes = [1_000, 10_000]
    var mapSizes = [1_000, 10_000, 100_000]
    var helloRepetitions = 5
    var mapRepetitions: Int?
    var temporaryRoot = FileManager.default.temporaryDirectory.path
    var only: Set<String>?
    /// Also run the diagnostic cases (engine alone, the store's extra statements, one transaction per run).
    var diagnostics = false

    /// Map repetitions unless `--map-repetitions` says otherwise: fewer as N grows.
    func repetitions(forMap n: Int) -> Int {
        if let mapRepetitions { return mapRepetitions }
        return n <= 1_000 ? 5 : n <= 10_000 ? 3 : 1
    }

    /// The cases in the order they run: each raw baseline right after its engine case of the same size, so
    /// the two see much the same machine load (and the map baseline can replay the engine's transactions).
    var plan: [(name: String, n: Int, repetitions: Int)] {
        var plan: [(String, Int, Int)] = []
        for n in helloSizes {
            plan.append(("hello", n, helloRepetitions))
            plan.append(("hello-raw", n, helloRepetitions))
            plan.append(("hello-document", n, helloRepetitions))
            if diagnostics {
                for name in ["hello-mem", "hello-raw-store", "hello-raw-2tx"] { plan.append((name, n, helloRepetitions)) }
            }
        }
        for n in mapSizes {
            plan.append(("map", n, repetitions(forMap: n)))
            plan.append(("map-raw", n, repetitions(forMap: n)))
            if n <= 10_000 { plan.append(("map-document", n, repetitions(forMap: n))) }
            if diagnostics {
                for name in ["map-raw-store", "map-mem"] { plan.append((name, n, repetitions(forMap: n))) }
            }
        }
        return plan.filter { only?.contains($0.0) ?? true }
    }

    func run() throws {
        let executable = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
        let machine = MachineInfo.current()
        let startLoad = Measure.loadAverage()
        log("flux-benchmark: synchronous=\(synchronous.rawValue), \(machine.cores) cores, load \(startLoad)")
        var results: [CaseResult] = []
        for (name, n, repetitions) in plan {
            let directory = temporaryRoot + "/flux-benchmark-\(UUID().uuidString)"
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: directory) }
            var arguments = ["case", name, String(n), "--db", directory + "/flux.db",
                             "--synchronous", synchronous.rawValue, "--repetitions", String(repetitions)]
            let shapeFile = temporaryRoot + "/flux-benchmark-map-\(n)-\(getpid()).json"
            if name == "map" { arguments += ["--batches-out", shapeFile] }
            if name.hasPrefix("map-raw") {
                if FileManager.default.fileExists(atPath: shapeFile) {
                    arguments += ["--batches", shapeFile]
                } else {
                    log("map-raw \(n): no transaction shape from a map run; splitting evenly")
                }
            }
            let result = try runChild(executable: executable, arguments: arguments)
            if name == plan.last(where: { $0.n == n && $0.name.hasPrefix("map-raw") })?.name {
                try? FileManager.default.removeItem(atPath: shapeFile)
            }
            results.append(result)
        }
        let report = Report(machine: machine, synchronous: synchronous.rawValue, loadAverageAtStart: startLoad,
                            loadAverageAtEnd: Measure.loadAverage(), cases: results, comparisons: Report.compare(results),
                            mapLinearity: Report.linearity(results))
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(report), as: UTF8.self))
        } else {
            print(report.table())
        }
    }

    private func runChild(executable: String, arguments: [String]) throws -> CaseResult {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw BenchmarkFailure("`flux-benchmark \(arguments.joined(separator: " "))` exited with \(process.terminationStatus)")
        }
        guard let line = String(decoding: data, as: UTF8.self).split(separator: "\n").last else {
            throw BenchmarkFailure("`flux-benchmark \(arguments.joined(separator: " "))` printed nothing")
        }
        return try JSONDecoder().decode(CaseResult.self, from: Data(line.utf8))
    }
}

struct MachineInfo: Codable {
    var cores: Int
    var memoryMiB: Int
    var kernel: String
    var cpuModel: String

    static func current() -> MachineInfo {
        let meminfo = (try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8)) ?? ""
        let memKB = meminfo.split(separator: "\n").first { $0.hasPrefix("MemTotal:") }
            .flatMap { Int($0.filter(\.isNumber)) } ?? 0
        let cpuinfo = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        let model = cpuinfo.split(separator: "\n").first { $0.hasPrefix("model name") }
            .map { String($0.split(separator: ":", maxSplits: 1).last ?? "").trimmingCharacters(in: .whitespaces) } ?? "?"
        let kernel = ((try? String(contentsOfFile: "/proc/sys/kernel/osrelease", encoding: .utf8)) ?? "?")
            .trimmingCharacters(in: .whitespacesAndNewlines)
        return MachineInfo(cores: ProcessInfo.processInfo.activeProcessorCount, memoryMiB: memKB / 1024,
                           kernel: kernel, cpuModel: model)
    }
}

struct Comparison: Codable {
    var family: String
    var n: Int
    var engine: String
    var baseline: String
    /// Engine median wall time over baseline median wall time.
    var wallRatio: Double
    /// The same for CPU time, which other load on the machine disturbs less.
    var cpuRatio: Double
}

struct LinearityPoint: Codable {
    var n: Int
    var microsecondsPerTask: Double
    var cpuMicrosecondsPerTask: Double
}

struct Report: Codable {
    var machine: MachineInfo
    var synchronous: String
    var loadAverageAtStart: Double
    var loadAverageAtEnd: Double
    var cases: [CaseResult]
    var comparisons: [Comparison]
    var mapLinearity: [LinearityPoint]

    static func compare(_ results: [CaseResult]) -> [Comparison] {
        results.filter { !$0.name.hasSuffix("-raw") }.compactMap { engine in
            // Documents compare with the same work written in Swift; engine cases with their raw baseline.
            let baselineName = engine.family == "document" ? String(engine.name.dropLast("-document".count)) : engine.family + "-raw"
            guard let raw = results.first(where: { $0.name == baselineName && $0.n == engine.n }) else { return nil }
            return Comparison(family: engine.family, n: engine.n, engine: engine.name, baseline: raw.name,
                              wallRatio: engine.medianSeconds / raw.medianSeconds,
                              cpuRatio: engine.medianCPUSeconds / raw.medianCPUSeconds)
        }
    }

    static func linearity(_ results: [CaseResult]) -> [LinearityPoint] {
        results.filter { $0.name == "map" }.map {
            LinearityPoint(n: $0.n, microsecondsPerTask: $0.microsecondsPerItem, cpuMicrosecondsPerTask: $0.cpuMicrosecondsPerItem)
        }
    }

    func table() -> String {
        var lines: [String] = []
        lines.append("Flux for Swift benchmark: SQLite WAL, synchronous=\(synchronous.uppercased()), fresh database per repetition")
        lines.append("machine: \(machine.cores) cores (\(machine.cpuModel)), \(machine.memoryMiB) MiB, Linux \(machine.kernel); "
            + "load average \(String(format: "%.2f", loadAverageAtStart)) at start, \(String(format: "%.2f", loadAverageAtEnd)) at end")
        lines.append("")
        let header = [pad("case", 15, left: true), pad("N", 8), pad("reps", 5), pad("median s", 10), pad("per second", 12),
                      pad("µs/item", 9), pad("CPU µs/item", 12), pad("tx/rep", 8), pad("peak RSS MiB", 13), pad("load", 6)]
        lines.append(header.joined(separator: " "))
        for c in cases {
            lines.append([
                pad(c.name, 15, left: true), pad(grouped(c.n), 8), pad(String(c.repetitions), 5),
                pad(String(format: "%.3f", c.medianSeconds), 10), pad(grouped(Int(c.perSecond.rounded())), 12),
                pad(String(format: "%.1f", c.microsecondsPerItem), 9), pad(String(format: "%.1f", c.cpuMicrosecondsPerItem), 12),
                pad(grouped(c.transactions), 8), pad(String(format: "%.1f", c.peakRSSMiB), 13),
                pad(String(format: "%.2f", c.loadBefore), 6),
            ].joined(separator: " "))
        }
        if !comparisons.isEmpty {
            lines.append("")
            lines.append("engine / raw SQLite baseline (same rows, same transactions):")
            for c in comparisons {
                lines.append("  \(c.engine) N=\(grouped(c.n)): \(String(format: "%.2f", c.wallRatio))× wall, \(String(format: "%.2f", c.cpuRatio))× CPU")
            }
        }
        if !mapLinearity.isEmpty {
            lines.append("")
            lines.append("map linearity (µs per task, wall / CPU): " + mapLinearity.map {
                "\(grouped($0.n)): \(String(format: "%.1f", $0.microsecondsPerTask)) / \(String(format: "%.1f", $0.cpuMicrosecondsPerTask))"
            }.joined(separator: ", "))
        }
        return lines.joined(separator: "\n")
    }
}

func pad(_ text: String, _ width: Int, left: Bool = false) -> String {
    let count = text.count
    guard count < width else { return text }
    let fill = String(repeating: " ", count: width - count)
    return left ? text + fill : fill + text
}

func grouped(_ n: Int) -> String {
    let digits = String(n)
    var out = ""
    for (i, ch) in digits.enumerated() {
        if i > 0, (digits.count - i) % 3 == 0, ch != "-" { out.append(",") }
        out.append(ch)
    }
    return out
}
