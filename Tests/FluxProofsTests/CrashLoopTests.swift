import Foundation
import Testing

/// A test-sized run of the crash-loop harness (scripts/crash-loop.py; the full run is `bash scripts/crash-loop.sh`,
/// see docs/reliability.md): real `flux` processes are killed with SIGKILL at random moments while they run
/// 10-step executions that append to a ledger, restarted until everything is done, and the invariants checked.
@Suite("crash loop (test size)")
struct CrashLoopTests {
    static let kills = 4

    @Test("executions survive SIGKILL: completed, none lost, no recorded step run again", arguments: ["embedded", "server"])
    func crashLoop(mode: String) async throws {
        let started = ContinuousClock.now
        _ = try await run(mode: mode, seed: 7, extra: [])
        // Typically 10-30 s: a figure, not a verdict (a hang ends at the harness's own deadline).
        print("crash loop (\(mode)) took \(ContinuousClock.now - started)")
    }

    /// One server that runs nothing itself and two `flux start worker` processes; each kill takes the server, one
    /// worker, or everything (seed 15 draws server, worker, everything, server), and a killed worker's executions are
    /// taken over by another worker once its lease (3 s here) lapses.
    @Test("server + workers: executions survive SIGKILL of the server, of a worker, of everything")
    func crashLoopWithWorkers() async throws {
        let started = ContinuousClock.now
        let summary = try await run(mode: "server+workers", seed: 15, extra: ["--workers", "2", "--lease-timeout", "3", "--heartbeat-interval", "0.5"])
        let byTarget = summary["kills_by_target"] as? [String: Any] ?? [:]
        for target in ["server", "worker", "all"] {
            #expect(((byTarget[target] as? NSNumber)?.intValue ?? 0) >= 1, "no kill of \(target): \(byTarget)")
        }
        #expect(summary.int("workers") == 2)
        let restarts = summary["restarts"] as? [String: Any] ?? [:]
        #expect(((restarts["flux start worker"] as? NSNumber)?.intValue ?? 0) > 2, "no worker was restarted: \(restarts)")
        // Every execution was claimed by a worker (the server runs nothing itself), and the steps ran in workers.
        #expect((summary.int("claims") ?? 0) >= (summary.int("executions_in_store") ?? 1))
        print("crash loop (server + workers) took \(ContinuousClock.now - started)")
    }

    /// Runs the harness and checks what every mode must show; answers the summary.
    func run(mode: String, seed: Int, extra: [String]) async throws -> [String: Any] {
        let finished = try await runToEnd(
            "/usr/bin/env",
            ["python3", ProofPaths.script("scripts/crash-loop.py"), "--flux", try ProofPaths.flux.path, "--mode", mode,
             "--kills", String(Self.kills), "--batch", "6", "--min-delay", "0.05", "--max-delay", "0.6", "--seed", String(seed),
             "--finish-timeout", "900", "--cleanup"] + extra,
            environment: cleanEnvironment, timeout: Deadline.harness)
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
        return summary
    }
}
