import Flux
import FluxExamples
import FluxStore
import Foundation
import Testing

@Suite("Examples: pause and resume")
struct PauseExamplesTests {
    static let resumeTail: [EventType] = [.workflowResuming, .workflowResumed, .taskResumed]

    @Test func pauseThenResume() async throws {
        let engine = try await makeEngine()
        let paused = try await PauseExample.workflow.run(on: engine)
        #expect(paused.state == .paused)
        #expect(paused.pauseName == "wait_for_approval")
        let beforePause: [EventType] = [.workflowStarted, .taskStarted, .taskStarted, .taskCompleted, .taskCompleted, .taskPaused, .workflowPaused]
        #expect(paused.events.types == beforePause)
        #expect(paused.events.startedTaskNames == ["process_data", "sleep"])
        #expect(try await engine.snapshot(executionID: paused.executionID).pauseOutput == ["result": "Data processed"])

        let done = try await PauseExample.workflow.resume(executionID: paused.executionID, input: "ok", on: engine)
        #expect(done.state == .completed)
        #expect(done.output == "Data processed and approved")
        #expect(done.events.types == beforePause + Self.resumeTail + [.workflowCompleted])
        #expect(done.events.startsByTask.values.allSatisfy { $0 == 1 }, "the tasks that ran before the pause did not run again")

        await #expect(throws: EngineError.notPaused(executionID: paused.executionID, state: .completed)) {
            try await engine.resume(executionID: paused.executionID, input: .null)
        }
    }

    @Test func pauseWithInputUsesTheResumeInput() async throws {
        let engine = try await makeEngine()
        let paused = try await PauseWithInputExample.workflow.run(on: engine)
        #expect(paused.isPaused && paused.pauseName == "waiting_for_user_input")
        #expect(paused.events.types == [.workflowStarted, .taskStarted, .taskCompleted, .taskPaused, .workflowPaused])

        let input: JSONValue = ["multiplier": 5, "comment": "Adding multiplier value"]
        let done = try await PauseWithInputExample.workflow.resume(executionID: paused.executionID, input: input, on: engine)
        #expect(done.state == .completed)
        #expect(done.output == [
            "stage": "processed", "initial_data": ["stage": "initial", "data": [1, 2, 3]],
            "user_input": input, "result": 11,
        ])
        #expect(done.events.types == [.workflowStarted, .taskStarted, .taskCompleted, .taskPaused, .workflowPaused]
            + Self.resumeTail + [.taskStarted, .taskCompleted, .workflowCompleted])
        #expect(done.events.startedTaskNames == ["initial_task", "process_with_input"])
    }

    @Test func pauseWithMultipleInputsCollectsEachInTurn() async throws {
        let engine = try await makeEngine()
        let wf = PauseWithInputExample.multipleInputs
        let inputs: [(String, JSONValue)] = [
            ("collect_config", ["database_url": "localhost:5432", "timeout": 30]),
            ("collect_parameters", ["batch_size": 100, "parallel_workers": 4]),
            ("final_approval", ["approved": true, "approver": "admin"]),
        ]
        var ctx = try await wf.run(on: engine)
        var expected: [EventType] = [.workflowStarted]
        for (name, input) in inputs {
            expected += [.taskPaused, .workflowPaused]
            #expect(ctx.isPaused && ctx.pauseName == name)
            #expect(ctx.events.types == expected)
            ctx = try await wf.resume(executionID: ctx.executionID, input: input, on: engine)
            expected += Self.resumeTail
        }
        #expect(ctx.state == .completed)
        #expect(ctx.events.types == expected + [.workflowCompleted])
        #expect(ctx.output == [
            "stage": "completed",
            "inputs": [
                ["step": 1, "type": "config", "value": inputs[0].1],
                ["step": 2, "type": "parameters", "value": inputs[1].1],
                ["step": 3, "type": "approval", "value": inputs[2].1],
            ],
        ])
    }

    @Test func conditionalPauseWithoutApproval() async throws {
        let engine = try await makeEngine()
        let ctx = try await PauseWithInputExample.conditional.run(["requires_approval": false], on: engine)
        #expect(ctx.state == .completed)
        #expect(ctx.output == ["approved": true, "message": "No approval required"])
        #expect(ctx.events.types == [.workflowStarted, .workflowCompleted])
    }

    @Test(arguments: [true, false])
    func conditionalPauseWithApproval(approved: Bool) async throws {
        let engine = try await makeEngine()
        let paused = try await PauseWithInputExample.conditional.run(["requires_approval": true], on: engine)
        #expect(paused.isPaused && paused.pauseName == "approval_required")
        #expect(paused.events.types == [.workflowStarted, .taskPaused, .workflowPaused])
        let done = try await PauseWithInputExample.conditional.resume(
            executionID: paused.executionID, input: ["approved": .bool(approved), "reason": "reviewed"] as JSONValue, on: engine)
        #expect(done.state == .completed)
        #expect(done.output == ["approved": .bool(approved), "message": "Approval processed"])
        #expect(done.events.types == [.workflowStarted, .taskPaused, .workflowPaused] + Self.resumeTail + [.workflowCompleted])
    }

    @Test func multiplePausePointsStopFiveTimes() async throws {
        let engine = try await makeEngine()
        let wf = MultiplePausePointsExample.workflow
        var ctx = try await wf.run(on: engine)
        // What runs between one pause and the next: init, load, then one chunk before each of the next three pauses.
        let between: [[EventType]] = [
            [.taskStarted, .taskCompleted],   // init_process
            [.taskStarted, .taskCompleted],   // load_data
            [.taskStarted, .taskCompleted],   // process_chunk 1
            [.taskStarted, .taskCompleted],   // process_chunk 2
            [.taskStarted, .taskCompleted],   // process_chunk 3
        ]
        var expected: [EventType] = [.workflowStarted]
        for (i, name) in MultiplePausePointsExample.pauseNames.enumerated() {
            expected += between[i] + [.taskPaused, .workflowPaused]
            #expect(ctx.isPaused && ctx.pauseName == name)
            #expect(ctx.events.types == expected)
            ctx = try await wf.resume(executionID: ctx.executionID, input: ["ok": .int(i)] as JSONValue, on: engine)
            expected += Self.resumeTail
        }
        #expect(ctx.state == .completed)
        #expect(ctx.events.types == expected + [.workflowCompleted])
        #expect(ctx.output == [
            "stage": "complete", "status": "complete", "data_size": 1000, "current_chunk": 3, "chunks_processed": 3,
            "message": "Workflow completed successfully",
        ])
        #expect(ctx.events.startedTaskNames == ["init_process", "load_data", "process_chunk", "process_chunk", "process_chunk"])
        #expect(ctx.events.of(.taskPaused).compactMap { $0.value["name"]?.stringValue } == MultiplePausePointsExample.pauseNames)
    }
}
