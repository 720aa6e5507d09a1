import FluxCore
import Foundation
import Testing

/// Routing by a workflow's `requests:` with real processes: labels send executions to the workers that carry
/// them, a request nobody meets waits in CREATED (and the server says why), and a server's embedded executor
/// hands on what its own machine and labels do not meet.
@Suite(.serialized) struct WorkerRoutingTests {
    static let token = "bootstrap-token-for-routing-tests"

    static func document(_ name: String, requests: String) -> String {
        """
        flux: 1
        name: \(name)
        requests: \(requests)
        steps:
          - id: greet
            set: "ran ${{ input }}"
        """
    }

    /// The worker named in the execution's WORKFLOW_CLAIMED event.
    static func claimer(_ server: ServerProcess, _ id: String) async throws -> String? {
        let events = try await server.get("/executions/\(id)/events").json["events"]?.arrayValue ?? []
        return events.last { $0["type"] == "WORKFLOW_CLAIMED" }?["value"]?["worker"]?.stringValue
    }

    @Test(.timeLimit(.minutes(2)))
    func labelsAndResourcesDecideWhichWorkerRunsAnExecution() async throws {
        let server = try await ServerProcess(environment: [
            "FLUX_WORKERS__EMBEDDED": "false", "FLUX_WORKERS__BOOTSTRAP_TOKEN": Self.token,
            "FLUX_WORKERS__HEARTBEAT_INTERVAL": "0.5",
        ])
        try await server.register(Self.document("needs_fast", requests: "{labels: [fast], memory: 1Ki, cpu: 1}"))
        try await server.register(Self.document("needs_plenty", requests: "{cpu: 100000, labels: [fast]}"))
        try await server.register(Self.document("needs_nothing", requests: "{}"))
        let plain = try WorkerProcess(name: "plain", server: server, token: Self.token, executable: try TestPaths.flux)
        let fast = try WorkerProcess(name: "fast", server: server, token: Self.token, executable: try TestPaths.flux,
                                     arguments: ["--label", "fast", "--label", "eu"])
        try await plain.waitUntilConnected()
        try await fast.waitUntilConnected()

        // Every run of needs_fast goes to the worker with the label, however many there are at once.
        let ids = try await concurrently(Array(0..<8), width: 8) { i in
            let reply = try await server.post("/workflows/needs_fast/run/sync", json: "\(i)")
            #expect(reply.json["output"] == .string("ran \(i)"), "\(reply.text)")
            return try #require(reply.json["execution_id"]?.stringValue)
        }
        for id in ids { #expect(try await Self.claimer(server, id) == "fast") }

        // 100,000 cores: nobody can; the execution waits and the server log names what is missing.
        let waiting = try await server.post("/workflows/needs_plenty/run/async", json: "1")
        let waitingID = try #require(waiting.json["execution_id"]?.stringValue, "\(waiting.text)")
        let deadline = ContinuousClock.now + .seconds(10)
        while !server.stderr.contains("execution \(waitingID) of needs_plenty waits"), ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(server.stderr.contains("execution \(waitingID) of needs_plenty waits"), "\(server.stderr)")
        #expect(server.stderr.contains("plain lacks cpu 100000"), "\(server.stderr)")
        #expect(server.stderr.contains("label fast"), "\(server.stderr)")
        #expect(try await server.get("/executions/\(waitingID)").json["state"] == "CREATED")
        // What stands behind it in the queue still runs.
        let after = try await server.post("/workflows/needs_nothing/run/sync", json: "\"after\"")
        #expect(after.json["state"] == "COMPLETED", "\(after.text)")

        // A worker cannot claim what its machine does not meet, even by asking directly.
        let registration = try await server.post("/workers/register", json: #"{"name": "sneaky", "labels": ["fast"]}"#,
                                                  headers: ["Authorization": "Bearer \(Self.token)"])
        let session = try #require(registration.json["session_token"]?.stringValue, "\(registration.text)")
        let refused = try await server.post("/workers/sneaky/claim/\(waitingID)", json: "{}", headers: ["Authorization": "Bearer \(session)"])
        #expect(refused.status == 409, "\(refused.text)")
        #expect(refused.text.contains("cpu 100000"), "\(refused.text)")
        #expect(try await server.get("/executions/\(waitingID)").json["state"] == "CREATED")

        #expect(try await plain.stop() == 0, "\(plain.stderr)")
        #expect(try await fast.stop() == 0, "\(fast.stderr)")
        try await server.stop()
    }

    @Test(.timeLimit(.minutes(2)))
    func theEmbeddedExecutorHandsOnWhatItsLabelsDoNotMeet() async throws {
        let server = try await ServerProcess(environment: [
            "FLUX_WORKERS__BOOTSTRAP_TOKEN": Self.token, "FLUX_WORKERS__LABELS": "[\"local\"]",
            "FLUX_WORKERS__HEARTBEAT_INTERVAL": "0.5",
        ])
        try await server.register(Self.document("local_ok", requests: "{labels: [local]}"))
        try await server.register(Self.document("needs_gpu_box", requests: "{labels: [gpu_box]}"))
        // The server's own labels meet local_ok: it runs in the server without any worker.
        let local = try await server.post("/workflows/local_ok/run/sync", json: "1")
        #expect(local.json["output"] == "ran 1", "\(local.text)")
        #expect(try await Self.claimer(server, try #require(local.json["execution_id"]?.stringValue)) == nil)

        let remote = try await server.post("/workflows/needs_gpu_box/run/async", json: "2")
        let id = try #require(remote.json["execution_id"]?.stringValue, "\(remote.text)")
        try await Task.sleep(for: .milliseconds(500))
        #expect(try await server.get("/executions/\(id)").json["state"] == "CREATED")
        let worker = try WorkerProcess(name: "box", server: server, token: Self.token, executable: try TestPaths.flux,
                                       arguments: ["--label", "gpu_box"])
        let done = try await server.waitForExecution(id) { $0["state"] == "COMPLETED" }
        #expect(done["output"] == "ran 2")
        #expect(try await Self.claimer(server, id) == "box")
        #expect(try await worker.stop() == 0, "\(worker.stderr)")
        try await server.stop()
    }
}
