import FluxCore
import Foundation
import Testing

@Suite("Background executions")
struct BackgroundExecutionTests {
    @Test func atMostTheConfiguredNumberRunAtOnceAndAllFinish() async throws {
        let engine = FluxEngine(store: InMemoryStore(), configuration: EngineConfiguration(maxConcurrentExecutions: 2))
        let gauge = Counter()
        let work = task("work") { (i: Int) -> Int in
            gauge.enter()
            defer { gauge.leave() }
            try await Task.sleep(for: .milliseconds(20))
            return i
        }
        let wf = workflow("limited") { (ctx: ExecutionContext<Int>) in try await work(ctx.input) }
        await engine.register(wf.definition)
        var ids: [String] = []
        for i in 0..<6 {
            let record = try await engine.create(workflow: "limited", input: .int(i))
            await engine.start(executionID: record.id)
            ids.append(record.id)
        }
        for (i, id) in ids.enumerated() {
            let done = try await engine.waitUntilSettled(executionID: id, timeout: Deadline.event)
            #expect(done.record.state == .completed && done.record.output == .int(i))
        }
        #expect(gauge.maxConcurrent <= 2)
    }

    @Test func asyncResumeReturnsAtOnceInResuming() async throws {
        let engine = makeEngine()
        let wf = workflow("resumable") { (ctx: ExecutionContext<NoInput>) in try await pause("gate") }
        let paused = try await wf.run(on: engine)
        let resuming = try await engine.resumeInBackground(executionID: paused.executionID, input: "go")
        #expect(resuming.record.state == .resuming)
        let done = try await engine.waitUntilSettled(executionID: paused.executionID, timeout: Deadline.event)
        #expect(done.record.state == .completed && done.record.output == "go")
    }
}
