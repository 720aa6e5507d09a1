import Foundation
import Testing
@testable import FluxCore

/// The in-memory store keeps the same commit contract as SQLite: a retried commit is harmless and the log
/// stays in sequence order.
struct InMemoryStoreTests {
    func event(_ sequence: Int) -> ExecutionEvent {
        ExecutionEvent(id: "e\(sequence)", type: .taskCompleted, sourceID: "t", name: "t", value: .int(sequence), sequence: sequence)
    }

    @Test func retriedAndOutOfOrderEventsAreStoredOnceInOrder() async throws {
        let store = InMemoryStore()
        let record = ExecutionRecord(id: "x", workflowName: "w", workflowVersion: 1, state: .running, input: .null)
        try await store.createExecution(record, events: [event(1)])
        _ = try await store.commit(ExecutionCommit(executionID: "x", events: [event(2), event(3)]))
        _ = try await store.commit(ExecutionCommit(executionID: "x", events: [event(2), event(3), event(5)]))
        _ = try await store.commit(ExecutionCommit(executionID: "x", events: [event(4), event(1)]))
        let stored = try await store.events(executionID: "x", after: 0)
        #expect(stored.map(\.sequence) == [1, 2, 3, 4, 5])
        #expect(try await store.execution(id: "x")?.lastSequence == 5)
        #expect(try await store.events(executionID: "x", after: 3).map(\.sequence) == [4, 5])
    }
}
