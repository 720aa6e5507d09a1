import FluxCore
import Foundation
import Testing
@testable import FluxDocuments

/// The reference document's YAML examples are real: every complete document and every step fragment in
/// docs/workflow-format.md parses.
@Suite struct FormatReferenceTests {
    static func yamlBlocks() throws -> [String] {
        let text = try String(contentsOf: TestPaths.root.appendingPathComponent("docs/workflow-format.md"), encoding: .utf8)
        var blocks: [String] = []
        var current: [Substring]?
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if current == nil, line == "```yaml" {
                current = []
            } else if current != nil, line == "```" {
                blocks.append(current!.joined(separator: "\n"))
                current = nil
            } else {
                current?.append(line)
            }
        }
        return blocks
    }

    @Test func referenceExamplesParse() throws {
        let blocks = try Self.yamlBlocks()
        #expect(blocks.count >= 15)
        var checked = 0
        for block in blocks {
            let document: String
            if block.hasPrefix("flux:") {
                document = block
            } else if block.hasPrefix("steps:") {
                document = "flux: 1\nname: t\nsecrets: [API_TOKEN]\n" + block
            } else if block.hasPrefix("- id:") {
                let indented = block.split(separator: "\n", omittingEmptySubsequences: false).map { "  " + $0 }.joined(separator: "\n")
                document = "flux: 1\nname: t\nsecrets: [API_TOKEN]\nsteps:\n" + indented
            } else if block.hasPrefix("set:") {
                document = "flux: 1\nname: t\nsteps:\n  - id: s\n" + block.split(separator: "\n").map { "    " + $0 }.joined(separator: "\n")
            } else {
                Issue.record("unrecognized example block:\n\(block)")
                continue
            }
            let errors = DocumentParser.validate(text: document, sourceName: "workflow-format.md")
            #expect(errors.isEmpty, "\(block)\n→ \(errors.map(\.description).joined(separator: "\n"))")
            checked += 1
        }
        #expect(checked == blocks.count)
    }

    @Test func everyFunctionIsDocumented() throws {
        let text = try String(contentsOf: TestPaths.root.appendingPathComponent("docs/workflow-format.md"), encoding: .utf8)
        for function in ExpressionFunction.allCases {
            #expect(text.contains("`\(function.rawValue)("), "\(function.rawValue) is documented")
        }
        for kind in StepKind.names {
            #expect(text.contains("### `\(kind)`"), "\(kind) has a section")
        }
        for builtin in BuiltinName.allCases {
            #expect(text.contains("| `\(builtin.rawValue)` |"), "\(builtin.rawValue) is documented")
        }
    }
}
