import FluxCore
import Foundation
import Testing
@testable import FluxDocuments

/// Validates the example documents against docs/workflow.schema.json with an independent validator: Python's
/// `jsonschema` (Draft 2020-12), installed into a virtual environment under .build. If the environment cannot be
/// made, the test fails: it never skips.
@Suite(.serialized) struct SchemaConformanceTests {
    static let venv = TestPaths.root.appendingPathComponent(".build/flux-documents-venv")

    @discardableResult
    static func run(_ executable: String, _ arguments: [String]) async throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        // Read on a thread of its own, not on one of Swift's cooperative threads (a pip install takes minutes, and
        // the pool, shared by every test of the process, has as many threads as the machine has cores).
        let output = pipe.fileHandleForReading
        let data = await withCheckedContinuation { (continuation: CheckedContinuation<Data, Never>) in
            Thread.detachNewThread { continuation.resume(returning: output.readDataToEndOfFile()) }
        }
        while process.isRunning { try await Task.sleep(for: .milliseconds(10)) }
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    /// The venv's python, created and provisioned on first use.
    static func python() async throws -> String {
        let python = venv.appendingPathComponent("bin/python").path
        let check = FileManager.default.isExecutableFile(atPath: python)
            ? try await run(python, ["-c", "import jsonschema, yaml"]) : (status: 1, output: "")
        if check.status == 0 { return python }
        // The system Python first, then whatever `python3` the PATH names.
        var failures: [String] = []
        var created = false
        for (executable, prefix) in [("/usr/bin/python3", [String]()), ("/usr/bin/env", ["python3"])]
        where FileManager.default.isExecutableFile(atPath: executable) {
            let create = try await run(executable, prefix + ["-m", "venv", "--clear", venv.path])
            if create.status == 0 { created = true; break }
            failures.append("\(executable) \(prefix.joined()) -m venv: \(create.output)")
        }
        guard created else { throw TestFailure("could not create a Python venv: \(failures.joined(separator: "\n"))") }
        let install = try await run(venv.appendingPathComponent("bin/pip").path, ["install", "--quiet", "--disable-pip-version-check", "jsonschema", "pyyaml"])
        guard install.status == 0 else { throw TestFailure("pip install jsonschema pyyaml failed: \(install.output)") }
        return python
    }

    @Test func examplesConformToTheJSONSchema() async throws {
        let python = try await Self.python()
        let files = try TestPaths.exampleFiles().map(\.path)
        #expect(files.count >= 23)
        let result = try await Self.run(python, [TestPaths.scripts.appendingPathComponent("validate_examples.py").path, TestPaths.schema.path] + files)
        #expect(result.status == 0, "\(result.output)")
        #expect(result.output.contains("\(files.count) passed, 0 failed"), "\(result.output)")
    }

    @Test func theSchemaRejectsMalformedDocuments() async throws {
        // The schema is not vacuous: structural mistakes that it can express are refused.
        let python = try await Self.python()
        let names = ["two_kinds.yaml", "unknown_step_kind.yaml", "step_missing_id.yaml", "retry_max_attempts_string.yaml",
                     "builtin_unknown.yaml", "http_missing_url.yaml", "map_missing_step.yaml", "timeout_bad_string.yaml",
                     "with_on_set_step.yaml", "flux_version_2.yaml", "steps_empty.yaml", "graph_node_with_id.yaml"]
        let files = names.map { TestPaths.malformed.appendingPathComponent($0).path }
        let result = try await Self.run(python, [TestPaths.scripts.appendingPathComponent("validate_examples.py").path, TestPaths.schema.path] + files)
        #expect(result.status != 0)
        #expect(result.output.contains("0 passed, \(files.count) failed"), "\(result.output)")
    }

    @Test func schemaIsValidJSONAndNamesDraft2020() throws {
        let text = try String(contentsOf: TestPaths.schema, encoding: .utf8)
        let schema = try JSONValue(parsing: text)
        #expect(schema["$schema"] == "https://json-schema.org/draft/2020-12/schema")
        #expect(schema["$defs"]?["step"] != nil)
    }
}
