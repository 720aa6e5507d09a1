import Flux
import FluxExamples
import FluxStore
import Foundation
import Testing

@Suite("Examples: task options")
struct TaskOptionExamplesTests {
    @Test func taskCacheStoresTheResult() async throws {
        let engine = try await makeEngine()
        let ctx = try await TaskCacheExample.workflow.run([2, 3, 3], on: engine)
        #expect(ctx.state == .completed)
        #expect(ctx.output == [6, 6, 6])
        #expect(ctx.events.types == [.workflowStarted, .taskStarted, .taskCompleted, .taskStarted, .taskCompleted,
                                     .taskStarted, .taskCompleted, .workflowCompleted])
        #expect(Set(ctx.events.of(.taskStarted).map(\.sourceID)).count == 3, "three calls, three task ids")
        let key = TaskIdentity.contentID(name: "multiply", arguments: [2, 3])
        #expect(try await engine.store.cachedValue(key: key) == 6)
    }

    @Test func taskCacheAnswersWithoutRunningTheBody() async throws {
        let engine = try await makeEngine()
        // A value no multiplication gives: if it comes back, the body did not run.
        try await engine.store.storeCachedValue(42, key: TaskIdentity.contentID(name: "multiply", arguments: [2, 3]))
        let ctx = try await TaskCacheExample.workflow.run([2, 3, 2], on: engine)
        #expect(ctx.output == [42, 42])
        #expect(ctx.events.types == [.workflowStarted, .taskStarted, .taskCompleted, .taskStarted, .taskCompleted, .workflowCompleted])
        let other = try await TaskCacheExample.workflow.run([4, 5, 1], on: engine)
        #expect(other.output == [20])
    }

    @Test func taskFallback() async throws {
        let engine = try await makeEngine()
        let ctx = try await TaskFallbackExample.workflow.run(on: engine)
        #expect(ctx.state == .completed)
        #expect(ctx.output == ["fallback for task #1", "task #2 succeeded", "fallback for task #3", "task #4 succeeded"])
        let fellBack: [EventType] = [.taskStarted, .taskFallbackStarted, .taskFallbackCompleted, .taskCompleted]
        let succeeded: [EventType] = [.taskStarted, .taskCompleted]
        #expect(ctx.events.types == [.workflowStarted] + fellBack + succeeded + fellBack + succeeded + [.workflowCompleted])
    }

    @Test func taskFallbackAfterRetry() async throws {
        let engine = try await makeEngine()
        let ctx = try await TaskFallbackAfterRetryExample.workflow.run(on: engine)
        #expect(ctx.state == .completed)
        #expect(ctx.output == ["fallback for bad_task #1 succeed", "bad_task #2 succeed"])
        #expect(ctx.events.types == [
            .workflowStarted,
            .taskStarted, .taskRetryStarted, .taskRetryFailed, .taskRetryStarted, .taskRetryFailed,
            .taskFallbackStarted, .taskFallbackCompleted, .taskCompleted,
            .taskStarted, .taskCompleted,
            .workflowCompleted,
        ])
        #expect(ctx.events.of(.taskRetryStarted).compactMap { $0.value["current_delay"]?.doubleValue } == [0.01, 0.02])
    }

    /// That the 5 s bodies are cut off at the timeout, not waited for, is FluxCoreTests' (TaskOptionsTests), with
    /// bodies that would run an hour: here the events show each timeout answered by its fallback.
    @Test func taskFallbackAfterTimeout() async throws {
        let engine = try await makeEngine()
        let ctx = try await TaskFallbackAfterTimeoutExample.workflow.run(on: engine)
        #expect(ctx.state == .completed)
        #expect(ctx.output == ["Task #1 fellback.", "Task #2 succeed.", "Task #3 fellback."])
        let fellBack: [EventType] = [.taskStarted, .taskFallbackStarted, .taskFallbackCompleted, .taskCompleted]
        #expect(ctx.events.types == [.workflowStarted] + fellBack + [.taskStarted, .taskCompleted] + fellBack + [.workflowCompleted])
    }

    @Test func taskMap() async throws {
        let engine = try await makeEngine()
        let ctx = try await TaskMapExample.workflow.run(10, on: engine)
        #expect(ctx.state == .completed)
        #expect(ctx.output == 10)
        let types = ctx.events.types
        #expect(types.first == .workflowStarted && types.last == .workflowCompleted && types.count == 22)
        #expect(ctx.events.typesByTask.count == 10)
        #expect(ctx.events.typesByTask.values.allSatisfy { $0 == [.taskStarted, .taskCompleted] })
        #expect(Set(ctx.events.of(.taskStarted).map(\.value)) == Set((0..<10).map { JSONValue.int($0) }))
        #expect(Set(ctx.events.of(.taskCompleted).map(\.value)) == Set((0..<10).map { k in JSONValue.array((0...k).map { .int($0) }) }))

        let none = try await TaskMapExample.workflow.run(0, on: engine)
        #expect(none.output == 0)
        #expect(none.events.types == [.workflowStarted, .workflowCompleted])
        let negative = try await TaskMapExample.workflow.run(-1, on: engine)
        #expect(negative.state == .failed)
    }

    @Test func taskRetriesUntilSuccess() async throws {
        let engine = try await makeEngine()
        let ctx = try await TaskRetriesExample.workflow.run(nil, on: engine)
        #expect(ctx.state == .completed)
        #expect(ctx.output == ["task #1 succeeded on attempt 2", "task #2 succeeded on attempt 0"])
        #expect(ctx.events.types == [
            .workflowStarted,
            .taskStarted, .taskRetryStarted, .taskRetryFailed, .taskRetryStarted, .taskRetryCompleted, .taskCompleted,
            .taskStarted, .taskCompleted,
            .workflowCompleted,
        ])
        #expect(ctx.events.of(.taskRetryStarted).compactMap { $0.value["current_delay"]?.doubleValue } == [0.01, 0.02],
                "exponential backoff: 0.01 s, then 0.02 s")
    }

    @Test func taskRetriesExhausted() async throws {
        let engine = try await makeEngine()
        let ctx = try await TaskRetriesExample.workflow.run(4, on: engine)
        #expect(ctx.state == .failed)
        #expect(ctx.events.types == [
            .workflowStarted,
            .taskStarted, .taskRetryStarted, .taskRetryFailed, .taskRetryStarted, .taskRetryFailed, .taskRetryStarted, .taskRetryFailed,
            .taskFailed, .workflowFailed,
        ])
        #expect(ctx.errorMessage?.contains("task #1 failed on attempt 3") == true)
    }

    @Test func taskRollback() async throws {
        let engine = try await makeEngine()
        let ctx = try await TaskRollbackExample.workflow.run(on: engine)
        #expect(ctx.state == .failed)
        #expect(ctx.events.types == [
            .workflowStarted,
            .taskStarted, .taskCompleted, .taskStarted, .taskCompleted,
            .taskStarted, .taskRollbackStarted, .taskRollbackCompleted, .taskFailed,
            .workflowFailed,
        ])
        #expect(ctx.events.of(.taskRollbackStarted).first?.value == ["number": 3, "should_fail": true], "the rollback gets the task's arguments")
        #expect(ctx.errorMessage?.contains("task #3 failed") == true)
    }

    /// That the 10 s body is cut off at the timeout, not waited for, is FluxCoreTests' (TaskOptionsTests).
    @Test func taskTimeout() async throws {
        let engine = try await makeEngine()
        let ctx = try await TaskTimeoutExample.workflow.run(on: engine)
        #expect(ctx.state == .failed)
        #expect(ctx.events.types == [.workflowStarted, .taskStarted, .taskFailed, .workflowFailed])
        #expect(ctx.events.of(.taskFailed).first?.value["type"] == "TaskTimeoutError")
        #expect(ctx.errorMessage?.contains("timed out after 0.1 s") == true)
    }

    @Test func taskNestedTimeout() async throws {
        let engine = try await makeEngine()
        let ctx = try await TaskTimeoutExample.nested.run(on: engine)
        #expect(ctx.state == .failed)
        #expect(ctx.events.types == [.workflowStarted, .taskStarted, .taskStarted, .taskFailed, .taskFailed, .workflowFailed])
        #expect(ctx.events.startedTaskNames == ["nested_task", "long_task"])
        #expect(ctx.events.of(.taskFailed).map(\.name) == ["long_task", "nested_task"])
        #expect(ctx.events.of(.taskFailed).first?.value["type"] == "TaskTimeoutError")
        #expect(ctx.errorMessage?.contains("timed out") == true)
    }
}
