import FluxCore
import Foundation
import Testing
@testable import FluxDocuments

/// Every file under Fixtures/malformed must be refused with at least one located, explained error, and must never
/// crash or hang the parser. YAML fixtures start with `# expect: <text>`, which one of the messages must contain.
@Suite struct MalformedCorpusTests {
    static let fixtures: [String] = (try? TestPaths.files(in: TestPaths.malformed).map(\.lastPathComponent)) ?? []

    @Test func corpusHasAtLeastOneHundredDocuments() {
        #expect(Self.fixtures.count >= 100)
    }

    @Test(arguments: fixtures)
    func malformedDocumentIsRefused(_ name: String) throws {
        let data = try Data(contentsOf: TestPaths.malformed.appendingPathComponent(name))
        let error = #expect(throws: DocumentValidationError.self) {
            try DocumentParser.parse(data: data, sourceName: name)
        }
        guard let error else { return }
        #expect(!error.errors.isEmpty)
        #expect(error.errors.contains { !$0.path.isEmpty && !$0.message.isEmpty })
        for e in error.errors {
            #expect(e.file == name)
            #expect(e.description.hasPrefix(name + ":"))
        }
        if let text = String(data: data, encoding: .utf8), text.hasPrefix("# expect: ") {
            let expected = String(text.dropFirst("# expect: ".count).prefix { $0 != "\n" })
            #expect(error.errors.contains { $0.message.contains(expected) }, "expected a message containing \(expected), got:\n\(error)")
        }
    }

    @Test func tenMegabyteDocumentIsRefusedBySize() {
        let line = "  - id: s\(0)\n    set: \"\(String(repeating: "x", count: 80))\"\n"
        var text = "flux: 1\nname: big\nsteps:\n"
        text.reserveCapacity(10 << 20)
        while text.utf8.count < 10 << 20 { text += line }
        // Refused by its size before any parsing (the message says so); how fast is a figure for a benchmark.
        let errors = DocumentParser.validate(text: text, sourceName: "big.yaml")
        #expect(errors.count == 1)
        #expect(errors.first?.message.contains("more than the limit of 1048576 bytes") == true)
        #expect(errors.first?.path == "$")
        // The limit is a parameter: a larger one admits more (this document then fails on duplicate ids, not size).
        let relaxed = DocumentParser.validate(text: String(text.prefix(2 << 20)), sourceName: "big.yaml",
                                              limits: DocumentLimits(maxBytes: 4 << 20, maxNodes: 1_000_000))
        #expect(!relaxed.contains { $0.message.contains("more than the limit") })
    }

    @Test func tenMegabyteDataIsRefusedBeforeDecoding() {
        let data = Data(repeating: 0x61, count: 10 << 20)
        let errors: [DocumentError]
        do {
            _ = try DocumentParser.parse(data: data, sourceName: "big.yaml")
            errors = []
        } catch {
            errors = error.errors
        }
        #expect(errors.count == 1)
        #expect(errors.first?.message.contains("bytes, more than the limit") == true)
    }

    @Test func billionLaughsIsRefusedQuickly() {
        var text = "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n"
        let names = "abcdefghijklmnop".map(String.init)
        for i in 1..<12 {
            text += "\(names[i]): &\(names[i]) [" + Array(repeating: "*\(names[i - 1])", count: 10).joined(separator: ",") + "]\n"
        }
        // Refused as an alias bomb instead of expanded (10^12 nodes would not end); how fast is a figure for a benchmark.
        let errors = DocumentParser.validate(text: text, sourceName: "bomb.yaml")
        #expect(errors.count == 1)
        #expect(errors.first?.message.contains("alias bomb") == true)
    }

    @Test(arguments: [1_000, 10_000, 100_000])
    func deepFlowNestingIsRefused(_ depth: Int) {
        let text = doc("  - id: a\n    set: " + String(repeating: "[", count: depth) + String(repeating: "]", count: depth) + "\n")
        let errors = DocumentParser.validate(text: text, sourceName: "deep.yaml")
        #expect(errors.count == 1)
        #expect(errors.first.map { $0.message.contains("nested") } == true)
    }

    @Test func deepBlockNestingIsRefused() {
        var text = doc("  - id: a\n    set:\n")
        for level in 0..<2_000 { text += String(repeating: " ", count: 6 + level) + "- \n" }
        let errors = DocumentParser.validate(text: text, sourceName: "deep.yaml")
        #expect(!errors.isEmpty)
    }

    @Test func deepJSONNestingIsRefused() {
        let text = "{\"flux\": 1, \"name\": \"t\", \"steps\": [{\"id\": \"a\", \"set\": " + String(repeating: "{\"a\": ", count: 50_000) + "1" + String(repeating: "}", count: 50_000) + "}]}"
        let errors = DocumentParser.validate(text: text, sourceName: "deep.json")
        #expect(errors.count == 1)
        #expect(errors.first?.message.contains("nesting deeper than 100 levels") == true)
        #expect(errors.first?.line == 1)
    }

    @Test func randomBytesNeverCrash() {
        var generator = SplitMix64(seed: 42)
        for length in [1, 7, 64, 512, 4_096] {
            for _ in 0..<20 {
                let bytes = (0..<length).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
                do {
                    _ = try DocumentParser.parse(data: Data(bytes), sourceName: "random.bin")
                    Issue.record("random bytes parsed as a workflow")
                } catch {
                    #expect(!error.errors.isEmpty)
                }
            }
        }
    }

    @Test func mutatedExamplesNeverCrash() throws {
        // Cut every example at many points: each prefix either parses or fails with located errors.
        var generator = SplitMix64(seed: 7)
        for url in try TestPaths.exampleFiles() {
            let text = try String(contentsOf: url, encoding: .utf8)
            let characters = Array(text)
            for _ in 0..<15 {
                let cut = Int(generator.next() % UInt64(max(1, characters.count)))
                var mutated = characters
                mutated.insert(contentsOf: ["$", "{", "{", ":", "\n", "-"].shuffled(using: &generator).prefix(2), at: cut)
                _ = DocumentParser.validate(text: String(mutated), sourceName: url.lastPathComponent)
                _ = DocumentParser.validate(text: String(characters[..<cut]), sourceName: url.lastPathComponent)
            }
        }
    }
}

/// A small deterministic generator, so fuzz-style tests are reproducible.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

@Suite struct LargeStructureTests {
    @Test func hugeGraphIsRefusedQuickly() {
        var text = doc("  - id: g\n    graph:\n      start: n0\n      end: n1\n      nodes:\n")
        for i in 0..<3_000 { text += "        n\(i): {set: \(i)}\n" }
        text += "      edges:\n"
        for i in 0..<2_999 { text += "        - {from: n\(i), to: n\(i + 1)}\n" }
        // How fast it is refused is a figure for a benchmark.
        let errors = DocumentParser.validate(text: text, sourceName: "graph.yaml")
        #expect(errors.contains { $0.message == "a graph may have at most 1000 nodes, found 3000" })
    }

    @Test func longChainGraphAtTheLimitValidates() throws {
        var text = doc("  - id: g\n    graph:\n      start: n0\n      end: n999\n      nodes:\n")
        for i in 0..<1_000 { text += "        n\(i): {set: \"${{ \(i == 0 ? "0" : "steps.n\(i - 1).output + 1") }}\"}\n" }
        text += "      edges:\n"
        for i in 0..<999 { text += "        - {from: n\(i), to: n\(i + 1)}\n" }
        let w = try workflow(text)
        guard case .graph(let g) = w.steps[0].kind else { throw TestFailure("a graph") }
        #expect(g.nodes.count == 1_000)
    }

    @Test func manyStepsValidate() throws {
        var text = doc("")
        for i in 0..<5_000 { text += "  - id: s\(i)\n    set: \"${{ \(i == 0 ? "0" : "steps.s\(i - 1).output") }}\"\n" }
        // How fast it validates (linear in the steps) is a figure for a benchmark.
        let w = try workflow(text)
        #expect(w.steps.count == 5_000)
    }
}
