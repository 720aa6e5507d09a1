import FluxCore
import Foundation
import Testing

@Suite("Replay, pause and resume")
struct ReplayAndPauseTests {
    @Test func pauseStopsAndResumeContinuesWithoutRerunningCompletedTasks() async throws {
        let engine = makeEngine()
        let calls = Counter()
        let prepare = task("prepare") { (x: Int) -> Int in calls.increment(); return x * 2 }
        let wf = workflow("approve") { (ctx: ExecutionContext<Int>) -> JSONValue in
            let doubled = try await prepare(ctx.input)
            let answer = try await pause("approval", output: ["doubled": .int(doubled)])
            return ["doubled": .int(doubled), "answer": answer]
        }
        let paused = try await wf.run(21, on: engine)
        #expect(paused.state == .paused && paused.isPaused)
        #expect(paused.pauseName == "approval")
        #expect(paused.events.types.suffix(2) == [.taskPaused, .workflowPaused])
        #expect(paused.events.of(.taskPaused).first?.value["output"] == ["doubled": 42])
        let resumed = try await wf.resume(executionID: paused.executionID, input: "yes", on: engine)
        #expect(resumed.state == .completed)
        #expect(resumed.output == ["doubled": 42, "answer": "yes"])
        #expect(calls.count == 1)
        let types = resumed.events.types
        #expect(types.contains(.workflowResuming) && types.contains(.workflowResumed) && types.contains(.taskResumed))
        #expect(resumed.events.of(.taskStarted).count == 1, "TASK_STARTED is recorded once per call")
    }

    @Test func severalPausePointsStopInTurn() async throws {
        let engine = makeEngine()
        let wf = workflow("five_pauses") { (ctx: ExecutionContext<NoInput>) -> [JSONValue] in
            var answers: [JSONValue] = []
            for i in 1...5 { answers.append(try await pause("step_\(i)")) }
            return answers
        }
        var ctx = try await wf.run(on: engine)
        for i in 1...5 {
            #expect(ctx.isPaused && ctx.pauseName == "step_\(i)")
            ctx = try await wf.resume(executionID: ctx.executionID, input: i * 10, on: engine)
        }
        #expect(ctx.state == .completed)
        #expect(ctx.output == [10, 20, 30, 40, 50])
    }

    @Test func resumingAnExecutionThatIsNotPausedIsAClearError() async throws {
        let engine = makeEngine()
        let wf = workflow("done") { (ctx: ExecutionContext<Int>) in ctx.input }
        let ctx = try await wf.run(1, on: engine)
        await #expect(throws: EngineError.notPaused(executionID: ctx.executionID, state: .completed)) {
            try await engine.resume(executionID: ctx.executionID, input: 1)
        }
    }

    @Test func recordedFailureIsReraisedOnReplayNotReturned() async throws {
        let engine = makeEngine()
        let attempts = Counter()
        struct Nope: Error {}
        let flaky = task("flaky") { (_: Int) -> Int in attempts.increment(); throw Nope() }
        let wf = workflow("catching") { (ctx: ExecutionContext<Int>) -> String in
            var caught = "none"
            do { _ = try await flaky(ctx.input) } catch let error as TaskFailedError { caught = error.taskName }
            _ = try await pause("wait")
            return caught
        }
        let paused = try await wf.run(1, on: engine)
        #expect(paused.isPaused)
        let done = try await wf.resume(executionID: paused.executionID, input: JSONValue.null, on: engine)
        #expect(done.output == "flaky", "the replayed failure is thrown again, so the catch runs again")
        #expect(attempts.count == 1, "the failed task is not run again on replay")
    }

    @Test func builtinsReplayToTheirRecordedValues() async throws {
        let engine = makeEngine()
        let wf = workflow("determinism") { (ctx: ExecutionContext<NoInput>) -> JSONValue in
            let t = try await now()
            let id = try await uuid4()
            let pick = try await choice(["a", "b", "c", "d", "e", "f"])
            let n = try await randint(1, 1_000_000)
            let r = try await randrange(0, 1_000_000, step: 7)
            let first: JSONValue = [.string(Timestamp.format(t)), .string(id), .string(pick), .int(n), .int(r)]
            let echoed = try await pause("check", output: first)
            return ["first": first, "echoed": echoed]
        }
        let paused = try await wf.run(on: engine)
        let recorded = try #require(paused.events.of(.taskPaused).first?.value["output"])
        #expect(recorded[4]?.intValue.map { $0 % 7 == 0 } == true)
        let done = try await wf.resume(executionID: paused.executionID, input: recorded, on: engine)
        #expect(done.output["first"] == recorded, "after replay every built-in returned what it returned the first time")
    }

    @Test func durableSleepRecordsItsWakeUpTime() async throws {
        let engine = makeEngine()
        let wf = workflow("sleepy") { (ctx: ExecutionContext<Double>) -> String in
            try await sleep(seconds: ctx.input)
            return "awake"
        }
        let start = ContinuousClock.now
        let ctx = try await wf.run(0.2, on: engine)
        #expect(ContinuousClock.now - start >= .milliseconds(190))
        #expect(ctx.output == "awake")
        let started = try #require(ctx.events.of(.taskStarted).first)
        #expect(started.name == "sleep" && started.value["until"]?.stringValue != nil)
    }
}
