import FluxCore
import Foundation
import Testing

/// Running, resuming, cancelling and inspecting executions over HTTP.
@Suite struct ExecutionRoutesTests {
    @Test func runSyncAsyncAndStatus() async throws {
        let server = try await ServerProcess()
        try await server.register(try TestPaths.example("hello_world.yaml"))

        let sync = try await server.post("/workflows/hello_world/run/sync", json: "\"World\"")
        #expect(sync.status == 200, "\(sync.text)")
        #expect(sync.json["state"] == "COMPLETED")
        #expect(sync.json["output"] == "Hello, World")
        #expect(sync.json["input"] == "World")
        #expect(sync.json["workflow_version"] == 1)
        #expect(sync.json["events"] == nil)
        let id = try #require(sync.json["execution_id"]?.stringValue)
        #expect(id.count == 32)

        let detailed = try await server.post("/workflows/hello_world/run/sync?detailed=true&version=1", json: "\"Ada\"")
        let types = detailed.json["events"]?.arrayValue?.compactMap { $0["type"]?.stringValue }
        #expect(types == ["WORKFLOW_STARTED", "TASK_STARTED", "TASK_COMPLETED", "WORKFLOW_COMPLETED"])

        let async = try await server.post("/workflows/hello_world/run/async", json: "\"Async\"")
        #expect(async.status == 202)
        let asyncID = try #require(async.json["execution_id"]?.stringValue)
        #expect(["CREATED", "RUNNING", "COMPLETED"].contains(async.json["state"]?.stringValue ?? ""))
        let finished = try await server.waitForExecution(asyncID) { $0["state"] == "COMPLETED" }
        #expect(finished["output"] == "Hello, Async")

        let status = try await server.get("/workflows/hello_world/status/\(id)?detailed=1")
        #expect(status.status == 200)
        #expect(status.json["state"] == "COMPLETED")
        #expect(status.json["events"]?.arrayValue?.count == 4)

        let events = try await server.get("/executions/\(id)/events?after=2")
        #expect(events.json["events"]?.arrayValue?.compactMap { $0["sequence"]?.intValue } == [3, 4])

        let page = try await server.get("/executions?workflow_name=hello_world&state=completed&limit=2")
        #expect(page.status == 200)
        #expect(page.json["executions"]?.arrayValue?.count == 2)
        let cursor = try #require(page.json["next_cursor"]?.stringValue)
        let rest = try await server.get("/executions?workflow_name=hello_world&limit=2&cursor=\(cursor)")
        #expect(rest.json["executions"]?.arrayValue?.count == 1)
        #expect(rest.json["next_cursor"] == .null)
        let all = Set((page.json["executions"]?.arrayValue ?? []) .compactMap { $0["execution_id"]?.stringValue }
            + (rest.json["executions"]?.arrayValue ?? []).compactMap { $0["execution_id"]?.stringValue })
        #expect(all.contains(id) && all.contains(asyncID) && all.count == 3)
    }

    @Test func clientMistakesAreFourHundreds() async throws {
        let server = try await ServerProcess()
        try await server.register(try TestPaths.example("hello_world.yaml"))
        // Unknown workflow and execution: 404.
        #expect(try await server.post("/workflows/nope/run/sync", json: "1").status == 404)
        #expect(try await server.get("/workflows/hello_world/status/0123456789abcdef0123456789abcdef").status == 404)
        #expect(try await server.get("/executions/0123456789abcdef0123456789abcdef/events").status == 404)
        #expect(try await server.post("/workflows/hello_world/cancel/0123456789abcdef0123456789abcdef").status == 404)
        // An execution asked for under another workflow's name: 404.
        let run = try await server.post("/workflows/hello_world/run/sync", json: "\"x\"")
        let id = try #require(run.json["execution_id"]?.stringValue)
        try await server.register(try TestPaths.example("pause.yaml"))
        #expect(try await server.get("/workflows/pause/status/\(id)").status == 404)
        // Bad bodies and parameters: 400.
        let notJSON = try await server.post("/workflows/hello_world/run/sync", json: "{not json")
        #expect(notJSON.status == 400)
        #expect(notJSON.errorCode == "invalid_input")
        let schema = try await server.post("/workflows/hello_world/run/sync", json: "42")
        #expect(schema.status == 400)
        #expect(schema.json["error"]?["message"]?.stringValue?.contains("input schema") == true)
        #expect(try await server.post("/workflows/hello_world/run/sometimes", json: "\"x\"").status == 400)
        #expect(try await server.post("/workflows/hello_world/run/sync?detailed=maybe", json: "\"x\"").status == 400)
        #expect(try await server.post("/workflows/hello_world/run/sync?version=two", json: "\"x\"").status == 400)
        #expect(try await server.post("/workflows/hello_world/run/sync?version=9", json: "\"x\"").status == 404)
        #expect(try await server.get("/executions?state=SLEEPING").status == 400)
        #expect(try await server.get("/executions?limit=0").status == 400)
        #expect(try await server.get("/executions?limit=ten").status == 400)
        #expect(try await server.get("/executions?cursor=garbage").status == 400)
        #expect(try await server.get("/executions/\(id)/events?after=-1").status == 400)
        #expect(try await server.post("/workflows/hello_world/cancel/\(id)?mode=later").status == 400)
        // State conflicts: 409.
        let cancelFinished = try await server.post("/workflows/hello_world/cancel/\(id)?mode=sync")
        #expect(cancelFinished.status == 409)
        #expect(cancelFinished.errorCode == "conflict")
        let resumeFinished = try await server.post("/workflows/hello_world/resume/\(id)/sync", json: "1")
        #expect(resumeFinished.status == 409)
        #expect(!server.stderr.contains(" error "), "\(server.stderr)")
    }

    @Test func syncReturnsOnPauseAndResumes() async throws {
        let server = try await ServerProcess()
        try await server.register(try TestPaths.example("pause_with_input.yaml"))
        // The original never answered a sync run that paused; this one answers with PAUSED.
        let paused = try await server.post("/workflows/pause_with_input/run/sync")
        #expect(paused.status == 200)
        #expect(paused.json["state"] == "PAUSED")
        #expect(paused.json["pause"]?["name"] == "review")
        #expect(paused.json["pause"]?["output"] == "Please review the draft and decide.")
        let id = try #require(paused.json["execution_id"]?.stringValue)
        let resumed = try await server.post("/workflows/pause_with_input/resume/\(id)/sync?detailed=true",
                                           json: "{\"approved\": true, \"comment\": \"fine\"}")
        #expect(resumed.status == 200, "\(resumed.text)")
        #expect(resumed.json["state"] == "COMPLETED")
        #expect(resumed.json["output"] == "approved: fine")
        // Resuming again: the execution is no longer paused.
        #expect(try await server.post("/workflows/pause_with_input/resume/\(id)/sync", json: "{}").status == 409)

        // A resume input that breaks the pause's schema is refused before anything is recorded; the run stays paused.
        let other = try await server.post("/workflows/pause_with_input/run/sync")
        let otherID = try #require(other.json["execution_id"]?.stringValue)
        let wrong = try await server.post("/workflows/pause_with_input/resume/\(otherID)/sync", json: "{\"approved\": \"yes\"}")
        #expect(wrong.status == 400)
        #expect(wrong.json["error"]?["message"]?.stringValue?.contains("expected boolean") == true)
        #expect(try await server.get("/workflows/pause_with_input/status/\(otherID)").json["state"] == "PAUSED")
    }

    @Test func resumeAsyncAndCancel() async throws {
        let server = try await ServerProcess()
        try await server.register(try TestPaths.example("pause.yaml"))
        let first = try await server.post("/workflows/pause/run/sync")
        let id = try #require(first.json["execution_id"]?.stringValue)
        let resumed = try await server.post("/workflows/pause/resume/\(id)/async", json: "\"ok\"")
        #expect(resumed.status == 202)
        #expect(resumed.json["state"] == "RESUMING")
        let done = try await server.waitForExecution(id) { $0["state"] == "COMPLETED" }
        #expect(done["output"] == "Approved with: ok")

        // Cancel a paused execution, with POST and with the original's GET form.
        let second = try await server.post("/workflows/pause/run/sync")
        let secondID = try #require(second.json["execution_id"]?.stringValue)
        let cancelled = try await server.post("/workflows/pause/cancel/\(secondID)?mode=sync&detailed=true")
        #expect(cancelled.status == 200, "\(cancelled.text)")
        #expect(cancelled.json["state"] == "CANCELLED")
        #expect(cancelled.json["events"]?.arrayValue?.last?["type"] == "WORKFLOW_CANCELLED")
        let third = try await server.post("/workflows/pause/run/sync")
        let thirdID = try #require(third.json["execution_id"]?.stringValue)
        let viaGet = try await server.get("/workflows/pause/cancel/\(thirdID)?mode=async")
        #expect(viaGet.status == 202)
        _ = try await server.waitForExecution(thirdID) { $0["state"] == "CANCELLED" }
        #expect(try await server.get("/workflows/pause/cancel/\(thirdID)").status == 409)
    }

    /// The execution sleeps an hour: a sync cancel that answers CANCELLED interrupted it.
    @Test func cancelARunningExecution() async throws {
        let server = try await ServerProcess()
        try await server.register(sleepDocument(name: "long_sleep", seconds: 3600))
        let run = try await server.post("/workflows/long_sleep/run/async")
        let id = try #require(run.json["execution_id"]?.stringValue)
        _ = try await server.waitForExecution(id) { $0["state"] == "RUNNING" }
        let cancelled = try await server.post("/workflows/long_sleep/cancel/\(id)?mode=sync")
        #expect(cancelled.status == 200)
        #expect(cancelled.json["state"] == "CANCELLED")
    }
}
