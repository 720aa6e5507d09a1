import FluxCore
import Foundation
import Testing

@Suite("Engine basics")
struct EngineBasicsTests {
    let sayHello = task("say_hello") { (name: String) in "Hello, \(name)" }

    @Test func helloWorldCompletesWithEventSequence() async throws {
        let engine = makeEngine()
        let hello = workflow("hello_world") { (ctx: ExecutionContext<String>) in try await sayHello(ctx.input) }
        let ctx = try await hello.run("World", on: engine)
        #expect(ctx.state == .completed)
        #expect(ctx.hasSucceeded && ctx.hasFinished && !ctx.hasFailed && !ctx.isPaused && !ctx.isCancelled)
        #expect(ctx.output == "Hello, World")
        #expect(ctx.events.types == [.workflowStarted, .taskStarted, .taskCompleted, .workflowCompleted])
        #expect(ctx.events[0].sourceID == "hello_world_\(ctx.executionID)")
        #expect(ctx.events[1].sourceID == "say_hello_fc014817e2626b6f")
        #expect(ctx.executionID.count == 32)
        let stored = try #require(try await engine.store.execution(id: ctx.executionID))
        #expect(stored.state == .completed && stored.output == "Hello, World" && stored.owner == nil)
        #expect(try await engine.store.events(executionID: ctx.executionID, after: 0).count == 4)
    }

    @Test func eventsCarryIdsTimesAndSequences() async throws {
        let engine = makeEngine()
        let hello = workflow("hello_world") { (ctx: ExecutionContext<String>) in try await sayHello(ctx.input) }
        let ctx = try await hello.run("World", on: engine)
        #expect(ctx.events.map(\.sequence) == [1, 2, 3, 4])
        #expect(Set(ctx.events.map(\.id)).count == 4)
        let json = ctx.events[2].json
        #expect(json["type"] == "TASK_COMPLETED" && json["value"] == "Hello, World" && json["name"] == "say_hello")
        #expect(json["time"]?.stringValue?.hasSuffix("Z") == true)
    }

    @Test func taskIDsAreContentHashesStableAcrossProcesses() {
        // Expected values computed independently (Python hashlib over the canonical JSON).
        #expect(TaskIdentity.contentID(name: "say_hello", arguments: "World") == "say_hello_fc014817e2626b6f")
        #expect(TaskIdentity.contentID(name: "square", arguments: 3) == "square_6d61d92ad288df26")
        #expect(TaskIdentity.contentID(name: "say_hello", arguments: ["World"]) == "say_hello_01d9498f2249a81c")
    }

    @Test func identicalCallsInOneRunAreDistinctTasks() async throws {
        let engine = makeEngine()
        let calls = Counter()
        let roll = task("roll") { (n: Int) -> Int in calls.increment(); return n }
        let wf = workflow("twice") { (ctx: ExecutionContext<Int>) in
            [try await roll(ctx.input), try await roll(ctx.input)]
        }
        let ctx = try await wf.run(7, on: engine)
        #expect(ctx.output == [7, 7])
        #expect(calls.count == 2)
        let ids = ctx.events.of(.taskCompleted).map(\.sourceID)
        #expect(ids.count == 2 && ids[1] == ids[0] + "~2")
    }

    @Test func failingWorkflowRecordsTypedError() async throws {
        struct Boom: Error, CustomStringConvertible { var description: String { "boom" } }
        let engine = makeEngine()
        let explode = task("explode") { (_: Int) -> Int in throw Boom() }
        let wf = workflow("fails") { (ctx: ExecutionContext<Int>) in try await explode(ctx.input) }
        let ctx = try await wf.run(1, on: engine)
        #expect(ctx.state == .failed && ctx.hasFailed)
        #expect(ctx.events.types == [.workflowStarted, .taskStarted, .taskFailed, .workflowFailed])
        #expect(ctx.output["type"] == "TaskFailedError" || ctx.output["type"] == "Boom")
        #expect(ctx.errorMessage?.contains("boom") == true)
    }

    @Test func unknownWorkflowAndExecutionAreClearErrors() async throws {
        let engine = makeEngine()
        await #expect(throws: EngineError.workflowNotFound("nope")) { try await engine.run(workflow: "nope", input: .null) }
        await #expect(throws: EngineError.executionNotFound("x")) { try await engine.snapshot(executionID: "x") }
    }

    @Test func taskCalledOutsideAWorkflowJustRuns() async throws {
        #expect(try await sayHello("you") == "Hello, you")
    }

    @Test func invalidInputFailsTheExecutionWithAMessage() async throws {
        let engine = makeEngine()
        let wf = workflow("typed") { (ctx: ExecutionContext<Int>) in ctx.input + 1 }
        await engine.register(wf.definition)
        let snapshot = try await engine.run(workflow: "typed", input: "not a number")
        #expect(snapshot.record.state == .failed)
        #expect(snapshot.record.output["message"]?.stringValue?.contains("Int") == true)
    }
}
