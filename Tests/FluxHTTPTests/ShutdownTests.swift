import FluxCore
import Foundation
import Testing

/// SIGTERM: the server closes open streams and waiting requests at once and exits; what was running is
/// recovered by the next start in the same directory.
@Suite struct ShutdownTests {
    @Test func sigtermWithAnOpenStreamExitsFastAndTheExecutionFinishesAfterRestart() async throws {
        let server = try await ServerProcess()
        try await server.register(sleepDocument(name: "slow", seconds: 3))
        // An open SSE stream on a running execution.
        let stream = Task { try await server.post("/workflows/slow/run/stream") }
        let executions = try await pollExecutions(server, until: { $0.contains { $0["state"] == "RUNNING" } })
        let id = try #require(executions.first?["execution_id"]?.stringValue)
        // And a sync request that waits for another execution.
        let sync = Task { try await server.post("/workflows/slow/run/sync") }
        try await Task.sleep(for: .milliseconds(300))

        let (status, elapsed) = try await server.stop()
        #expect(status == 0, "\(server.stderr)")
        #expect(elapsed < .seconds(2), "shutdown took \(elapsed); the promise is 2 s")
        // The stream was ended by the server (it saw the start of the run, not its end).
        let streamed = try await stream.value
        let frames = parseSSE(streamed.text).frames
        #expect(frames.first?.event == "slow.execution.created")
        #expect(!frames.contains { $0.event == "slow.execution.completed" })
        // The waiting sync request was answered, not dropped.
        let reply = try await sync.value
        #expect(reply.status == 503, "\(reply.text)")
        #expect(reply.json["error"]?["message"]?.stringValue?.contains("shutting down") == true)

        // The next start recovers the execution and runs it to its end.
        try await server.start()
        #expect(server.stderr.contains("recovered"), "\(server.stderr)")
        let finished = try await server.waitForExecution(id) { $0["state"] == "COMPLETED" }
        #expect(finished["output"] == "slept")
        try await server.stop()
    }

    @Test func sigtermWhenIdleExitsAtOnce() async throws {
        let server = try await ServerProcess()
        #expect(try await server.get("/health").status == 200)
        let (status, elapsed) = try await server.stop()
        #expect(status == 0)
        #expect(elapsed < .seconds(2), "SIGTERM did not wait for anything: \(elapsed)")
        #expect(server.stderr.contains("stopped"))
    }

    func pollExecutions(_ server: ServerProcess, until done: ([JSONValue]) -> Bool) async throws -> [JSONValue] {
        let deadline = ContinuousClock.now + .seconds(20)
        while ContinuousClock.now < deadline {
            let list = try await server.get("/executions").json["executions"]?.arrayValue ?? []
            if done(list) { return list }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw TestFailure("the executions never reached the expected state")
    }
}
