import FluxCore
import Foundation
import Testing

/// What one execution may cost (hostile review, points 7 and 9): the items of one map, and the bytes it records.
/// A two-byte input must not make one execution fill the store.
@Suite("Execution limits")
struct ExecutionLimitsTests {
    /// Every item of a map over `range(input)` copies a string of about 7 × `input` bytes: the recorded bytes grow
    /// with the square of the input.
    static let amplifier = """
        flux: 1
        name: amplifier
        input: { type: integer }
        steps:
          - id: text
            set: "${{ json(range(input)) }}"
          - id: copies
            map:
              over: "${{ range(input) }}"
              step:
                set: "${{ steps.text.output }}"
        output: "${{ length(steps.copies.output) }}"
        """

    static func databaseBytes(_ flux: FluxBinary) -> Int {
        ["flux.db", "flux.db-wal"].reduce(0) { total, file in
            let path = flux.directory.appendingPathComponent(".flux/\(file)").path
            return total + ((try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0)
        }
    }

    @Test func anExecutionThatRecordsTooMuchFailsAndTheStoreStaysSmall() throws {
        let flux = try FluxBinary(environment: ["FLUX_EXECUTOR__MAX_RECORDED_BYTES": "1000000"])
        defer { try? FileManager.default.removeItem(at: flux.directory) }
        let document = try flux.write("amplifier.yaml", Self.amplifier)
        // Within the limit: 40 copies of ~200 bytes.
        let small = try flux.run(["run", document, "40", "--format", "json"])
        #expect(small.status == 0, "\(small.stderr)")
        // 2,000 copies of ~13 KB would record ~26 MB.
        let large = try flux.run(["run", document, "2000", "--format", "json"])
        #expect(large.status == 1, "\(large.stdout) \(large.stderr)")
        let summary = try JSONValue(parsing: large.stdout)
        #expect(summary["state"] == "FAILED")
        let message = summary["output"]?["message"]?.stringValue ?? ""
        #expect(message.contains("recorded more than 1000000 bytes") && message.contains("executor.max_recorded_bytes"), "\(summary)")
        #expect(Self.databaseBytes(flux) < 8_000_000, "the store grew to \(Self.databaseBytes(flux)) bytes")
    }

    @Test func aMapOverTooManyItemsFailsBeforeAnyItemStarts() throws {
        let flux = try FluxBinary(environment: ["FLUX_EXECUTOR__MAX_MAP_ITEMS": "100"])
        defer { try? FileManager.default.removeItem(at: flux.directory) }
        let document = try flux.write("amplifier.yaml", Self.amplifier)
        #expect(try flux.run(["run", document, "100"]).status == 0)
        let result = try flux.run(["run", document, "101", "--format", "json", "--detailed"])
        #expect(result.status == 1, "\(result.stdout) \(result.stderr)")
        let summary = try JSONValue(parsing: result.stdout.split(separator: "\n").last.map(String.init) ?? "")
        let message = summary["output"]?["message"]?.stringValue ?? ""
        #expect(message.contains("map over 101 items: the most one map may have is 100 (executor.max_map_items)"), "\(summary)")
        let started = summary["events"]?.arrayValue?.filter { $0["type"] == "TASK_STARTED" }.count ?? -1
        #expect(started <= 2, "no item of the map started: \(started) TASK_STARTED events")
    }

    @Test func theLimitsAreConfigurationKeys() throws {
        let flux = try FluxBinary(environment: ["FLUX_EXECUTOR__MAX_RECORDED_BYTES": "12"])
        defer { try? FileManager.default.removeItem(at: flux.directory) }
        let result = try flux.run(["workflow", "list"])
        #expect(result.status == 2)
        #expect(result.stderr.contains("FLUX_EXECUTOR__MAX_RECORDED_BYTES") && result.stderr.contains("at least 1024"), "\(result.stderr)")
    }
}
