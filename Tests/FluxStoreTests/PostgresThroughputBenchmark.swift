import FluxCore
import FluxPostgres
import Foundation
import Testing

/// Timings of the PostgreSQL store for docs/store.md, against the local test server. Off unless
/// `FLUX_STORE_BENCH=1` (and a server is configured):
///
///     export FLUX_TEST_POSTGRES_URL="$(bash scripts/postgres.sh)"
///     FLUX_STORE_BENCH=1 swift test -c release --filter PostgresThroughputBenchmark
@Suite("PostgreSQL throughput benchmark", .serialized,
       .enabled(if: ProcessInfo.processInfo.environment["FLUX_STORE_BENCH"] == "1" && PostgresTestServer.isConfigured))
struct PostgresThroughputBenchmark {
    static let operations = Int(ProcessInfo.processInfo.environment["FLUX_STORE_BENCH_OPERATIONS"] ?? "") ?? 2_000

    func report(_ label: String, _ count: Int, since start: ContinuousClock.Instant) {
        let elapsed = ContinuousClock.now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        print(String(format: "[bench] postgres %@ (%d): %.1f µs each, %.0f/s", label, count, seconds / Double(count) * 1e6,
                     Double(count) / seconds))
    }

    @Test func commitsClaimsAndRuns() async throws {
        try await ContractCheck("bench") { lab in
            let store = try await lab.open()
            let n = Self.operations
            let record = makeRecord(state: .running)
            try await store.createExecution(record, events: [])

            var start = ContinuousClock.now
            for i in 1...n {
                _ = try await store.commit(ExecutionCommit(executionID: record.id, events: [makeEvent(2 * i - 1), makeEvent(2 * i)]))
            }
            report("sequential commits of two events", n, since: start)

            let ids = (0..<64).map { _ in ExecutionRecord.newID() }
            for id in ids { try await store.createExecution(makeRecord(id: id, state: .running), events: []) }
            start = ContinuousClock.now
            try await withThrowingTaskGroup(of: Void.self) { group in
                for (k, id) in ids.enumerated() {
                    group.addTask {
                        for i in 1...(n / 64) {
                            _ = try await store.commit(ExecutionCommit(executionID: id, events: [makeEvent(i, value: .int(k))]))
                        }
                    }
                }
                try await group.waitForAll()
            }
            report("commits from 64 concurrent committers", n / 64 * 64, since: start)

            start = ContinuousClock.now
            for _ in 0..<(n / 4) {
                let run = makeRecord(state: .created)
                try await store.createExecution(run, events: [makeEvent(1, type: .workflowScheduled)])
                _ = try await store.commit(ExecutionCommit(executionID: run.id, events: [makeEvent(2, type: .workflowStarted)],
                                                           state: .running))
                _ = try await store.commit(ExecutionCommit(executionID: run.id, events: [makeEvent(3, type: .workflowCompleted)],
                                                           state: .completed, output: "done"))
            }
            report("hello-world runs (create + 2 commits)", n / 4, since: start)

            for _ in 0..<n { try await store.createExecution(makeRecord(state: .created), events: []) }
            start = ContinuousClock.now
            let claimed = try await withThrowingTaskGroup(of: Int.self) { group in
                for worker in 0..<8 {
                    group.addTask {
                        var count = 0
                        while try await store.claimNext(fromStates: [.created], owner: "w\(worker)", leaseExpiresAt: Date() + 30,
                                                        newState: .claimed, now: Date()) != nil { count += 1 }
                        return count
                    }
                }
                return try await group.reduce(0, +)
            }
            report("claimNext by 8 concurrent workers", claimed, since: start)

            start = ContinuousClock.now
            for _ in 0..<n { _ = try await store.execution(id: record.id) }
            report("execution(id:) reads", n, since: start)
        }.run(on: .postgres)
    }
}
