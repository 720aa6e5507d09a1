import FluxCore
import Foundation
import Testing
@testable import FluxStore

/// A small write on an idle store runs on the caller's thread (no hand-off); a large one never does, so that a
/// thread of Swift's cooperative pool is not held while thousands of rows are written.
@Suite("Inline writes")
struct InlineWriteTests {
    /// Whether `body` ran on the thread that called `write`.
    static func ranOnCaller(_ store: SQLiteStore, rows: Int) async throws -> Bool {
        let caller = pthread_self()
        let writer = try await store.write(rows: rows) { _ in pthread_self() }
        return pthread_equal(caller, writer) != 0
    }

    @Test func aSmallWriteRunsOnTheCallersThreadAndALargeOneOnTheWritersThread() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let store = try SQLiteStore(path: dir.databasePath)
        var small = 0, large = 0
        // Small ones first: right after a queued write the writer keeps to its queue for a moment.
        for _ in 0..<20 where try await Self.ranOnCaller(store, rows: SQLiteStore.inlineWriteLimit) { small += 1 }
        for _ in 0..<20 where try await Self.ranOnCaller(store, rows: SQLiteStore.inlineWriteLimit + 1) { large += 1 }
        // Nothing else writes, so every small write takes the fast path.
        #expect(small == 20)
        #expect(large == 0)
    }

    @Test func aLargeCommitLandsWhole() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let store = try SQLiteStore(path: dir.databasePath)
        let id = ExecutionRecord.newID()
        try await store.createExecution(makeRecord(id: id, state: .running), events: (1...500).map { makeEvent($0) })
        let outcome = try await store.commit(ExecutionCommit(executionID: id, events: (501...3_000).map { makeEvent($0) }, state: .running))
        #expect(outcome.applied)
        #expect(try store.counts() == (executions: 1, events: 3_000))
    }
}
