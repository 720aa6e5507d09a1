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

    @Test(.timeLimit(Deadline.wholeTest))
    func labelsAndResourcesDecideWhichWorkerRunsAnExecution() async throws {
        let server = try await workerServer(token: Self.token)
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
        try await server.waitUntil("the log line saying why needs_plenty waits") {
            server.stderr.contains("execution \(waitingID) of needs_plenty waits")
        }
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

    @Test(.timeLimit(Deadline.wholeTest))
    func aSwiftWorkflowsRequestsComeWithTheWorkersThatHaveIt() async throws {
        let server = try await workerServer(token: Self.token)
        let plain = try WorkerProcess(name: "a-plain", server: server, token: Self.token)
        let reports = try WorkerProcess(name: "b-reports", server: server, token: Self.token, arguments: ["--label", "reports"])
        try await plain.waitUntilConnected()
        try await reports.waitUntilConnected()
        let input = #"{"run": "r", "items": 1, "delay_ms": 0}"#
        let ids = try await concurrently(Array(0..<8), width: 8) { _ in
            let reply = try await server.post("/workflows/swift_labelled/run/sync", json: input)
            #expect(reply.json["output"] == "labelled done", "\(reply.text)")
            return try #require(reply.json["execution_id"]?.stringValue)
        }
        for id in ids { #expect(try await Self.claimer(server, id) == "b-reports") }
        // A Swift workflow without requests runs on either; the first in name order wins a tie of free slots.
        let open = try await server.post("/workflows/swift_report/run/sync", json: input)
        #expect(open.json["output"] == 1, "\(open.text)")
        #expect(try await Self.claimer(server, try #require(open.json["execution_id"]?.stringValue)) == "a-plain")
        #expect(try await plain.stop() == 0, "\(plain.stderr)")
        #expect(try await reports.stop() == 0, "\(reports.stderr)")
        try await server.stop()
    }

    @Test(.timeLimit(Deadline.wholeTest))
    func theEmbeddedExecutorHandsOnWhatItsLabelsDoNotMeet() async throws {
        let server = try await workerServer(token: Self.token, embedded: true, labels: #"["local"]"#)
        try await server.register(Self.document("local_ok", requests: "{labels: [local]}"))
        try await server.register(Self.document("needs_gpu_box", requests: "{labels: [gpu_box]}"))
        // The server's own labels meet local_ok: it runs in the server without any worker.
        let local = try await server.post("/workflows/local_ok/run/sync", json: "1")
        #expect(local.json["output"] == "ran 1", "\(local.text)")
        #expect(try await Self.claimer(server, try #require(local.json["execution_id"]?.stringValue)) == nil)

        let remote = try await server.post("/workflows/needs_gpu_box/run/async", json: "2")
        let id = try #require(remote.json["execution_id"]?.stringValue, "\(remote.text)")
        // Nothing runs it: still waiting a moment later. (There is no event to wait for here, only an absence; a slow
        // machine can make this look weaker, never fail it.)
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

/// A real `flux start server` that hands executions to workers (heartbeat 0.5 s); with `embedded`, it runs what
/// it can itself, carrying `labels`.
func workerServer(token: String, embedded: Bool = false, labels: String = "[]") async throws -> ServerProcess {
    try await ServerProcess(environment: [
        "FLUX_WORKERS__EMBEDDED": embedded ? "true" : "false", "FLUX_WORKERS__BOOTSTRAP_TOKEN": token,
        "FLUX_WORKERS__HEARTBEAT_INTERVAL": "0.5", "FLUX_WORKERS__LABELS": labels,
    ])
}

/// `call:` steps on remote workers: the worker runs the child itself when it can, and otherwise the server queues
/// the child for a worker that can while the parent waits for it.
@Suite(.serialized) struct WorkerChildExecutionTests {
    static let token = "bootstrap-token-for-child-tests"

    static func parent(_ name: String, calls child: String) -> String {
        """
        flux: 1
        name: \(name)
        steps:
          - id: child
            call: \(child)
            with: "${{ input }}"
          - id: wrap
            set: "parent got ${{ steps.child.output }}"
        """
    }

    static func child(_ name: String, requests: String = "{}") -> String {
        """
        flux: 1
        name: \(name)
        requests: \(requests)
        steps:
          - id: shout
            set: "${{ upper(input) }}"
        """
    }

    static func executions(_ server: ServerProcess, of workflow: String) async throws -> [JSONValue] {
        try await server.get("/executions?workflow_name=\(workflow)").json["executions"]?.arrayValue ?? []
    }

    /// The executions of `workflow` once there is one (empty if none comes within ``Deadline/event``).
    static func firstExecutions(_ server: ServerProcess, of workflow: String) async throws -> [JSONValue] {
        var found: [JSONValue] = []
        let deadline = ContinuousClock.now + Deadline.event
        while found.isEmpty, ContinuousClock.now < deadline {
            found = try await executions(server, of: workflow)
            if found.isEmpty { try await Task.sleep(for: .milliseconds(50)) }
        }
        return found
    }

    @Test(.timeLimit(Deadline.wholeTest))
    func aCallStepRunsOnTheWorkerOrWaitsForOneThatCan() async throws {
        let server = try await workerServer(token: Self.token)
        try await server.register(Self.child("shout"))
        try await server.register(Self.parent("calls_shout", calls: "shout"))
        try await server.register(Self.child("shout_on_box", requests: "{labels: [box]}"))
        try await server.register(Self.parent("calls_box", calls: "shout_on_box"))
        try await server.register(Self.parent("calls_nothing", calls: "no_such_workflow"))
        let plain = try WorkerProcess(name: "plain", server: server, token: Self.token, executable: try TestPaths.flux)
        try await plain.waitUntilConnected()

        // The worker runs the child itself, as one process would.
        let here = try await server.post("/workflows/calls_shout/run/sync", json: "\"hi\"")
        #expect(here.json["state"] == "COMPLETED", "\(here.text); \(plain.stderr)")
        #expect(here.json["output"] == "parent got HI", "\(here.text)")
        let children = try await Self.executions(server, of: "shout")
        #expect(children.count == 1, "\(children)")
        #expect(children.first?["state"] == "COMPLETED")

        // A child only a `box` worker may run: queued for one; the parent waits on `plain` until one connects.
        let waiting = try await server.post("/workflows/calls_box/run/async", json: "\"later\"")
        let parentID = try #require(waiting.json["execution_id"]?.stringValue, "\(waiting.text)")
        let queued = try await Self.firstExecutions(server, of: "shout_on_box")
        #expect(queued.first?["state"] == "CREATED", "\(queued)")
        #expect(try await server.get("/executions/\(parentID)").json["state"] == "RUNNING")
        let box = try WorkerProcess(name: "box", server: server, token: Self.token, executable: try TestPaths.flux, arguments: ["--label", "box"])
        let done = try await server.waitForExecution(parentID) { $0["state"] == "COMPLETED" || $0["state"] == "FAILED" }
        #expect(done["output"] == "parent got LATER", "\(done); \(plain.stderr)")
        let childID = try #require(queued.first?["execution_id"]?.stringValue)
        #expect(try await WorkerRoutingTests.claimer(server, childID) == "box")
        #expect(try await WorkerRoutingTests.claimer(server, parentID) == "plain")

        // Calling a workflow nobody registered fails the step, with the name in the message.
        let missing = try await server.post("/workflows/calls_nothing/run/sync", json: "\"x\"")
        #expect(missing.json["state"] == "FAILED", "\(missing.text)")
        #expect(missing.text.contains("no_such_workflow"), "\(missing.text)")

        #expect(try await plain.stop() == 0, "\(plain.stderr)")
        #expect(try await box.stop() == 0, "\(box.stderr)")
        try await server.stop()
    }

    /// A parent on one worker waits for a child queued for a `box` worker that never comes. Cancelling the parent
    /// cancels the child, which would otherwise stay queued and run, orphaned, once a `box` worker connected.
    @Test(.timeLimit(Deadline.wholeTest))
    func cancellingAParentOnAWorkerCancelsTheChildItWaitsFor() async throws {
        let server = try await workerServer(token: Self.token)
        try await server.register(Self.child("shout_on_box", requests: "{labels: [box]}"))
        try await server.register(Self.parent("calls_box", calls: "shout_on_box"))
        let plain = try WorkerProcess(name: "plain", server: server, token: Self.token, executable: try TestPaths.flux)
        try await plain.waitUntilConnected()

        let waiting = try await server.post("/workflows/calls_box/run/async", json: "\"never\"")
        let parentID = try #require(waiting.json["execution_id"]?.stringValue, "\(waiting.text)")
        let queued = try await Self.firstExecutions(server, of: "shout_on_box")
        let childID = try #require(queued.first?["execution_id"]?.stringValue, "\(queued)")
        #expect(queued.first?["state"] == "CREATED")

        let cancel = try await server.post("/workflows/calls_box/cancel/\(parentID)?mode=sync")
        #expect(cancel.json["state"] == "CANCELLED", "\(cancel.text); \(plain.stderr)")
        let child = try await server.waitForExecution(childID) { $0["state"] != "CREATED" }
        #expect(child["state"] == "CANCELLED", "\(child); \(plain.stderr)")

        #expect(try await plain.stop() == 0, "\(plain.stderr)")
        try await server.stop()
    }
}
