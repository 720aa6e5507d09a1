import FluxCore
import Foundation
import Testing

/// A regular expression in an input schema's `pattern` cannot backtrack catastrophically (hostile review, point 6):
/// `^(a+)+$` with a 25-character input took 1.5 s per request; with 10,000 characters it would never end.
@Suite("Schema pattern attack")
struct SchemaPatternAttackTests {
    static let document = """
        flux: 1
        name: redos
        input: { type: string, pattern: "^(a+)+$" }
        steps:
          - id: echo
            set: "${{ input }}"
        output: "${{ steps.echo.output }}"
        """

    @Test(arguments: [25, 10_000])
    func aHostileInputIsRefusedByTheSchema(_ length: Int) throws {
        let flux = try FluxBinary()
        defer { try? FileManager.default.removeItem(at: flux.directory) }
        let hostile = "\"" + String(repeating: "a", count: length) + "!\""
        let result = try flux.run(["run", try flux.write("redos.yaml", Self.document), hostile])
        #expect(result.status == 2, "\(result.stderr)")
        #expect(result.stderr.contains("expected a string matching \"^(a+)+$\""), "\(result.stderr.prefix(300))")
        let matching = try flux.run(["run", try flux.write("redos.yaml", Self.document), "\"" + String(repeating: "a", count: length) + "\""])
        #expect(matching.status == 0, "\(matching.stderr)")
    }

    @Test func aPatternThatNeedsBacktrackingIsRefusedWhereItIsWritten() throws {
        let flux = try FluxBinary()
        defer { try? FileManager.default.removeItem(at: flux.directory) }
        let document = Self.document.replacingOccurrences(of: "^(a+)+$", with: "^(a)\\\\1$")
        let result = try flux.run(["workflow", "register", try flux.write("backref.yaml", document)])
        #expect(result.status == 2, "\(result.stderr)")
        #expect(result.stderr.contains("backref.yaml:3:") && result.stderr.contains("backreferences"), "\(result.stderr)")
    }
}
