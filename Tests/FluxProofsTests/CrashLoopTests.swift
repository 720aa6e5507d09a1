import Foundation
import Testing

/// A test-sized run of the crash-loop harness (scripts/crash-loop.py; the full run is `bash scripts/crash-loop.sh`,
/// see docs/reliability.md): real `flux` processes are killed with SIGKILL at random moments while they run
/// 10-step executions that append to a ledger, restarted until everything is done, and the invariants checked.
@Suite("crash loop (test size)")
struct CrashLoopTests {
    static let kills = 4

    /// The modes that exist today; `server+workers` joins once workers land.
    @Test("executions survive SIGKILL: completed, none lost, no recorded step run again", arguments: ["embedded", "server"])
    func crashLoop(mode: String) async throws {
        let started = ContinuousClock.now
        let finished = try await runToEnd(
            "/usr/bin/env",
            ["python3", ProofPaths.script("scripts/crash-loop.py"), "--flux", try ProofPaths.flux.path, "--mode", mode,
             "--kills", String(Self.kills), "--batch", "6", "--min-delay", "0.05", "--max-delay", "0.6", "--seed", "7",
             "--finish-timeout", "100", "--cleanup"],
            environment: cleanEnvironment, timeout: .seconds(150))
        let summary = try finished.summary()
        #expect(finished.status == 0, "harness exit \(finished.status): \(finished.stdout.suffix(3000)) \(finished.stderr.suffix(2000))")
        #expect(summary.int("violations") == 0, "violations: \(summary["first_violations"] ?? "")")
        #expect(summary.int("kills") == Self.kills)
        let acknowledged = summary.int("executions_acknowledged") ?? 0
        #expect(acknowledged >= Self.kills * 6 / 2, "too few executions were started to prove anything: \(acknowledged)")
        #expect(summary.int("executions_completed") == summary.int("executions_in_store"))
        #expect((summary.int("executions_in_store") ?? 0) >= acknowledged)
        #expect(summary.int("ledger_lines") ?? 0 >= acknowledged * 10)
        #expect(summary["integrity_check"] as? String == "ok")
        // Typically 10-30 s; the bound catches a hang, with room for a machine shared with other builds.
        #expect(ContinuousClock.now - started < .seconds(120))
    }
}
