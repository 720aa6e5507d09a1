import FluxCore
import Foundation
import Testing

@Suite("Malformed documents through the flux binary")
struct MalformedDocumentsTests {
    static let corpus: [URL] = {
        let dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("FluxDocumentsTests/Fixtures/malformed")
        let files = (try? FileManager.default.contentsOfDirectory(at: dir, includingPropertiesForKeys: nil)) ?? []
        return files.sorted { $0.lastPathComponent < $1.lastPathComponent }
    }()

    @Test func theCorpusHasAtLeastAHundredDocuments() {
        #expect(Self.corpus.count >= 100)
    }

    /// Every malformed document is refused with exit code 2 and an error naming the file and a location,
    /// and the store keeps what it had.
    @Test func everyMalformedDocumentIsRefusedWithALocation() throws {
        let flux = try FluxBinary()
        let good = FluxBinary.examples.appendingPathComponent("hello_world.yaml").path
        #expect(try flux.run(["workflow", "register", good]).status == 0)
        var failures: [String] = []
        for file in Self.corpus {
            let result = try flux.run(["workflow", "register", file.path])
            let name = file.lastPathComponent
            let firstError = result.stderr.split(separator: "\n").first.map(String.init) ?? ""
            if result.status != 2 || !firstError.hasPrefix("error: ") || !firstError.contains(name) {
                failures.append("\(name): exit \(result.status), \(firstError.prefix(200))")
            }
        }
        #expect(failures.isEmpty, "\(failures.joined(separator: "\n"))")
        let list = try JSONValue(parsing: try flux.run(["workflow", "list", "--format", "json"]).stdout)
        #expect(list.arrayValue?.compactMap { $0["name"]?.stringValue } == ["hello_world"], "nothing malformed was stored")
        #expect(try flux.run(["run", good, "still fine", "--format", "json"]).status == 0)
    }

    @Test func aTenMegabyteDocumentIsRefusedClearly() throws {
        let flux = try FluxBinary()
        let path = try flux.write("huge.yaml", "flux: 1\nname: huge\nsteps:\n" + String(repeating: "  - id: s\n    set: x\n", count: 500_000))
        let result = try flux.run(["workflow", "register", path])
        #expect(result.status == 2)
        #expect(result.stderr.contains("huge.yaml") && result.stderr.contains("limit"))
    }
}
