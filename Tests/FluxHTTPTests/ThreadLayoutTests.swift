import FluxCore
import Foundation
import Testing

/// `FLUX_EVENT_LOOPS`: by default the server runs one event loop that also runs Swift concurrency; a number above 1
/// gives that many loops, with tasks on the runtime's pool. Read from the real process's threads in /proc.
@Suite struct ThreadLayoutTests {
    /// CPU clock ticks used so far by the process's event loop threads and by the runtime's pool (dispatch) threads.
    struct ThreadUse {
        var eventLoops = 0
        var eventLoopTicks = 0
        var poolTicks = 0

        init(pid: Int32) throws {
            let tasks = "/proc/\(pid)/task"
            for thread in try FileManager.default.contentsOfDirectory(atPath: tasks) {
                let name = (try? String(contentsOfFile: "\(tasks)/\(thread)/comm", encoding: .utf8))?
                    .trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
                guard let stat = try? String(contentsOfFile: "\(tasks)/\(thread)/stat", encoding: .utf8),
                      let close = stat.range(of: ") ", options: .backwards) else { continue }
                // After the command name: state is field 3, utime 14 and stime 15.
                let fields = stat[close.upperBound...].split(separator: " ")
                guard fields.count > 12, let user = Int(fields[11]), let system = Int(fields[12]) else { continue }
                if name.hasPrefix("NIO-SGLTN-") {
                    eventLoops += 1
                    eventLoopTicks += user + system
                } else if name.hasSuffix("-qos") || name.hasSuffix(".overcommit") {
                    poolTicks += user + system
                }
            }
        }
    }

    /// Runs hello_world `count` times, eight at a time, and returns how the server's threads shared the work.
    static func load(_ server: ServerProcess, count: Int) async throws -> (before: ThreadUse, after: ThreadUse) {
        try await server.register(try TestPaths.example("hello_world.yaml"))
        let pid = try #require(server.process?.processIdentifier)
        let before = try ThreadUse(pid: pid)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for lane in 0..<8 {
                group.addTask {
                    for i in stride(from: lane, to: count, by: 8) {
                        let reply = try await server.post("/workflows/hello_world/run/sync", json: "\"n\(i)\"")
                        guard reply.status == 200, reply.json["output"] == .string("Hello, n\(i)") else {
                            throw TestFailure("run \(i) answered \(reply.status): \(reply.text)")
                        }
                    }
                }
            }
            try await group.waitForAll()
        }
        return (before, try ThreadUse(pid: pid))
    }

    @Test func byDefaultOneEventLoopRunsTheRequestsAndTheirTasks() async throws {
        let server = try await ServerProcess()
        let (before, after) = try await Self.load(server, count: 600)
        #expect(after.eventLoops == 1, "one event loop by default")
        let loop = after.eventLoopTicks - before.eventLoopTicks
        let pool = after.poolTicks - before.poolTicks
        // The pool's threads only wake for timers; the runs themselves never leave the loop.
        #expect(loop > 0)
        #expect(pool * 10 <= loop + 2, "the runtime's pool used \(pool) ticks against the loop's \(loop)")
    }

    @Test func severalEventLoopsLeaveTasksOnTheRuntimesPool() async throws {
        let server = try await ServerProcess(environment: ["FLUX_EVENT_LOOPS": "3"])
        let (before, after) = try await Self.load(server, count: 600)
        #expect(after.eventLoops == 3)
        let loop = after.eventLoopTicks - before.eventLoopTicks
        let pool = after.poolTicks - before.poolTicks
        #expect(pool * 3 > loop, "the runtime's pool used \(pool) ticks against the loops' \(loop)")
    }

    /// The one loop still answers while a long workflow runs on it: the workflow's steps and the sockets take turns.
    /// Without that, the first answer would wait until the map had run (about 1 s for its 20,000 items here).
    @Test func theLoopAnswersWhileAMapOf20000ItemsRuns() async throws {
        let server = try await ServerProcess()
        try await server.register(try TestPaths.example("large_map.yaml"))
        let started = try await server.post("/workflows/large_map/run/async", json: "20000")
        #expect(started.status == 202)
        let id = try #require(started.json["execution_id"]?.stringValue)
        #expect(try await server.get("/health").status == 200)
        // Each item records two events; past sequence 20,000 the map is about half done.
        let late = try await server.get("/executions/\(id)/events?after=20000").json["events"]?.arrayValue?.count
        #expect(late == 0, "the map was half done before /health was answered")
        let done = try await server.waitForExecution(id) { $0["state"]?.stringValue == "COMPLETED" }
        #expect(done["output"] == .int((0..<20_000).reduce(0) { $0 + $1 * $1 }))
    }
}
