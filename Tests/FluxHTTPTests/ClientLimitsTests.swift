import FluxCore
import Foundation
import Testing

/// `security.max_open_streams` and `security.max_executions_per_client`: past either, 429 with Retry-After,
/// and nothing is started; places come back when streams end and executions finish (or pause).
@Suite struct ClientLimitsTests {
    /// Sleeps an hour: an execution that holds its place until the test cancels it, however slow the machine.
    static let sleepy = """
        flux: 1
        name: sleepy
        steps:
          - id: wait
            builtin: sleep
            with: { seconds: 3600 }
        """

    /// What a client ran and saw finish stops counting (and taking memory) at once, not when it reaches its limit.
    @Test func settledExecutionsAreForgottenAtOnce() async throws {
        let server = try await ServerProcess()
        try await server.register(try TestPaths.example("hello_world.yaml"))
        try await server.register(try TestPaths.example("pause.yaml"))
        for i in 0..<12 {
            let reply = try await server.post("/workflows/hello_world/run/\(i % 2 == 0 ? "sync" : "async")", json: "\"n\(i)\"")
            #expect((200..<300).contains(reply.status), "\(reply.text)")
        }
        #expect(try await server.post("/workflows/pause/run/sync").json["state"] == "PAUSED")
        let sleeping = try await server.post("/workflows/pause/run/async")
        #expect(sleeping.status == 202)
        // Everything settles (finishes or pauses); the gauge follows the store's change feed.
        let deadline = ContinuousClock.now + Deadline.event
        var tracked: Double?
        while ContinuousClock.now < deadline {
            let metrics = try await server.get("/metrics").text
            let line = metrics.split(separator: "\n").first { $0.hasPrefix("flux_client_executions_tracked ") }
            let value: Substring = line?.split(separator: " ").last ?? ""
            tracked = Double(value)
            if tracked == 0 { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(tracked == 0, "executions still counted against the client: \(String(describing: tracked))")
    }

    @Test func executionsPerClientAreLimited() async throws {
        let server = try await ServerProcess(environment: ["FLUX_SECURITY__MAX_EXECUTIONS_PER_CLIENT": "2"])
        try await server.register(Self.sleepy)
        try await server.register(try TestPaths.example("pause.yaml"))
        var ids: [String] = []
        for _ in 0..<2 {
            let reply = try await server.post("/workflows/sleepy/run/async")
            #expect(reply.status == 202)
            ids.append(try #require(reply.json["execution_id"]?.stringValue))
        }
        let refused = try await server.post("/workflows/sleepy/run/async")
        #expect(refused.status == 429, "\(refused.text)")
        #expect(refused.errorCode == "too_many_requests")
        #expect(refused.header("Retry-After") == "1")
        #expect(refused.text.contains("security.max_executions_per_client"))
        #expect(try await server.post("/workflows/sleepy/run/sync").status == 429, "sync runs count too")
        let listed = try await server.get("/executions?workflow_name=sleepy").json["executions"]?.arrayValue?.count
        #expect(listed == 2, "a refused run records nothing")
        for id in ids {
            let cancelled = try await server.post("/workflows/sleepy/cancel/\(id)?mode=sync")
            #expect(cancelled.json["state"] == "CANCELLED", "\(cancelled.text)")
        }
        // Finished executions free their places; a paused one does not hold one either.
        #expect(try await server.post("/workflows/pause/run/sync").json["state"] == "PAUSED")
        #expect(try await server.post("/workflows/pause/run/sync").json["state"] == "PAUSED")
        #expect(try await server.post("/workflows/sleepy/run/async").status == 202)
    }

    @Test func openStreamsAreLimited() async throws {
        let server = try await ServerProcess(environment: ["FLUX_SECURITY__MAX_OPEN_STREAMS": "1"], heartbeat: 0.2)
        try await server.register(Self.sleepy)
        try await server.register(try TestPaths.example("hello_world.yaml"))
        // A client holds one stream open on an execution that sleeps an hour (curl, so that this test can go on while
        // it reads).
        let curl = try StreamingCurl(["-X", "POST", "-H", "Content-Type: application/json",
                                      "\(server.baseURL.absoluteString)/workflows/sleepy/run/stream"])
        try await curl.waitUntil("the stream's first frame") { $0.contains("sleepy.execution.created") }
        let id = try #require(parseSSE(curl.text).frames.first?.json?["execution_id"]?.stringValue, "\(curl.text)")
        let refused = try await server.get("/executions/\(id)/stream")
        #expect(refused.status == 429, "\(refused.text)")
        #expect(refused.text.contains("security.max_open_streams"))
        #expect(try await server.post("/workflows/hello_world/run/stream", json: "\"x\"").status == 429)
        // Once the first stream has ended (its execution cancelled), a new one is served: the place comes back as
        // soon as the server has seen the stream end, which the test waits for.
        let cancelled = try await server.post("/workflows/sleepy/cancel/\(id)?mode=sync")
        #expect(cancelled.json["state"] == "CANCELLED", "\(cancelled.text)")
        let ended = try await curl.waitForEnd()
        #expect(parseSSE(ended).frames.last?.event == "sleepy.execution.cancelled", "\(ended)")
        var again: ServerProcess.Reply?
        try await server.waitUntil("a new stream served after the first ended") {
            let reply = try await server.post("/workflows/hello_world/run/stream", json: "\"again\"")
            again = reply
            return reply.status != 429
        }
        #expect(again?.status == 200)
        #expect(again?.text.contains("hello_world.execution.completed") == true, "\(again?.text ?? "")")
    }
}
