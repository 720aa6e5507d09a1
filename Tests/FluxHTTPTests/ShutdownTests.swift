import FluxCore
import Foundation
import Testing

/// SIGTERM: the server closes open streams and waiting requests at once and exits; what was running is
/// recovered by the next start in the same directory.
///
/// How long the exit takes is a figure for a benchmark, not a verdict here: the executions below sleep an hour, so a
/// server that waited for them (or for their streams) would never exit within ``Deadline/exit``, and a stream or sync
/// request that saw them end would show it.
@Suite struct ShutdownTests {
    @Test func sigtermWithAnOpenStreamExitsAndTheExecutionsFinishAfterRestart() async throws {
        let server = try await ServerProcess()
        try await server.register(sleepDocument(name: "slow", seconds: 3600))
        try await server.register(sleepDocument(name: "nap", seconds: 5))
        // An open SSE stream on a running execution.
        let stream = Task { try await server.post("/workflows/slow/run/stream") }
        let streamed = try await pollExecutions(server) { $0.contains { $0["state"] == "RUNNING" } }
        let streamedID = try #require(streamed.first?["execution_id"]?.stringValue)
        // A sync request that waits for another execution, once it runs.
        let sync = Task { try await server.post("/workflows/slow/run/sync") }
        _ = try await pollExecutions(server) { list in list.filter { $0["state"] == "RUNNING" }.count == 2 }
        // And a short execution, for the restart to run to its end (still sleeping at the SIGTERM, unless this
        // machine is very slow; either way it must complete).
        let nap = try await server.post("/workflows/nap/run/async")
        let napID = try #require(nap.json["execution_id"]?.stringValue, "\(nap.text)")
        _ = try await server.waitForExecution(napID) { $0["state"] == "RUNNING" }

        let (status, elapsed) = try await server.stop()
        #expect(status == 0, "\(server.stderr)")
        print("the server exited \(elapsed) after SIGTERM, with two open requests")
        // The stream was ended by the server (it saw the start of the run, not its end).
        let frames = parseSSE(try await stream.value.text).frames
        #expect(frames.first?.event == "slow.execution.created")
        #expect(!frames.contains { $0.event == "slow.execution.completed" })
        // The waiting sync request was answered, not dropped.
        let reply = try await sync.value
        #expect(reply.status == 503, "\(reply.text)")
        #expect(reply.json["error"]?["message"]?.stringValue?.contains("shutting down") == true)

        // The next start recovers what was running and runs it on.
        try await server.start()
        #expect(server.stderr.contains("recovered"), "\(server.stderr)")
        let finished = try await server.waitForExecution(napID) { $0["state"] == "COMPLETED" }
        #expect(finished["output"] == "slept")
        let cancelled = try await server.post("/workflows/slow/cancel/\(streamedID)?mode=sync")
        #expect(cancelled.json["state"] == "CANCELLED", "the recovered execution runs in the new process: \(cancelled.text)")
        try await server.stop()
    }

    @Test func sigtermWhenIdleExits() async throws {
        let server = try await ServerProcess()
        #expect(try await server.get("/health").status == 200)
        let (status, elapsed) = try await server.stop()
        #expect(status == 0)
        #expect(server.stderr.contains("stopped"))
        print("the idle server exited \(elapsed) after SIGTERM")
    }

    func pollExecutions(_ server: ServerProcess, until done: ([JSONValue]) -> Bool) async throws -> [JSONValue] {
        var list: [JSONValue] = []
        try await server.waitUntil("the expected executions") {
            list = try await server.get("/executions").json["executions"]?.arrayValue ?? []
            return done(list)
        }
        return list
    }
}
