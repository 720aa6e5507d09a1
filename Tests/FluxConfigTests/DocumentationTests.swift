import Foundation
import Testing
@testable import FluxConfig

@Suite("docs/configuration.md")
struct DocumentationTests {
    static func document() throws -> String {
        let url = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("docs/configuration.md")
        return try String(contentsOf: url, encoding: .utf8)
    }

    @Test("every key is documented with its environment variable")
    func everyKeyDocumented() throws {
        let text = try Self.document()
        for key in ConfigurationKeys.all {
            let row = "| `\(key.leaf)` |"
            let variable = "`\(EnvironmentReader.environmentName(for: key.name))`"
            #expect(text.contains(row), "\(key.name)")
            #expect(text.contains(variable), "\(key.name)")
        }
    }

    @Test("the example flux.toml loads without warnings")
    func exampleLoads() throws {
        let text = try Self.document()
        let marker = "## Example `flux.toml`\n\n```toml\n"
        let start = try #require(text.range(of: marker))
        let end = try #require(text.range(of: "\n```", range: start.upperBound..<text.endIndex))
        let example = String(text[start.upperBound..<end.lowerBound])
        let configuration = try FluxConfiguration(toml: example, environment: [:])
        #expect(configuration.warnings.isEmpty)
        #expect(configuration.databaseURL == "sqlite:////var/lib/flux/flux.db")
        #expect(configuration.mcp.transport == .streamableHTTP)
    }
}
