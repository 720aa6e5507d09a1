import Foundation
import Testing

/// The hostile input corpus (Tests/FluxProofsTests/Scripts/hostile.py): over 2,000 malformed and hostile inputs
/// against a real `flux start server`, `flux start mcp --transport streamable-http`, `flux start mcp` over stdio and
/// the CLI, all on one store. Each must get a clear error; no process may crash; the store must stay intact.
@Suite("hostile input corpus")
struct HostileCorpusTests {
    @Test("every hostile input gets a clear error, nothing crashes, the store is intact")
    func corpus() async throws {
        let finished = try await runToEnd(
            "/usr/bin/env", ["python3", ProofPaths.script("Tests/FluxProofsTests/Scripts/hostile.py"), "--flux", try ProofPaths.flux.path],
            environment: cleanEnvironment, timeout: Deadline.harness)
        let summary = try finished.summary()
        #expect(finished.status == 0, "exit \(finished.status): \(finished.stdout.suffix(6000)) \(finished.stderr.suffix(2000))")
        #expect(summary.int("cases") ?? 0 >= 2000)
        #expect(summary.int("failed") == 0, "failures: \(summary["first_failures"] ?? "")")
        #expect(summary["integrity_check"] as? String == "ok")
        #expect((summary["counts_before"] as? [Int]) == (summary["counts_after"] as? [Int]), "the refused inputs changed the store")
        let processes = summary["processes"] as? [String: Bool] ?? [:]
        #expect(!processes.isEmpty && processes.values.allSatisfy { $0 }, "processes after the corpus: \(processes)")
        #expect((summary["crash_logs"] as? [String])?.isEmpty == true)
        let surfaces = summary["surfaces"] as? [String: Int] ?? [:]
        for surface in ["REST", "REST run", "MCP HTTP", "MCP stdio", "CLI", "HTTP framing"] {
            #expect((surfaces[surface] ?? 0) > 0, "no case reached \(surface)")
        }
    }
}
