import Flux
import FluxExamples
import FluxStore
import Foundation
import Testing

@Suite("Examples: basics")
struct BasicExamplesTests {
    @Test func helloWorld() async throws {
        let engine = try await makeEngine()
        let ctx = try await HelloWorldExample.workflow.run("World", on: engine)
        #expect(ctx.state == .completed)
        #expect(ctx.output == "Hello, World")
        #expect(ctx.events.types == [.workflowStarted, .taskStarted, .taskCompleted, .workflowCompleted])
        #expect(ctx.events.startedTaskNames == ["say_hello"])
    }

    @Test func helloWorldWithoutInputFails() async throws {
        let engine = try await makeEngine()
        let empty = try await HelloWorldExample.workflow.run("", on: engine)
        #expect(empty.state == .failed)
        #expect(empty.events.types == [.workflowStarted, .workflowFailed])
        #expect(empty.errorMessage?.contains("input not provided") == true)
        // A JSON null is not a name either: the input does not decode, and the execution fails.
        let null = try await engine.run(workflow: "hello_world", input: .null)
        #expect(null.record.state == .failed)
        #expect(null.events.types == [.workflowStarted, .workflowFailed])
    }

    @Test func parallelTasks() async throws {
        let engine = try await makeEngine()
        let ctx = try await ParallelTasksExample.workflow.run("Joe", on: engine)
        #expect(ctx.state == .completed)
        #expect(ctx.output == ["Hi, Joe", "Hello, Joe", "Ola, Joe", "Hola, Joe"], "results in the order of the branches")
        // The branches interleave as they are scheduled; each task's own events are in order.
        let types = ctx.events.types
        #expect(types.first == .workflowStarted && types.last == .workflowCompleted && types.count == 10)
        #expect(Set(ctx.events.startedTaskNames) == ["say_hi", "say_hello", "diga_ola", "saluda"])
        #expect(ctx.events.typesByTask.count == 4)
        #expect(ctx.events.typesByTask.values.allSatisfy { $0 == [.taskStarted, .taskCompleted] })
    }

    @Test func simplePipeline() async throws {
        let engine = try await makeEngine()
        let ctx = try await SimplePipelineExample.workflow.run(5, on: engine)
        #expect(ctx.state == .completed)
        #expect(ctx.output == 169, "((5 * 2) + 3)² = 169")
        #expect(ctx.events.types == [.workflowStarted, .taskStarted, .taskCompleted, .taskStarted, .taskCompleted,
                                     .taskStarted, .taskCompleted, .workflowCompleted])
        #expect(ctx.events.startedTaskNames == ["multiply_by_two", "add_three", "square"])
        #expect(ctx.events.of(.taskCompleted).map(\.value) == [10, 13, 169])

        let zero = try await SimplePipelineExample.workflow.run(0, on: engine)
        #expect(zero.state == .failed)
        #expect(zero.events.types == [.workflowStarted, .workflowFailed])
    }

    @Test func nestedTasks() async throws {
        let engine = try await makeEngine()
        let ctx = try await NestedTasksExample.workflow.run(on: engine)
        #expect(ctx.state == .completed)
        #expect(ctx.output == ["first": "result", "second": ["result", "third"], "three_levels": ["three_levels", "result", "third"]])
        #expect(ctx.events.types == [
            .workflowStarted,
            .taskStarted, .taskStarted, .taskCompleted, .taskCompleted,                                   // first → third
            .taskStarted, .taskStarted, .taskCompleted, .taskCompleted,                                   // second → third
            .taskStarted, .taskStarted, .taskStarted, .taskCompleted, .taskCompleted, .taskCompleted,     // three_levels → second → third
            .workflowCompleted,
        ])
        #expect(ctx.events.startedTaskNames == ["first_task", "third_task", "second_task", "third_task",
                                                "three_levels_task", "second_task", "third_task"])
        // An inner call's id names its parent, so the three calls of third_task are three tasks.
        let thirdIDs = ctx.events.of(.taskStarted).filter { $0.name == "third_task" }.map(\.sourceID)
        #expect(Set(thirdIDs).count == 3)
        #expect(thirdIDs.allSatisfy { $0.contains("@") })
    }

    @Test func determinismReplaysTheRecordedValues() async throws {
        let engine = try await makeEngine()
        let ctx = try await DeterminismExample.workflow.run(on: engine)
        #expect(ctx.state == .completed)
        let draw = try ctx.output(as: DeterminismExample.Draw.self)
        #expect((1...5).contains(draw.randint))
        #expect((1..<10).contains(draw.randrange))
        #expect(DeterminismExample.colours.contains(draw.choice))
        #expect(UUID(uuidString: draw.uuid) != nil)
        #expect(draw.elapsed >= 0 && draw.elapsed < 600, "a time difference in seconds, not in another unit")
        let expected: [EventType] = [.workflowStarted] + completedTasks(6) + [.workflowCompleted]
        #expect(ctx.events.types == expected)
        #expect(ctx.events.startedTaskNames == ["now", "uuid4", "randint", "randrange", "choice", "now"])

        // Crash just before WORKFLOW_COMPLETED: the replay gets every built-in's recorded value back.
        let snapshot = try await engine.snapshot(executionID: ctx.executionID)
        let (replayed, _) = try await replayAfterSimulatedCrash(snapshot, keeping: snapshot.events.count - 1)
        #expect(replayed.record.state == .completed)
        #expect(replayed.record.output == ctx.output)
        #expect(replayed.events.types == ctx.events.types, "nothing ran again: only WORKFLOW_COMPLETED was added")
    }

    @Test func sleepIsDurable() async throws {
        let engine = try await makeEngine()
        let start = ContinuousClock.now
        let ctx = try await SleepExample.workflow.run(on: engine)
        #expect(ContinuousClock.now - start >= .milliseconds(500))
        #expect(ctx.state == .completed)
        #expect(ctx.output == "awake")
        #expect(ctx.events.types == [.workflowStarted, .taskStarted, .taskCompleted, .taskStarted, .taskCompleted,
                                     .taskStarted, .taskCompleted, .workflowCompleted])
        let started = ctx.events.of(.taskStarted)
        #expect(started.map(\.name) == ["sleep", "sleep", "sleep"])
        #expect(started.compactMap { $0.value["seconds"]?.doubleValue } == SleepExample.durations)
        #expect(started.allSatisfy { $0.value["until"]?.stringValue.flatMap(Timestamp.parse) != nil })

        // Crash during the second sleep, after its wake-up time: the recovered execution keeps the
        // recorded wake-up time (no second TASK_STARTED), so it does not sleep that one again, and
        // sleeps the third in full.
        let snapshot = try await engine.snapshot(executionID: ctx.executionID)
        let (replayed, took) = try await replayAfterSimulatedCrash(snapshot, keeping: 4)
        #expect(replayed.record.state == .completed)
        #expect(replayed.events.types == ctx.events.types)
        #expect(replayed.events.of(.taskStarted).count == 3, "no new TASK_STARTED for the second sleep: its recorded wake-up time was kept")
        #expect(took >= .milliseconds(170), "the third sleep ran in full")
    }

    @Test(arguments: [("Joe", ["get_name", "say_hello"], "Hello, Joe"),
                      ("   ", ["get_name", "default_name", "say_hello"], "Hello, World")])
    func simpleGraphFollowsItsConditionalEdge(input: String, path: [String], output: String) async throws {
        let engine = try await makeEngine()
        let ctx = try await SimpleGraphExample.workflow.run(input, on: engine)
        #expect(ctx.state == .completed)
        #expect(ctx.output == .string(output))
        #expect(ctx.events.startedTaskNames == path)
        let expected: [EventType] = [.workflowStarted] + completedTasks(path.count) + [.workflowCompleted]
        #expect(ctx.events.types == expected)
    }

    @Test func fiboBenchmarkNamesATaskPerIteration() async throws {
        let engine = try await makeEngine()
        let ctx = try await FiboBenchmarkExample.workflow.run([10, 20], on: engine)
        #expect(ctx.state == .completed)
        let output = try ctx.output(as: [String: Int].self)
        #expect(output == Dictionary(uniqueKeysWithValues: (0..<10).map { ("Iteration #\($0)", 6765) }))
        #expect(ctx.events.startedTaskNames == (0..<10).map { "sum_fibo_\($0)" })
        let expected: [EventType] = [.workflowStarted] + completedTasks(10) + [.workflowCompleted]
        #expect(ctx.events.types == expected)

        let invalid = try await FiboBenchmarkExample.workflow.run([1], on: engine)
        #expect(invalid.state == .failed)
    }

    @Test func subflowsCallAChildWorkflowPerRepository() async throws {
        let engine = try await makeEngine()
        let repos = ["python/cpython", "microsoft/vscode"]
        let ctx = try await SubflowsExample.workflow.run(repos, on: engine)
        #expect(ctx.state == .completed)
        #expect(ctx.output == ["python/cpython": 66_000, "microsoft/vscode": 170_000])
        #expect(ctx.events.types == [.workflowStarted, .taskStarted, .taskCompleted, .taskStarted, .taskCompleted, .workflowCompleted])
        #expect(ctx.events.startedTaskNames == ["call_get_stars", "call_get_stars"])
        let children = try await engine.store.listExecutions(ExecutionQuery(workflowName: "get_stars")).executions
        #expect(children.count == 2)
        #expect(children.allSatisfy { $0.state == .completed })
        #expect(Set(children.map(\.output)) == [66_000, 170_000])
        for child in children {
            let events = try await engine.snapshot(executionID: child.id).events
            #expect(events.types == [.workflowStarted, .taskStarted, .taskCompleted, .workflowCompleted])
        }
    }

    @Test func subflowsFailWhenAChildFails() async throws {
        let engine = try await makeEngine()
        let ctx = try await SubflowsExample.workflow.run(["python/cpython", "nobody/nothing"], on: engine)
        #expect(ctx.state == .failed)
        #expect(ctx.events.types == [.workflowStarted, .taskStarted, .taskCompleted, .taskStarted, .taskFailed, .workflowFailed])
        #expect(ctx.errorMessage?.contains("nobody/nothing") == true)
        let failed = try await engine.store.listExecutions(ExecutionQuery(workflowName: "get_stars", state: .failed)).executions
        #expect(failed.count == 1)

        let empty = try await SubflowsExample.workflow.run([], on: engine)
        #expect(empty.state == .failed)
        #expect(empty.errorMessage?.contains("cannot be empty") == true)
    }

    @Test func everyExampleIsRegisteredByName() {
        let names = Examples.all.map(\.name)
        #expect(Set(names).count == names.count, "no two example workflows share a name")
        for name in ["hello_world", "parallel_tasks", "simple_pipeline", "nested_tasks", "determinism", "sleep", "pause",
                     "pause_with_input", "pause_with_multiple_inputs", "conditional_pause", "multiple_pause_points",
                     "cancellation", "simple_graph", "task_cache", "task_fallback", "task_fallback_after_retry",
                     "task_fallback_after_timeout", "task_map", "task_retries", "task_rollback", "task_timeout",
                     "task_nested_timeout", "using_secrets", "fibo_benchmark", "subflows", "get_stars"] {
            #expect(Examples.workflow(named: name) != nil, "\(name) is registered")
        }
        for example in Examples.catalog {
            #expect((try? JSONValue(parsing: example.sampleInput)) != nil, "\(example.name)'s sample input is JSON")
        }
    }
}
