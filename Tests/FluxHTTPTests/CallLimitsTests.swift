import FluxCore
import Foundation
import Testing

/// What `call` may start (hostile review, point 3): a workflow that called itself made 10,410 executions in 8 s, a
/// cancel never caught up with them, and children passed every limit. Now a cycle of calls is refused when it is
/// registered, calls nest at most `executor.max_call_depth` deep, one root starts at most `executor.max_descendants`
/// executions, a cancel takes the whole tree down and starts nothing new, and children hold places of the limits.
@Suite(.timeLimit(Deadline.wholeTest)) struct CallLimitsTests {
    static func caller(_ name: String, calls callee: String) -> String {
        """
        flux: 1
        name: \(name)
        steps:
          - id: next
            call: \(callee)
            with: "${{ input }}"
        output: "${{ steps.next.output }}"
        """
    }

    /// Runs `leaf` once per item of `range(input)`.
    static func fan(_ name: String, calls leaf: String) -> String {
        """
        flux: 1
        name: \(name)
        steps:
          - id: each
            map:
              over: "${{ range(input) }}"
              step:
                call: \(leaf)
                with: "${{ item }}"
        output: "${{ length(steps.each.output) }}"
        """
    }

    static let sleepy = sleepDocument(name: "sleepy", seconds: 3600)

    static func executions(_ server: ServerProcess, of workflow: String) async throws -> [JSONValue] {
        try await server.get("/executions?workflow_name=\(workflow)&limit=500").json["executions"]?.arrayValue ?? []
    }

    @Test func aWorkflowThatCallsItselfIsRefusedWhereTheCallIs() async throws {
        let server = try await ServerProcess()
        let reply = try await server.request("POST", "/workflows", body: Data(Self.caller("loop", calls: "loop").utf8),
                                             headers: ["Content-Type": "application/yaml"])
        #expect(reply.status == 400, "\(reply.text)")
        #expect(reply.errorCode == "invalid_document")
        let message = reply.json["error"]?["message"]?.stringValue ?? ""
        #expect(message.contains("upload.yaml:4:5: steps[0]: the calls loop → loop form a cycle"), "\(message)")
        #expect(try await server.get("/workflows/loop").status == 404, "nothing was registered")
    }

    @Test func aCycleClosedByALaterDocumentIsRefused() async throws {
        let server = try await ServerProcess()
        try await server.register(Self.caller("first", calls: "second"))
        try await server.register(Self.caller("second", calls: "third"))
        let reply = try await server.request("POST", "/workflows", body: Data(Self.caller("third", calls: "first").utf8),
                                             headers: ["Content-Type": "application/yaml"])
        #expect(reply.status == 400, "\(reply.text)")
        #expect(reply.json["error"]?["message"]?.stringValue?.contains("third → first → second → third form a cycle") == true, "\(reply.text)")
        // Two workflows of one text that call each other are a cycle too.
        let pair = """
            flux: 1
            workflows:
              - name: ping
                steps:
                  - id: next
                    call: pong
              - name: pong
                steps:
                  - id: next
                    call: ping
            """
        let both = try await server.request("POST", "/workflows", body: Data(pair.utf8), headers: ["Content-Type": "application/yaml"])
        #expect(both.status == 400, "\(both.text)")
        #expect(both.json["error"]?["message"]?.stringValue?.contains("ping → pong → ping form a cycle") == true, "\(both.text)")
        #expect(try await server.get("/workflows/ping").status == 404)
    }

    /// A chain of 12 workflows, each calling the next, at the default depth limit of 10: the call that would start
    /// the 11th level fails, and so does every caller above it, with the limit named.
    @Test func callsNestAtMostTheDepthLimit() async throws {
        let server = try await ServerProcess()
        for level in (0..<12).reversed() {
            try await server.register(level == 11 ? sleepDocument(name: "level11", seconds: 0)
                                                  : Self.caller("level\(level)", calls: "level\(level + 1)"))
        }
        let reply = try await server.post("/workflows/level0/run/sync", json: "1")
        #expect(reply.json["state"] == "FAILED", "\(reply.text)")
        let message = reply.json["output"]?["message"]?.stringValue ?? ""
        #expect(message.contains("call of level11 would start an execution 11 calls deep: the most is 10"), "\(message)")
        #expect(message.contains("executor.max_call_depth"))
        #expect(try await Self.executions(server, of: "level11").isEmpty, "no execution beyond the limit was created")
        #expect(try await Self.executions(server, of: "level10").count == 1)
    }

    @Test func oneRootStartsAtMostTheDescendantLimit() async throws {
        let server = try await ServerProcess(environment: ["FLUX_EXECUTOR__MAX_DESCENDANTS": "5"])
        try await server.register(sleepDocument(name: "leaf", seconds: 0))
        try await server.register(Self.fan("fan", calls: "leaf"))
        #expect(try await server.post("/workflows/fan/run/sync", json: "5").json["state"] == "COMPLETED")
        let reply = try await server.post("/workflows/fan/run/sync", json: "40")
        #expect(reply.json["state"] == "FAILED", "\(reply.text)")
        let message = reply.json["output"]?["message"]?.stringValue ?? ""
        #expect(message.contains("has started 5 executions through calls, the most one may start (executor.max_descendants)"), "\(message)")
        #expect(try await Self.executions(server, of: "leaf").count == 10, "5 for the first root, 5 for the second")
    }

    /// A tree of 1 + 3 + 6 executions whose leaves sleep an hour: an asynchronous cancel of the root ends all of
    /// them, and no execution is created after it.
    @Test func cancellingARootCancelsItsWholeTree() async throws {
        let server = try await ServerProcess()
        try await server.register(Self.sleepy)
        try await server.register(Self.fan("mid", calls: "sleepy"))
        try await server.register("""
            flux: 1
            name: root
            steps:
              - id: each
                map:
                  over: [0, 1, 2]
                  step:
                    call: mid
                    with: 2
            """)
        let started = try await server.post("/workflows/root/run/async")
        let rootID = try #require(started.json["execution_id"]?.stringValue)
        try await server.waitUntil("six sleeping leaves") {
            try await Self.executions(server, of: "sleepy").filter { $0["state"] == "RUNNING" }.count == 6
        }
        let cancel = try await server.post("/workflows/root/cancel/\(rootID)?mode=async")
        #expect(cancel.status == 202, "\(cancel.text)")
        _ = try await server.waitForExecution(rootID) { $0["state"] == "CANCELLED" }
        try await server.waitUntil("every execution of the tree cancelled") {
            let all = try await server.get("/executions?limit=500").json["executions"]?.arrayValue ?? []
            return all.count == 10 && all.allSatisfy { $0["state"] == "CANCELLED" }
        }
        #expect(try await server.get("/executions?limit=500").json["executions"]?.arrayValue?.count == 10)
    }

    /// With `executor.max_concurrent_executions` = 2, a root whose three children sleep holds four places: another
    /// run started in the background waits until the tree ends.
    @Test func childrenHoldPlacesOfTheConcurrencyLimit() async throws {
        let server = try await ServerProcess(environment: ["FLUX_EXECUTOR__MAX_CONCURRENT_EXECUTIONS": "2"])
        try await server.register(Self.sleepy)
        try await server.register(Self.fan("fan", calls: "sleepy"))
        try await server.register(try TestPaths.example("hello_world.yaml"))
        let root = try #require(try await server.post("/workflows/fan/run/async", json: "3").json["execution_id"]?.stringValue)
        try await server.waitUntil("three sleeping children") {
            try await Self.executions(server, of: "sleepy").filter { $0["state"] == "RUNNING" }.count == 3
        }
        let waiting = try #require(try await server.post("/workflows/hello_world/run/async", json: "\"x\"").json["execution_id"]?.stringValue)
        // It cannot start while the children hold the places: read it a few times over a second.
        for _ in 0..<10 {
            #expect(try await server.get("/executions/\(waiting)").json["state"] == "CREATED")
            try await Task.sleep(for: .milliseconds(100))
        }
        _ = try await server.post("/workflows/fan/cancel/\(root)?mode=sync")
        _ = try await server.waitForExecution(waiting) { $0["state"] == "COMPLETED" }
    }

    /// With `security.max_executions_per_client` = 3, one run whose two children sleep is three executions.
    @Test func childrenCountAgainstTheClientLimit() async throws {
        let server = try await ServerProcess(environment: ["FLUX_SECURITY__MAX_EXECUTIONS_PER_CLIENT": "3"])
        try await server.register(Self.sleepy)
        try await server.register(Self.fan("fan", calls: "sleepy"))
        let root = try #require(try await server.post("/workflows/fan/run/async", json: "2").json["execution_id"]?.stringValue)
        try await server.waitUntil("two sleeping children") {
            try await Self.executions(server, of: "sleepy").filter { $0["state"] == "RUNNING" }.count == 2
        }
        let refused = try await server.post("/workflows/sleepy/run/async")
        #expect(refused.status == 429, "\(refused.text)")
        #expect(refused.text.contains("children of calls included"))
        _ = try await server.post("/workflows/fan/cancel/\(root)?mode=sync")
        try await server.waitUntil("a place again") {
            let reply = try await server.post("/workflows/sleepy/run/async")
            return reply.status == 202
        }
    }
}
