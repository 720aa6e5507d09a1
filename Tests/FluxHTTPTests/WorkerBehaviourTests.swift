import FluxCore
import Foundation
import Testing

/// How a real worker behaves around its server: cancellation reaches it, it rides out a server restart, and SIGTERM
/// lets the execution in flight finish.
@Suite(.serialized) struct WorkerBehaviourTests {
    static let token = "bootstrap-token-for-behaviour-tests"
    static let environment = [
        "FLUX_WORKERS__EMBEDDED": "false", "FLUX_WORKERS__BOOTSTRAP_TOKEN": token,
        "FLUX_WORKERS__HEARTBEAT_INTERVAL": "0.5", "FLUX_WORKERS__LEASE_TIMEOUT": "5",
    ]

    /// Starts an execution of `workflow` and waits until a worker runs it.
    func startRunning(_ server: ServerProcess, _ workflow: String) async throws -> String {
        let reply = try await server.post("/workflows/\(workflow)/run/async", json: "null")
        let id = try #require(reply.json["execution_id"]?.stringValue, "\(reply.text)")
        _ = try await server.waitForExecution(id) { $0["state"] == "RUNNING" }
        return id
    }

    /// The stream tells the worker at once, the heartbeat (0.5 s) is the fallback, and its engine passes it on within
    /// 0.5 s: how soon is a figure for a benchmark. Here the execution sleeps an hour, so only the cancellation
    /// reaching the worker can end it.
    @Test(.timeLimit(Deadline.wholeTest))
    func cancelReachesTheWorker() async throws {
        let server = try await ServerProcess(environment: Self.environment)
        try await server.register(sleepDocument(name: "slow", seconds: 3600))
        let worker = try WorkerProcess(name: "w1", server: server, token: Self.token, executable: try TestPaths.flux)
        try await worker.waitUntilConnected()
        let id = try await startRunning(server, "slow")
        // The worker is in the sleep step.
        try await server.waitUntil("the sleep step's TASK_STARTED") {
            let events = try await server.get("/executions/\(id)/events").json["events"]?.arrayValue ?? []
            return events.contains { $0["type"] == "TASK_STARTED" }
        }
        let asked = ContinuousClock.now
        let reply = try await server.post("/workflows/slow/cancel/\(id)?mode=async")
        #expect(reply.status == 202, "\(reply.text)")
        let cancelled = try await server.waitForExecution(id) { $0["state"] == "CANCELLED" }
        print("the cancellation reached the worker and settled \(ContinuousClock.now - asked) after it was asked")
        #expect(cancelled["state"] == "CANCELLED")
        let events = try await server.get("/executions/\(id)/events").json["events"]?.arrayValue ?? []
        #expect(events.contains { $0["type"] == "WORKFLOW_CANCELLED" })
        #expect(try await worker.stop() == 0, "\(worker.stderr)")
        try await server.stop()
    }

    @Test(.timeLimit(Deadline.wholeTest))
    func aWorkerRidesOutAServerRestart() async throws {
        let port = try freeLoopbackPort()
        let server = try await ServerProcess(environment: Self.environment, port: port)
        try await server.register(try TestPaths.example("hello_world.yaml"))
        let worker = try WorkerProcess(name: "w1", server: server, token: Self.token, executable: try TestPaths.flux)
        try await worker.waitUntilConnected()
        let first = try await server.post("/workflows/hello_world/run/sync", json: "\"one\"")
        #expect(first.json["output"] == "Hello, one", "\(first.text)")

        try await server.stop()
        // The worker has noticed that its server is gone before the server comes back.
        try await worker.waitForLog("reconnecting")
        try await server.start()
        // The worker reconnects by itself (with backoff) and runs the next execution.
        let second = try await server.post("/workflows/hello_world/run/sync", json: "\"two\"")
        #expect(second.json["output"] == "Hello, two", "\(second.text)")
        #expect(worker.stderr.contains("reconnecting"), "\(worker.stderr)")
        #expect(try await worker.stop() == 0, "\(worker.stderr)")
        try await server.stop()
    }

    @Test(.timeLimit(Deadline.wholeTest))
    func sigtermLetsTheExecutionInFlightFinish() async throws {
        let server = try await ServerProcess(environment: Self.environment)
        try await server.register(sleepDocument(name: "short", seconds: 1.5))
        let worker = try WorkerProcess(name: "w1", server: server, token: Self.token, executable: try TestPaths.flux)
        try await worker.waitUntilConnected()
        let id = try await startRunning(server, "short")
        #expect(try await worker.stop() == 0, "\(worker.stderr)")
        let done = try await server.get("/executions/\(id)").json
        #expect(done["state"] == "COMPLETED", "\(done); \(worker.stderr)")
        #expect(worker.stderr.contains("takes no more work"), "\(worker.stderr)")
        try await server.stop()
    }
}

/// A loopback port nobody listens on now.
func freeLoopbackPort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw TestFailure("socket() failed") }
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = 0
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) { pointer in
        pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
    }
    guard bound else { throw TestFailure("bind() failed") }
    return Int(UInt16(bigEndian: address.sin_port))
}
