import FluxCore
import Foundation
@testable import FluxDocuments

enum TestPaths {
    /// The package root, found from this file's location.
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let examples = root.appendingPathComponent("examples/documents")
    static let malformed = root.appendingPathComponent("Tests/FluxDocumentsTests/Fixtures/malformed")
    static let schema = root.appendingPathComponent("docs/workflow.schema.json")
    static let scripts = root.appendingPathComponent("Tests/FluxDocumentsTests/Scripts")

    static func files(in directory: URL) throws -> [URL] {
        try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted().map { directory.appendingPathComponent($0) }
    }

    /// The example documents (YAML and JSON files; not the README).
    static func exampleFiles() throws -> [URL] {
        try files(in: examples).filter { ["yaml", "yml", "json"].contains($0.pathExtension) }
    }
}

/// Parses a one-workflow document, failing the test with all errors when it does not parse.
func workflow(_ text: String, file: String = "test.yaml") throws -> WorkflowDocument {
    let docs = try DocumentParser.parse(text: text, sourceName: file)
    guard docs.count == 1 else { throw TestFailure("expected one workflow, found \(docs.count)") }
    return docs[0]
}

/// The errors of a document that must not parse.
func errors(_ text: String, file: String = "test.yaml") -> [DocumentError] {
    DocumentParser.validate(text: text, sourceName: file)
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// `flux: 1`, `name: t` and the given steps (already indented as list items).
func doc(_ steps: String, header: String = "") -> String {
    "flux: 1\nname: t\n\(header)steps:\n\(steps)"
}

let evaluator = ExpressionEvaluator()

/// Evaluates one `${{ }}`-free expression text.
func eval(_ text: String, _ scope: ExpressionScope = ExpressionScope()) throws -> JSONValue {
    try evaluator.evaluate(try ExpressionNode(parsing: text), in: scope)
}

/// Evaluates a template given as a JSON value.
func render(_ value: JSONValue, _ scope: ExpressionScope = ExpressionScope()) throws -> JSONValue {
    try evaluator.evaluate(try Template(compiling: value), in: scope)
}
