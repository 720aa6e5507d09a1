import FluxCore
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing

/// The distributed scenario of DistributedWorkersTests: real `flux start server` processes with
/// `workers.embedded = false` (one, or several replicas on one PostgreSQL database) and three real
/// `flux-example-worker start worker` processes (Swift workflows and the `ledger_append` task compiled in), each
/// connected to one of the servers, run 300 executions: documents calling the Swift task, plain documents, Swift
/// workflows with a map, a fifth of them pausing and then resumed. Clients spread their runs, resumes and reads over
/// every server. One worker is killed with SIGKILL while it holds executions. Every execution must complete with
/// its output, no completed task may have run twice (events and the ledger file), and the killed worker's
/// executions must have been finished by the others.
struct DistributedRun {
    static let token = "bootstrap-token-for-tests"
    /// What every server of the scenario runs with (a replica adds its FLUX_DATABASE_URL).
    static let serverEnvironment = [
        "FLUX_WORKERS__EMBEDDED": "false", "FLUX_WORKERS__BOOTSTRAP_TOKEN": token,
        "FLUX_WORKERS__HEARTBEAT_INTERVAL": "0.5", "FLUX_WORKERS__LEASE_TIMEOUT": "4",
    ]

    let servers: [ServerProcess]
    /// For each worker (`w1`, `w2`, …), the index in ``servers`` of the server it connects to.
    let workerServers: [Int]
    /// The index of the worker killed with SIGKILL mid-run.
    let victim: Int

    /// The server that a client's `i`-th request goes to: requests take turns over every server.
    func server(_ i: Int) -> ServerProcess { servers[i % servers.count] }

    /// A step calling the Swift task `ledger_append`, which records `step` for the execution's run in the ledger.
    static func ledgerStep(_ step: String) -> String {
        """
          - id: \(step)
            task: ledger_append
            with: { run: "${{ input.run }}", step: "\(step)", delay_ms: "${{ input.delay_ms }}" }
        """
    }

    static let ledgerDocument = """
        flux: 1
        name: doc_ledger
        steps:
        \(["a", "b", "c"].map(ledgerStep).joined(separator: "\n"))
        output: "${{ input.run }}"
        """

    static let pauseDocument = """
        flux: 1
        name: doc_pause
        steps:
        \(ledgerStep("before"))
          - id: approval
            pause: approval
        \(ledgerStep("after"))
        output: "${{ steps.approval.output }}"
        """

    static let plainDocument = """
        flux: 1
        name: doc_plain
        steps:
          - id: greet
            set: "Hello, ${{ input.run }}"
          - id: nap
            builtin: sleep
            with: { seconds: 0.02 }
          - id: shout
            set: "${{ upper(steps.greet.output) }}"
        output: "${{ steps.shout.output }}"
        """

    struct Planned: Sendable {
        let workflow: String
        let run: String
        let pauses: Bool
        /// The ledger steps its tasks append (none for doc_plain).
        let steps: [String]
        /// What the execution must answer once complete (after its resume, for those that pause).
        let output: JSONValue
    }

    /// What every pausing execution is resumed with.
    static let approval: JSONValue = "approved"

    static func plan() -> [Planned] {
        var plan: [Planned] = []
        for i in 0..<300 {
            let run = "r\(i)"
            switch i % 10 {
            case 0, 1, 2: plan.append(Planned(workflow: "doc_ledger", run: run, pauses: false, steps: ["a", "b", "c"], output: .string(run)))
            case 3: plan.append(Planned(workflow: "doc_pause", run: run, pauses: true, steps: ["before", "after"], output: approval))
            case 4, 5: plan.append(Planned(workflow: "doc_plain", run: run, pauses: false, steps: [], output: .string("HELLO, \(run.uppercased())")))
            case 6, 7, 8:
                plan.append(Planned(workflow: "swift_report", run: run, pauses: false, steps: ["fetch", "item0", "item1", "item2", "summarize"],
                                    output: 3))
            default: plan.append(Planned(workflow: "swift_approval", run: run, pauses: true, steps: ["prepare", "finish"],
                                         output: "approved by approved"))
            }
        }
        return plan
    }

    func run() async throws {
        let ledger = servers[0].directory.appendingPathComponent("ledger.tsv")
        let names = workerServers.indices.map { "w\($0 + 1)" }
        let workers = try zip(names, workerServers).map { name, index in
            try WorkerProcess(name: name, server: servers[index], token: Self.token, concurrency: 8,
                              environment: ["EXAMPLE_WORKER_LEDGER": ledger.path])
        }
        for worker in workers { try await worker.waitUntilConnected() }
        for (i, document) in [Self.ledgerDocument, Self.pauseDocument, Self.plainDocument].enumerated() { try await server(i).register(document) }
        // The Swift workflows joined the catalog (the store every server shares) when the workers registered.
        for server in servers {
            let catalog = try await server.get("/workflows").json.arrayValue ?? []
            #expect(catalog.contains { $0["name"] == "swift_report" && $0["kind"] == "swift" }, "\(catalog)")
        }

        let plan = Self.plan()
        // The victim is watched, and killed mid-run, from a thread of its own that starts before the first run: the
        // test's own awaits run on Swift's cooperative threads, which other tests can hold for seconds, long enough for
        // the whole run to end unseen.
        let watch = VictimWatch(victim: workers[victim], server: servers[workerServers[victim]].baseURL, ledger: ledger)
        let ids = try await concurrently(Array(plan.enumerated()), width: 16) { i, item -> String in
            let body: JSONValue = item.workflow == "swift_report"
                ? ["run": .string(item.run), "items": 3, "delay_ms": 15]
                : ["run": .string(item.run), "delay_ms": 15, "items": 0]
            let reply = try await server(i).post("/workflows/\(item.workflow)/run/async", json: body.canonicalJSON)
            guard reply.status == 202, let id = reply.json["execution_id"]?.stringValue else {
                throw TestFailure("run \(item.workflow) answered \(reply.status): \(reply.text)")
            }
            return id
        }
        let planByID = Dictionary(uniqueKeysWithValues: zip(ids, plan))

        let (heldByVictim, caught) = await watch.result()
        #expect(caught, "\(names[victim]) never held an unfinished execution it had claimed: \(workers[victim].stderr)")
        let victimName = names[victim]
        let victimPID = String(workers[victim].pid)

        // Resume what pauses (through each server in turn, every other one in sync mode), until everything has completed.
        var rows: [String: JSONValue] = [:]
        var resumed = Set<String>()
        var round = 0
        let deadline = ContinuousClock.now + Deadline.event
        while ContinuousClock.now < deadline {
            round += 1
            let page = try await server(round).get("/executions?limit=1000").json["executions"]?.arrayValue ?? []
            for row in page { if let id = row["execution_id"]?.stringValue { rows[id] = row } }
            let paused = ids.filter { rows[$0]?["state"] == "PAUSED" && !resumed.contains($0) }
            let offset = resumed.count
            let replies = try await concurrently(Array(paused.enumerated()), width: 8) { j, id -> String? in
                let workflow = planByID[id]?.workflow ?? ""
                let mode = (offset + j) % 2 == 0 ? "async" : "sync"
                let reply = try await server(offset + j).post("/workflows/\(workflow)/resume/\(id)/\(mode)", json: Self.approval.canonicalJSON)
                let expected = mode == "async" ? 202 : 200
                if reply.status != expected { return "\(mode) resume of \(id) answered \(reply.status): \(reply.text)" }
                if mode == "sync", reply.json["output"] != planByID[id]?.output {
                    return "sync resume of \(id) answered \(reply.json["state"] ?? "?") with \(reply.json["output"] ?? "?")"
                }
                return nil
            }
            for problem in replies.compactMap({ $0 }) { Issue.record(Comment(rawValue: problem)) }
            resumed.formUnion(paused)
            if ids.allSatisfy({ rows[$0]?["state"] == "COMPLETED" }) { break }
            if ids.contains(where: { ["FAILED", "CANCELLED"].contains(rows[$0]?["state"]?.stringValue ?? "") }) { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        let unfinished = ids.filter { rows[$0]?["state"] != "COMPLETED" }
        #expect(unfinished.isEmpty, """
            \(unfinished.count) executions did not complete: \(unfinished.prefix(5).map { "\($0): \(rows[$0]?["state"] ?? "?")" }); \
            servers: \(servers.map { $0.stderr.suffix(2000) })
            """)
        #expect(resumed.count == plan.filter(\.pauses).count)
        let wrong = ids.filter { rows[$0]?["state"] == "COMPLETED" && rows[$0]?["output"] != planByID[$0]?.output }
        #expect(wrong.isEmpty, "\(wrong.count) executions completed with the wrong output: \(wrong.prefix(5).map { "\($0): \(rows[$0]?["output"] ?? "?")" })")

        // No task completed twice: at most one TASK_COMPLETED per task id in every execution.
        let histories = try await concurrently(Array(ids.enumerated()), width: 16) { i, id -> (String, [JSONValue]) in
            (id, try await server(i).get("/executions/\(id)/events").json["events"]?.arrayValue ?? [])
        }
        var finishedByOthers = 0
        var finishedThroughAnotherServer = 0
        for (id, events) in histories {
            let completed = events.filter { $0["type"] == "TASK_COMPLETED" }.compactMap { $0["source_id"]?.stringValue }
            #expect(Set(completed).count == completed.count, "execution \(id) completed a task twice")
            // Taken over: the victim's last claim is followed by another worker's claim with no pause in between (a
            // pause releases the execution, and its resume may go anywhere). Any such execution counts, not only those
            // in the victim's slot list at the kill: that list counts claims in flight, and what it held may finish.
            let types = events.map { $0["type"]?.stringValue ?? "" }
            if let victimClaim = events.lastIndex(where: { $0["type"] == "WORKFLOW_CLAIMED" && $0["value"]?["worker"] == .string(victimName) }),
               let next = events[(victimClaim + 1)...].firstIndex(where: { $0["type"] == "WORKFLOW_CLAIMED" }),
               !types[(victimClaim + 1)..<next].contains("WORKFLOW_PAUSED"),
               let taker = events[next]["value"]?["worker"]?.stringValue {
                finishedByOthers += 1
                if let index = names.firstIndex(of: taker), workerServers[index] != workerServers[victim] { finishedThroughAnotherServer += 1 }
            }
        }
        // The executions the victim held when it died and that were still running were finished by the others.
        #expect(finishedByOthers > 0, "none of \(victimName)'s executions was taken over: \(heldByVictim)")
        if servers.count > 1 {
            #expect(finishedThroughAnotherServer > 0, "none of \(victimName)'s executions was taken over by a worker of another server")
        }

        // The ledger: each planned task ran; a task body that ran twice was cut short on the killed worker, or on a
        // surviving worker whose lease lapsed meanwhile (a heavily loaded machine can hold up its heartbeats past the
        // lease): that worker's next checkpoint was refused, so its run never completed, and it said so.
        let survivorLogs = workers.enumerated().filter { $0.offset != victim }.map(\.element.stderr).joined()
        let idByRun = Dictionary(uniqueKeysWithValues: zip(plan.map(\.run), ids))
        var rerunAfterLapse = 0
        let text = try String(contentsOf: ledger, encoding: .utf8)
        var runsByTask: [String: [String]] = [:]
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: "\t").map(String.init)
            guard fields.count == 4 else { continue }
            runsByTask["\(fields[1])/\(fields[2])", default: []].append(fields[0])
        }
        for item in plan {
            for step in item.steps {
                let runs = runsByTask["\(item.run)/\(step)"] ?? []
                #expect(!runs.isEmpty, "\(item.workflow) \(item.run): step \(step) never ran")
                let bySurvivors = runs.filter { $0 != victimPID }
                guard bySurvivors.count > 1 else { continue }
                let lapsed = survivorLogs.contains("execution \(idByRun[item.run] ?? "?") was taken over")
                #expect(lapsed, "\(item.run)/\(step) ran \(bySurvivors.count) times on surviving workers, none of which lost its lease")
                if lapsed { rerunAfterLapse += 1 }
            }
        }
        let rerunOnVictim = runsByTask.values.filter { $0.count > 1 }.count
        print("distributed run on \(servers.count) server(s): \(ids.count) executions, \(resumed.count) resumed, "
            + "\(victimName) held \(heldByVictim.count) at SIGKILL, \(finishedByOthers) of them finished by the others "
            + "(\(finishedThroughAnotherServer) through another server), \(rerunOnVictim) task bodies ran again "
            + "(\(rerunAfterLapse) of them after a surviving worker's lease lapsed)")
        for (index, worker) in workers.enumerated() where index != victim {
            #expect(try await worker.stop() == 0, "\(worker.stderr)")
        }
    }
}

/// Kills a worker with SIGKILL once some work is done (60 ledger lines) and it holds an execution it has claimed and
/// cannot finish without running at least two more tasks, as its server lists them; answers the executions its server
/// listed for it, and whether it held such a one.
///
/// It looks from a thread of its own, with blocking requests, every 20 ms. What the victim holds changes under the
/// watcher's feet: it may finish an execution between the look and the kill. So the victim is stopped (SIGSTOP) when it
/// seems to hold one, looked at again while it cannot move, and killed only if it still holds one; otherwise it goes on
/// (SIGCONT) and the watcher looks again. A checkpoint the victim sent just before it stopped may still land: it
/// carries at most the completion of the tasks that ran at once (a map's items), never the tasks after them, hence
/// "two more tasks" (doc_ledger and swift_report with at most one task completed). Past ``Deadline/event`` it is
/// killed all the same.
final class VictimWatch: @unchecked Sendable {
    private let lock = NSLock()
    private var outcome: (held: [String], caught: Bool)?

    init(victim: WorkerProcess, server: URL, ledger: URL) {
        Thread.detachNewThread { [self] in
            let result = Self.watch(victim, server: server, ledger: ledger)
            lock.withLock { outcome = result }
        }
    }

    /// Waits until the victim was killed.
    func result() async -> (held: [String], caught: Bool) {
        while true {
            if let outcome = lock.withLock({ outcome }) { return outcome }
            try? await Task.sleep(for: .milliseconds(20))
        }
    }

    private static func watch(_ victim: WorkerProcess, server: URL, ledger: URL) -> (held: [String], caught: Bool) {
        func held() -> [String] {
            let listed = get(server.appendingPathComponent("workers"))["workers"]?.arrayValue ?? []
            return (listed.first { $0["name"] == .string(victim.name) }?["running_execution_ids"]?.arrayValue ?? []).compactMap(\.stringValue)
        }
        // The list counts slots taken for claims still in flight, which another replica's worker may win: what counts
        // is the victim's claim of one of them, recorded, so that there is something to take over.
        func claimedAndUnfinished(_ ids: [String]) -> Bool {
            for id in ids.prefix(8) {
                let events = get(server.appendingPathComponent("executions/\(id)/events"))["events"]?.arrayValue ?? []
                guard let workflow = events.first?["name"]?.stringValue, ["doc_ledger", "swift_report"].contains(workflow) else { continue }
                let finished = events.contains { ["WORKFLOW_COMPLETED", "WORKFLOW_FAILED", "WORKFLOW_CANCELLED"].contains($0["type"]?.stringValue ?? "") }
                let completedTasks = events.filter { $0["type"] == "TASK_COMPLETED" }.count
                if !finished, completedTasks <= 1,
                   events.last(where: { $0["type"] == "WORKFLOW_CLAIMED" })?["value"]?["worker"] == .string(victim.name) { return true }
            }
            return false
        }
        var holding: [String] = []
        let deadline = ContinuousClock.now + Deadline.event
        while ContinuousClock.now < deadline {
            let lines = (try? String(contentsOf: ledger, encoding: .utf8))?.split(separator: "\n").count ?? 0
            if lines >= 60 {
                holding = held()
                if claimedAndUnfinished(holding) {
                    victim.kill(SIGSTOP)
                    holding = held()
                    if claimedAndUnfinished(holding) {
                        victim.kill()
                        return (holding, true)
                    }
                    victim.kill(SIGCONT)
                }
            }
            Thread.sleep(forTimeInterval: 0.02)
        }
        victim.kill()
        return (holding, false)
    }

    /// A GET answered as JSON (null when it fails), waited for on this thread.
    private static func get(_ url: URL) -> JSONValue {
        final class Box: @unchecked Sendable { var data: Data? }
        let box = Box()
        let done = DispatchSemaphore(value: 0)
        ServerProcess.session.dataTask(with: url) { data, _, _ in
            box.data = data
            done.signal()
        }.resume()
        done.wait()
        return box.data.flatMap { try? JSONValue(parsing: $0) } ?? .null
    }
}
