import FluxCore
import Foundation
import Testing

/// Both natural forms of `pause` (issue #16, point 13): `pause: NAME` with `output:`/`input:` beside it, and
/// `pause: {name, output, input}`. They run alike; a malformed object form is a located error.
@Suite("Pause forms")
struct PauseFormTests {
    static func document(_ pause: String) -> String {
        """
        flux: 1
        name: review
        steps:
          - id: ask
        \(pause)
          - id: answer
            set: "answer=${{ steps.ask.output }}"
        output: "${{ steps.answer.output }}"
        """
    }

    @Test(arguments: [
        "    pause: approval\n    output: \"ship it?\"\n    input: { type: string }",
        "    pause: { name: approval, output: \"ship it?\", input: { type: string } }",
    ])
    func bothFormsPauseAndResumeAlike(_ pause: String) throws {
        let flux = try FluxBinary()
        defer { try? FileManager.default.removeItem(at: flux.directory) }
        let registered = try flux.run(["workflow", "register", try flux.write("review.yaml", Self.document(pause))])
        #expect(registered.status == 0, "\(registered.stderr)")
        let paused = try JSONValue(parsing: try flux.run(["workflow", "run", "review", "--format", "json"]).stdout)
        #expect(paused["pause"]?["name"] == "approval" && paused["pause"]?["output"] == "ship it?", "\(paused)")
        // What the resume must send is said where the pause is seen (issue #16, point 7).
        #expect(paused["pauses"]?[0]?["input"] == ["type": "string"], "\(paused)")
        let shown = try JSONValue(parsing: try flux.run(["workflow", "show", "review", "--format", "json"]).stdout)
        #expect(shown["pause_points"] == [["name": "approval", "input": ["type": "string"]]], "\(shown)")
        let id = try #require(paused["execution_id"]?.stringValue)
        let refused = try flux.run(["workflow", "resume", "review", id, "42"])
        #expect(refused.status == 2 && refused.stderr.contains("expected string"), "the input schema holds: \(refused.stderr)")
        let done = try flux.run(["workflow", "resume", "review", id, #""yes""#, "--format", "json"])
        #expect(try JSONValue(parsing: done.stdout)["output"] == "answer=yes", "\(done.stdout) \(done.stderr)")
    }

    @Test func aMalformedObjectFormIsALocatedError() throws {
        let flux = try FluxBinary()
        defer { try? FileManager.default.removeItem(at: flux.directory) }
        let noName = try flux.run(["workflow", "register", try flux.write("a.yaml", Self.document("    pause: { output: hi }"))])
        #expect(noName.status == 2 && noName.stderr.contains("a.yaml:5:12: steps[0].pause.name: missing required key \"name\""),
                "\(noName.stderr)")
        let twice = try flux.run(["workflow", "register", try flux.write("b.yaml", Self.document("    pause: { name: a, output: x }\n    output: y"))])
        #expect(twice.status == 2 && twice.stderr.contains("\"output\" is given twice"), "\(twice.stderr)")
        let unknown = try flux.run(["workflow", "register", try flux.write("c.yaml", Self.document("    pause: { name: a, outptu: x }"))])
        #expect(unknown.status == 2 && unknown.stderr.contains("unknown key \"outptu\" in pause; did you mean \"output\"?"), "\(unknown.stderr)")
    }
}
