import FluxCore
import Foundation
import Synchronization
import Testing

/// Before a task body runs, the engine commits the completions recorded so far, so a crash repeats at most
/// the task in flight. A side-effect-free body skips that commit: running it again after a crash is harmless.
@Suite("Side-effect-free tasks")
struct SideEffectFreeTests {
    /// What the store held when each body ran: the number of TASK_COMPLETED events committed.
    final class Seen: Sendable {
        let values = Mutex<[String: Int]>([:])
        func record(_ name: String, _ count: Int) { values.withLock { $0[name] = count } }
        subscript(_ name: String) -> Int? { values.withLock { $0[name] } }
    }

    static func committedCompletions(_ store: any FluxStore) async throws -> Int {
        guard let record = try await store.listExecutions(ExecutionQuery()).executions.first else { return 0 }
        return try await store.events(executionID: record.id, after: 0).filter { $0.type == .taskCompleted }.count
    }

    func run(secondIsSideEffectFree: Bool) async throws -> Seen {
        let engine = makeEngine()
        let store = engine.store
        let seen = Seen()
        let first = task("first") { (x: Int) -> Int in x + 1 }
        let second = task("second", options: TaskOptions(sideEffectFree: secondIsSideEffectFree)) { (x: Int) -> Int in
            seen.record("second", try await Self.committedCompletions(store))
            return x * 2
        }
        let third = task("third") { (x: Int) -> Int in
            seen.record("third", try await Self.committedCompletions(store))
            return x - 1
        }
        let wf = workflow("pure_in_the_middle") { (ctx: ExecutionContext<Int>) in
            try await third(try await second(try await first(ctx.input)))
        }
        let ctx = try await wf.run(3, on: engine)
        #expect(ctx.output == 7)
        #expect(ctx.events.of(.taskCompleted).count == 3, "every completion is still recorded")
        return seen
    }

    @Test func aSideEffectFreeBodyDoesNotWaitForACommit() async throws {
        let seen = try await run(secondIsSideEffectFree: true)
        #expect(seen["second"] == 0, "nothing committed before the pure body ran")
        #expect(seen["third"] == 2, "before the next ordinary body, both earlier completions are durable")
    }

    @Test func anOrdinaryBodyRunsOnlyAfterEarlierCompletionsAreDurable() async throws {
        let seen = try await run(secondIsSideEffectFree: false)
        #expect(seen["second"] == 1)
        #expect(seen["third"] == 2)
    }

    /// A claimed execution (started in the background, as async runs and workers do) whose first body is pure
    /// runs it before anything but the claim is committed; the next ordinary body waits for the commit.
    @Test func aClaimedRunCommitsNothingBeforeAPureFirstBody() async throws {
        let engine = makeEngine()
        let store = engine.store
        let seen = Seen()
        @Sendable func committedEvents() async throws -> Int {
            guard let record = try await store.listExecutions(ExecutionQuery()).executions.first else { return -1 }
            return try await store.events(executionID: record.id, after: 0).count
        }
        let pure = task("pure", options: TaskOptions(sideEffectFree: true)) { (x: Int) -> Int in
            seen.record("pure", try await committedEvents())
            return x + 1
        }
        let effect = task("effect") { (x: Int) -> Int in
            seen.record("effect", try await committedEvents())
            return x * 10
        }
        let wf = workflow("pure_first") { (ctx: ExecutionContext<Int>) in try await effect(try await pure(ctx.input)) }
        await engine.register(wf.definition)
        let created = try await engine.create(workflow: "pure_first", input: 4)
        let snapshot = try await engine.execute(executionID: created.id)
        #expect(snapshot.record.state == .completed)
        #expect(snapshot.record.output == 50)
        #expect(seen["pure"] == 0, "nothing but the claim is committed before the pure body")
        // WORKFLOW_STARTED, TASK_STARTED and TASK_COMPLETED of `pure`, TASK_STARTED of `effect`.
        #expect(seen["effect"] == 4, "the ordinary body runs after the earlier events are durable")
    }
}
