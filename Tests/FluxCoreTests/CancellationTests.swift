import FluxCore
import Foundation
import Testing

@Suite("Cancellation")
struct CancellationTests {
    @Test func cancellingARunningExecutionCancelsTheTaskInFlightAndRollsBack() async throws {
        let engine = makeEngine()
        let started = Counter()
        let rolledBack = Counter()
        let long = task("long") { (_: Int) -> Int in
            started.increment()
            try await Task.sleep(for: .seconds(3600))
            return 1
        }.with(rollback: { _ in rolledBack.increment() })
        let wf = workflow("cancellation") { (ctx: ExecutionContext<Int>) in try await long(ctx.input) }
        await engine.register(wf.definition)
        let record = try await engine.create(workflow: "cancellation", input: 1)
        await engine.start(executionID: record.id)
        #expect(await eventually { started.count > 0 })
        let cancelled = try await engine.cancel(executionID: record.id, wait: true)
        #expect(cancelled.record.state == .cancelled)
        #expect(rolledBack.count == 1)
        let types = cancelled.events.types
        #expect(types.contains(.workflowCancelling) && types.contains(.taskCancelled) && types.last == .workflowCancelled)
        #expect(types.contains(.taskRollbackCompleted))
    }

    @Test func cancellingAParentCancelsTheChildItIsWaitingFor() async throws {
        let engine = makeEngine()
        let started = Counter()
        let rolledBack = Counter()
        let slow = task("slow_child_step") { (_: Int) -> Int in
            started.increment()
            try await Task.sleep(for: .seconds(3600))
            return 1
        }.with(rollback: { _ in rolledBack.increment() })
        let child = workflow("slow_child") { (ctx: ExecutionContext<Int>) in try await slow(ctx.input) }
        let parent = workflow("waiting_parent") { (ctx: ExecutionContext<Int>) in try await call(child, ctx.input) + 1 }
        await engine.register(child.definition)
        await engine.register(parent.definition)
        let record = try await engine.create(workflow: "waiting_parent", input: 1)
        await engine.start(executionID: record.id)
        #expect(await eventually { started.count > 0 })

        let cancelled = try await engine.cancel(executionID: record.id, wait: true)
        #expect(cancelled.record.state == .cancelled)
        #expect(cancelled.events.types.contains(.taskCancelled))
        // The child was cancelled with its parent, its task in flight rolled back, instead of running to its end.
        let children = try await engine.store.listExecutions(ExecutionQuery(workflowName: "slow_child", limit: 10)).executions
        #expect(children.map(\.state) == [.cancelled])
        #expect(rolledBack.count == 1)
    }

    @Test func cancellingAPausedExecution() async throws {
        let engine = makeEngine()
        let wf = workflow("wait_forever") { (ctx: ExecutionContext<NoInput>) in try await pause("never") }
        let ctx = try await wf.run(on: engine)
        let cancelled = try await engine.cancel(executionID: ctx.executionID)
        #expect(cancelled.record.state == .cancelled)
        #expect(cancelled.events.types.suffix(2) == [.workflowCancelling, .workflowCancelled])
    }

    @Test func cancellingAFinishedExecutionIsAClearError() async throws {
        let engine = makeEngine()
        let wf = workflow("quick") { (ctx: ExecutionContext<Int>) in ctx.input }
        let ctx = try await wf.run(1, on: engine)
        await #expect(throws: EngineError.alreadyFinished(executionID: ctx.executionID, state: .completed)) {
            try await engine.cancel(executionID: ctx.executionID)
        }
    }

    @Test func cancelRequestedThroughTheStoreReachesTheOwner() async throws {
        let engine = makeEngine()
        let steps = Counter()
        let asked = Counter()
        // The third step waits until the cancel has been asked, so that however slow the machine, the execution is
        // mid-way when it is; a later step would run an hour, so only the cancellation can end it.
        let step = task("step") { (i: Int) -> Int in
            steps.increment()
            if i == 2 { while asked.count == 0 { try await Task.sleep(for: .milliseconds(5)) } }
            if i > 2 { try await Task.sleep(for: .seconds(3600)) }
            return i
        }
        let wf = workflow("many_steps") { (ctx: ExecutionContext<Int>) -> Int in
            var sum = 0
            for i in 0..<ctx.input { sum += try await step(i) }
            return sum
        }
        await engine.register(wf.definition)
        let record = try await engine.create(workflow: "many_steps", input: 1000)
        await engine.start(executionID: record.id)
        #expect(await eventually { steps.count >= 3 })
        // Another process would only flip the state in the store; the owner notices at its next commit, or else its
        // maintenance does while the next step runs.
        _ = try await engine.store.transition(executionID: record.id, fromStates: [.running], to: .cancelling)
        asked.increment()
        let settled = try await engine.waitUntilSettled(executionID: record.id, timeout: Deadline.event)
        #expect(settled.record.state == .cancelled)
        #expect(steps.count <= 4, "the owner stopped at the step after the cancel, not after the 1,000 steps")
    }
}
