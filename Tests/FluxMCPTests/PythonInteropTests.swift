import Foundation
import Testing

/// The official Python MCP SDK drives the real `flux start mcp` over each transport through the whole
/// scenario (initialize, tools, upload, sync and async runs, progress, pause and resume, cancel, errors,
/// resources, prompt) and reports a JSON verdict.
@Suite("Python MCP SDK interop")
struct PythonInteropTests {
    @Test("official Python client", arguments: ["stdio", "streamable-http", "sse"])
    func pythonClient(transport: String) async throws {
        let python = try Paths.python
        let flux = try Paths.flux
        let workdir = try Paths.temporaryDirectory("interop-\(transport)")
        defer { try? FileManager.default.removeItem(at: workdir) }
        let run = try await runProgram(python, [
            Paths.scripts.appendingPathComponent("mcp_client.py").path, "--flux", flux.path,
            "--examples", Paths.examples.path, "--workdir", workdir.path, "--transport", transport,
        ])
        guard let line = run.stdout.split(separator: "\n").last,
              let verdict = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
            Issue.record("no verdict from the Python client (status \(run.status)): \(run.stdout.suffix(500)) \(run.stderr.suffix(2000))")
            return
        }
        let failures = verdict["failures"] as? [String] ?? []
        let checks = verdict["checks"] as? [String: Bool] ?? [:]
        #expect(failures.isEmpty, "\(transport): \(failures.joined(separator: "\n"))")
        #expect(verdict["ok"] as? Bool == true)
        #expect(checks.count >= 30, "only \(checks.count) checks ran")
        #expect(verdict["protocol_version"] as? String != nil)
    }
}
