import FluxCore
import FluxStore
import Foundation
import Testing

/// Timings for docs/store.md. Off unless `FLUX_STORE_BENCH=1`, so ordinary test runs print nothing:
///
///     FLUX_STORE_BENCH=1 swift test -c release --filter CommitThroughputBenchmark
///
/// Each scenario runs `FLUX_STORE_BENCH_ROUNDS` rounds (default 7) and prints the best and the median
/// round, so that other load on the machine shows as a spread rather than as a wrong number.
@Suite("Commit throughput benchmark", .serialized,
       .enabled(if: ProcessInfo.processInfo.environment["FLUX_STORE_BENCH"] == "1"))
struct CommitThroughputBenchmark {
    static let environment = ProcessInfo.processInfo.environment
    static let operations = Int(environment["FLUX_STORE_BENCH_OPERATIONS"] ?? "") ?? 3_000
    static let rounds = Int(environment["FLUX_STORE_BENCH_ROUNDS"] ?? "") ?? 7

    /// CPU time of the whole process (all threads), in seconds: unlike wall time, hardly moved by
    /// other processes competing for the cores.
    static func processCPUSeconds() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }

    /// Runs `round` `rounds` times; each returns how many operations it did.
    func measure(_ label: String, _ round: () async throws -> Int) async rethrows {
        var perOperation: [Double] = []
        var cpuPerOperation: [Double] = []
        var count = 0
        for _ in 0..<Self.rounds {
            let start = ContinuousClock.now
            let cpuStart = Self.processCPUSeconds()
            count = try await round()
            let elapsed = ContinuousClock.now - start
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            perOperation.append(seconds / Double(count))
            cpuPerOperation.append((Self.processCPUSeconds() - cpuStart) / Double(count))
        }
        perOperation.sort()
        cpuPerOperation.sort()
        let best = perOperation[0], median = perOperation[perOperation.count / 2]
        print(String(format: "[bench] %@ (%d per round): best %.1f µs = %.0f/s, median %.1f µs = %.0f/s; CPU %.1f µs",
                     label, count, best * 1e6, 1 / best, median * 1e6, 1 / median,
                     cpuPerOperation[cpuPerOperation.count / 2] * 1e6))
    }

    @Test(arguments: [SQLiteSynchronous.normal, .full])
    func throughput(_ synchronous: SQLiteSynchronous) async throws {
        let store = try SQLiteStore.temporary(synchronous: synchronous)
        let n = synchronous == .full ? max(Self.operations / 20, 64) : Self.operations
        let mode = synchronous.rawValue

        // Sequential: one caller, two small events per commit.
        let one = makeRecord(state: .running)
        try await store.createExecution(one, events: [])
        var sequence = 0
        try await measure("\(mode): sequential commits, 2 events each") {
            for _ in 0..<n {
                let events = [makeEvent(sequence + 1), makeEvent(sequence + 2)]
                sequence += 2
                _ = try await store.commit(ExecutionCommit(executionID: one.id, events: events))
            }
            return n
        }

        // A durable hello-world run: create with 1 event, commit 2 events (running), commit 2 (completed, released).
        try await measure("\(mode): hello-world runs (create + 2 commits)") {
            for _ in 0..<n / 2 {
                let record = makeRecord(state: .created)
                try await store.createExecution(record, events: [makeEvent(1, type: .workflowScheduled)])
                _ = try await store.commit(ExecutionCommit(
                    executionID: record.id, events: [makeEvent(2, type: .workflowStarted), makeEvent(3, type: .taskStarted)],
                    state: .running))
                _ = try await store.commit(ExecutionCommit(
                    executionID: record.id, events: [makeEvent(4), makeEvent(5, type: .workflowCompleted)],
                    state: .completed, output: "Hello, World!", expectedStates: [.running], releaseOwnership: true))
            }
            return n / 2
        }

        // 64 concurrent committers, each on its own execution.
        let writers = 64
        let ids = (0..<writers).map { _ in ExecutionRecord.newID() }
        for id in ids { try await store.createExecution(makeRecord(id: id, state: .running), events: []) }
        let perWriter = max(n / writers, 1)
        var base = 0
        try await measure("\(mode): 64 concurrent committers, 2 events each") {
            let first = base
            base += 2 * perWriter
            try await withThrowingTaskGroup(of: Void.self) { group in
                for id in ids {
                    group.addTask {
                        for i in 0..<perWriter {
                            _ = try await store.commit(ExecutionCommit(
                                executionID: id, events: [makeEvent(first + 2 * i + 1), makeEvent(first + 2 * i + 2)]))
                        }
                    }
                }
                try await group.waitForAll()
            }
            return perWriter * writers
        }

        try await measure("\(mode): execution(id:) reads") {
            for _ in 0..<n { _ = try await store.execution(id: one.id) }
            return n
        }
        #expect(try store.integrityCheck() == "ok")
    }
}
