import Foundation
import Testing

/// What hostile input costs (Tests/FluxProofsTests/Scripts/hostile_cost.py): large and deep bodies at the default
/// body limit and at a small one, and hostile documents (secret transforms, recursion, amplification, catastrophic
/// patterns, `exec` argument tricks, deny-list bypass forms), each against a real `flux start server` while /health
/// is timed, the server's memory sampled and the store measured. Every case must get its expected outcome with
/// /health p99 under 100 ms, the server under 1 GiB and the store's growth under the case's bound.
@Suite("hostile input cost")
struct HostileCostTests {
    @Test("every hostile case is refused or bounded, and /health, memory and the store stay within their bounds")
    func costs() async throws {
        let finished = try await runToEnd(
            "/usr/bin/env", ["python3", ProofPaths.script("Tests/FluxProofsTests/Scripts/hostile_cost.py"), "--flux", try ProofPaths.flux.path],
            environment: cleanEnvironment, timeout: Deadline.harness)
        let summary = try finished.summary()
        #expect(finished.status == 0, "exit \(finished.status): \(finished.stdout.suffix(8000)) \(finished.stderr.suffix(2000))")
        #expect(summary.int("cases") ?? 0 >= 17)
        #expect(summary.int("failed") == 0)
        #expect((summary["crash_logs"] as? [String])?.isEmpty == true)
        let results = summary["results"] as? [[String: Any]] ?? []
        let servers = Set(results.compactMap { $0["server"] as? String })
        #expect(servers == ["default", "small"], "cases ran at the default body limit and at a small one")
        for result in results where (result["passed"] as? Bool) != true {
            Issue.record("\(result["case"] ?? "?"): \(result["problems"] ?? "?")")
        }
    }
}
