import FluxCore
import FluxStore
import Foundation
import Testing

@Suite("Group commit")
struct GroupCommitTests {
    /// 1,000 concurrent commits to 100 executions (10 one-event commits each, in any order), mixed with
    /// commits that must fail alone. Asserts only correctness; timings are in docs/store.md.
    @Test func concurrentCommitsAllLandAndFailuresStayIsolated() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let store = try SQLiteStore(path: dir.databasePath)
        let ids = (0..<100).map { _ in ExecutionRecord.newID() }
        for id in ids {
            try await store.createExecution(makeRecord(id: id, state: .running), events: [])
        }
        let claimed = try #require(try await store.claim(executionID: ids[0], expectedGeneration: 0, fromStates: [.running],
                                                         owner: "me", leaseExpiresAt: Date() + 60, newState: nil))

        enum Result: Sendable, Equatable { case applied, stale, notFound, other(String) }
        let results = try await withThrowingTaskGroup(of: Result.self) { group in
            for n in 0..<1_000 {
                let id = ids[n % 100]
                let sequence = n / 100 + 1
                group.addTask {
                    let generation = id == ids[0] ? claimed.claimGeneration : nil
                    let outcome = try await store.commit(ExecutionCommit(
                        executionID: id, events: [makeEvent(sequence, value: .int(n))], state: .running,
                        claimGeneration: generation))
                    return outcome.applied ? .applied : .other("refused")
                }
                if n % 10 == 0 {
                    group.addTask {
                        do {
                            _ = try await store.commit(ExecutionCommit(executionID: ids[0], events: [makeEvent(99)],
                                                                       claimGeneration: 0))
                            return .other("stale commit applied")
                        } catch StoreError.staleClaim {
                            return .stale
                        }
                    }
                    group.addTask {
                        do {
                            _ = try await store.commit(ExecutionCommit(executionID: "missing-\(n)", events: [makeEvent(1)]))
                            return .other("commit to a missing execution applied")
                        } catch StoreError.executionNotFound {
                            return .notFound
                        }
                    }
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(results.filter { $0 == .applied }.count == 1_000)
        #expect(results.filter { $0 == .stale }.count == 100)
        #expect(results.filter { $0 == .notFound }.count == 100)
        #expect(results.count == 1_200)

        #expect(try store.counts() == (executions: 100, events: 1_000))
        for id in ids {
            let row = try #require(try await store.execution(id: id))
            #expect(row.lastSequence == 10)
            #expect(try await store.events(executionID: id, after: 0).map(\.sequence) == Array(1...10))
        }
        #expect(try store.integrityCheck() == "ok")

        let reopened = try SQLiteStore(path: dir.databasePath)
        #expect(try reopened.counts() == (executions: 100, events: 1_000))
    }

    @Test func twoStoresOnOneFileCommitConcurrently() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let one = try SQLiteStore(path: dir.databasePath)
        let two = try SQLiteStore(path: dir.databasePath)
        let records = (0..<20).map { _ in makeRecord(state: .running) }
        for record in records { try await one.createExecution(record, events: []) }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (i, record) in records.enumerated() {
                let store = i % 2 == 0 ? one : two
                group.addTask {
                    for sequence in 1...20 {
                        _ = try await store.commit(ExecutionCommit(executionID: record.id, events: [makeEvent(sequence)]))
                    }
                }
            }
            try await group.waitForAll()
        }
        #expect(try one.counts() == (executions: 20, events: 400))
        for record in records { #expect(try await two.execution(id: record.id)?.lastSequence == 20) }
    }

    @Test func sequentialCommitsEachLand() async throws {
        let store = try SQLiteStore.temporary()
        let record = makeRecord(state: .running)
        try await store.createExecution(record, events: [])
        for sequence in stride(from: 1, through: 600, by: 3) {
            _ = try await store.commit(ExecutionCommit(
                executionID: record.id, events: (sequence..<sequence + 3).map { makeEvent($0) }))
        }
        #expect(try await store.execution(id: record.id)?.lastSequence == 600)
        #expect(try store.counts().events == 600)
    }

    @Test func concurrentCreatesWithDuplicatesFailOnlyTheDuplicates() async throws {
        let store = try SQLiteStore.temporary()
        let ids = (0..<40).map { _ in ExecutionRecord.newID() }
        // Every id is created three times at once: one of each trio wins, the others are refused.
        let outcomes = try await withThrowingTaskGroup(of: Bool.self) { group in
            for attempt in 0..<3 {
                for id in ids {
                    group.addTask {
                        do {
                            try await store.createExecution(makeRecord(id: id, workflow: "try\(attempt)"),
                                                            events: [makeEvent(1), makeEvent(2)])
                            return true
                        } catch StoreError.duplicateExecution(let duplicate) where duplicate == id {
                            return false
                        }
                    }
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(outcomes.filter { $0 }.count == 40)
        #expect(try store.counts() == (executions: 40, events: 80))
    }

    @Test func theWALIsCheckpointedAsCommitsGo() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let store = try SQLiteStore(path: dir.databasePath)
        let record = makeRecord(state: .running)
        try await store.createExecution(record, events: [])
        for sequence in 1...6_000 {
            _ = try await store.commit(ExecutionCommit(executionID: record.id, events: [makeEvent(sequence)]))
        }
        // 6,000 transactions of 2-3 pages each: without checkpoints the WAL would hold 12,000+ frames.
        // With them it starts over once it reaches 4,000 frames of 4 KiB + 24 bytes (WALCheckpointer's inline
        // limit), plus whatever was committed while a background checkpoint held the checkpoint lock: how much that
        // is depends on how fast the disk syncs on a busy machine, so the bound is the one that proves the WAL
        // started over at all, not its usual size (some 4,000 frames, a figure for docs/store.md).
        let walBytes = try FileManager.default.attributesOfItem(atPath: store.path + "-wal")[.size] as? Int ?? 0
        #expect(walBytes > 0 && walBytes < 12_000 * 4_120, "WAL frames: \(walBytes / 4_120)")
        #expect(try store.integrityCheck() == "ok")
    }
}
