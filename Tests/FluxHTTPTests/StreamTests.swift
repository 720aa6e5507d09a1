import FluxCore
import Foundation
import Testing

/// The stream mode: Server-Sent Events framed by hand, parsed here frame by frame.
@Suite struct StreamTests {
    /// Every frame has an event name and exactly one line of JSON data; ids are the events' sequence numbers.
    static func checkFraming(_ frames: [SSEFrame]) {
        for frame in frames {
            #expect(frame.event != nil)
            #expect(frame.data.count == 1, "data must be one line: \(frame)")
            #expect(frame.json != nil, "data must be JSON: \(frame)")
        }
        let ids = frames.compactMap { $0.id.flatMap(Int.init) }
        #expect(ids == ids.sorted() && Set(ids).count == ids.count, "ids in order: \(ids)")
    }

    @Test func runStreamSendsEveryEventInOrder() async throws {
        let server = try await ServerProcess()
        try await server.register(try TestPaths.example("hello_world.yaml"))
        let reply = try await server.post("/workflows/hello_world/run/stream", json: "\"Stream\"")
        #expect(reply.status == 200)
        #expect(reply.header("Content-Type") == "text/event-stream")
        let (frames, _) = parseSSE(reply.text)
        Self.checkFraming(frames)
        #expect(frames.map(\.event) == [
            "hello_world.execution.created", "hello_world.execution.running", "task.started", "task.completed",
            "hello_world.execution.completed",
        ])
        let id = try #require(frames.first?.json?["execution_id"]?.stringValue)
        #expect(frames.allSatisfy { $0.json?["execution_id"]?.stringValue == id })
        #expect(frames.last?.json?["output"] == "Hello, Stream")
        #expect(frames.last?.json?["state"] == "COMPLETED")
        #expect(frames[3].json?["value"] == "Hello, Stream")
        // The stream carries exactly the stored events, in the stored order.
        let stored = try await server.get("/executions/\(id)/events").json["events"]?.arrayValue ?? []
        #expect(frames.dropFirst().compactMap { $0.id.flatMap(Int.init) } == stored.compactMap { $0["sequence"]?.intValue })
    }

    @Test func streamEndsOnPauseAndResumeStreams() async throws {
        let server = try await ServerProcess()
        try await server.register(try TestPaths.example("pause.yaml"))
        let paused = try await server.post("/workflows/pause/run/stream")
        let (frames, _) = parseSSE(paused.text)
        Self.checkFraming(frames)
        #expect(frames.last?.event == "pause.execution.paused")
        #expect(frames.last?.json?["pause"]?["name"] == "wait_for_approval")
        #expect(frames.contains { $0.event == "task.paused" })
        let id = try #require(frames.first?.json?["execution_id"]?.stringValue)

        let resumed = try await server.post("/workflows/pause/resume/\(id)/stream", json: "\"yes\"")
        let (after, _) = parseSSE(resumed.text)
        Self.checkFraming(after)
        #expect(after.first?.event == "pause.execution.resuming")
        #expect(after.last?.event == "pause.execution.completed")
        #expect(after.last?.json?["output"] == "Approved with: yes")
        #expect(after.contains { $0.event == "task.resumed" })
        // No event is sent twice across the two streams.
        let firstIDs = Set(frames.compactMap(\.id)), secondIDs = Set(after.compactMap(\.id))
        #expect(firstIDs.isDisjoint(with: secondIDs))

        // Following an execution from a sequence number (a reconnect), by query and by Last-Event-ID.
        let follow = try await server.get("/executions/\(id)/stream?after=3")
        let (followed, _) = parseSSE(follow.text)
        #expect(followed.first?.id == "4")
        #expect(followed.last?.event == "pause.execution.completed")
        let header = try await server.get("/executions/\(id)/stream", headers: ["Last-Event-ID": "5"])
        #expect(parseSSE(header.text).frames.first?.id == "6")
        #expect(try await server.get("/executions/0123456789abcdef0123456789abcdef/stream").status == 404)
    }

    /// While an execution runs and sends nothing, the stream carries `: ping` comments; it ends when the execution does.
    @Test func heartbeatsKeepALongStreamAlive() async throws {
        let server = try await ServerProcess(heartbeat: 0.2)
        try await server.register(sleepDocument(name: "nap", seconds: 3600))
        let curl = try StreamingCurl(["-X", "POST", "-H", "Content-Type: application/json",
                                      "\(server.baseURL.absoluteString)/workflows/nap/run/stream"])
        // Two heartbeats while the execution sleeps (it sleeps an hour: however slow the machine, they come first).
        try await curl.waitUntil("two heartbeats after the sleep started") { text in
            let (frames, comments) = parseSSE(text)
            return frames.contains { $0.event == "task.started" } && comments.filter { $0 == "ping" }.count >= 2
        }
        let id = try #require(parseSSE(curl.text).frames.first?.json?["execution_id"]?.stringValue, "\(curl.text)")
        let cancelled = try await server.post("/workflows/nap/cancel/\(id)?mode=sync")
        #expect(cancelled.json["state"] == "CANCELLED", "\(cancelled.text)")
        let (frames, _) = parseSSE(try await curl.waitForEnd())
        Self.checkFraming(frames)
        #expect(frames.last?.event == "nap.execution.cancelled", "\(curl.text)")
    }
}
