import FluxCore
import Foundation
import Synchronization
import Testing

/// A real `flux start server` with `workers.embedded = false` and three real `flux start worker` processes (the
/// example worker binary, with Swift workflows and the `ledger_append` task compiled in) run 300 executions:
/// documents calling the Swift task, plain documents, Swift workflows with a map, some of each pausing and then
/// resumed. One worker is killed with SIGKILL mid-run. Every execution must complete, no completed task may have
/// run twice, and the killed worker's executions must have been finished by the others.
@Suite(.serialized) struct DistributedWorkersTests {
    static let token = "bootstrap-token-for-tests"

    static let ledgerDocument = """
        flux: 1
        name: doc_ledger
        steps:
          - id: a
            task: ledger_append
            with: { run: "${{ input.run }}", step: "a", delay_ms: "${{ input.delay_ms }}" }
          - id: b
            task: ledger_append
            with: { run: "${{ input.run }}", step: "b", delay_ms: "${{ input.delay_ms }}" }
          - id: c
            task: ledger_append
            with: { run: "${{ input.run }}", step: "c", delay_ms: "${{ input.delay_ms }}" }
        output: "${{ input.run }}"
        """

    static let pauseDocument = """
        flux: 1
        name: doc_pause
        steps:
          - id: before
            task: ledger_append
            with: { run: "${{ input.run }}", step: "before", delay_ms: "${{ input.delay_ms }}" }
          - id: approval
            pause: approval
          - id: after
            task: ledger_append
            with: { run: "${{ input.run }}", step: "after", delay_ms: "${{ input.delay_ms }}" }
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
    }

    static func plan() -> [Planned] {
        var plan: [Planned] = []
        for i in 0..<300 {
            let run = "r\(i)"
            switch i % 10 {
            case 0, 1, 2: plan.append(Planned(workflow: "doc_ledger", run: run, pauses: false, steps: ["a", "b", "c"]))
            case 3: plan.append(Planned(workflow: "doc_pause", run: run, pauses: true, steps: ["before", "after"]))
            case 4, 5: plan.append(Planned(workflow: "doc_plain", run: run, pauses: false, steps: []))
            case 6, 7, 8: plan.append(Planned(workflow: "swift_report", run: run, pauses: false, steps: ["fetch", "item0", "item1", "item2", "summarize"]))
            default: plan.append(Planned(workflow: "swift_approval", run: run, pauses: true, steps: ["prepare", "finish"]))
            }
        }
        return plan
    }

    @Test(.timeLimit(.minutes(3)))
    func threeWorkersRun300ExecutionsThroughASigkill() async throws {
        let server = try await ServerProcess(environment: [
            "FLUX_WORKERS__EMBEDDED": "false", "FLUX_WORKERS__BOOTSTRAP_TOKEN": Self.token,
            "FLUX_WORKERS__HEARTBEAT_INTERVAL": "0.5", "FLUX_WORKERS__LEASE_TIMEOUT": "3",
        ])
        let ledger = server.directory.appendingPathComponent("ledger.tsv")
        let workers = try ["w1", "w2", "w3"].map {
            try WorkerProcess(name: $0, server: server, token: Self.token, concurrency: 8,
                              environment: ["EXAMPLE_WORKER_LEDGER": ledger.path])
        }
        for worker in workers { try await worker.waitUntilConnected() }
        for document in [Self.ledgerDocument, Self.pauseDocument, Self.plainDocument] { try await server.register(document) }
        // The Swift workflows joined the catalog when the workers registered.
        let catalog = try await server.get("/workflows").json.arrayValue ?? []
        #expect(catalog.contains { $0["name"] == "swift_report" && $0["kind"] == "swift" }, "\(catalog)")

        let plan = Self.plan()
        let ids = try await concurrently(plan, width: 16) { item -> String in
            let body: JSONValue = item.workflow == "swift_report"
                ? ["run": .string(item.run), "items": 3, "delay_ms": 15]
                : ["run": .string(item.run), "delay_ms": 15, "items": 0]
            let reply = try await server.post("/workflows/\(item.workflow)/run/async", json: body.canonicalJSON)
            guard reply.status == 202, let id = reply.json["execution_id"]?.stringValue else {
                throw TestFailure("run \(item.workflow) answered \(reply.status): \(reply.text)")
            }
            return id
        }
        let planByID = Dictionary(uniqueKeysWithValues: zip(ids, plan))

        // Kill w2 while it holds executions, once some work is done.
        let victim = workers[1]
        var heldByVictim: [String] = []
        let killDeadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < killDeadline {
            let lines = (try? String(contentsOf: ledger, encoding: .utf8))?.split(separator: "\n").count ?? 0
            let listed = try await server.get("/workers").json["workers"]?.arrayValue ?? []
            heldByVictim = (listed.first { $0["name"] == "w2" }?["running_execution_ids"]?.arrayValue ?? []).compactMap(\.stringValue)
            if lines >= 150, !heldByVictim.isEmpty { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(!heldByVictim.isEmpty, "w2 never held an execution: \(victim.stderr)")
        victim.kill()
        let victimPID = String(victim.pid)

        // Resume what pauses, until everything has completed.
        var states: [String: String] = [:]
        var resumed = Set<String>()
        let deadline = ContinuousClock.now + .seconds(120)
        while ContinuousClock.now < deadline {
            let page = try await server.get("/executions?limit=1000").json["executions"]?.arrayValue ?? []
            for row in page { if let id = row["execution_id"]?.stringValue, let state = row["state"]?.stringValue { states[id] = state } }
            let paused = ids.filter { states[$0] == "PAUSED" && !resumed.contains($0) }
            _ = try await concurrently(paused, width: 8) { id -> Int in
                let workflow = planByID[id]?.workflow ?? ""
                let reply = try await server.post("/workflows/\(workflow)/resume/\(id)/async", json: "\"approved\"")
                return reply.status
            }
            resumed.formUnion(paused)
            if ids.allSatisfy({ states[$0] == "COMPLETED" }) { break }
            if ids.contains(where: { ["FAILED", "CANCELLED"].contains(states[$0] ?? "") }) { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        let unfinished = ids.filter { states[$0] != "COMPLETED" }
        #expect(unfinished.isEmpty, "\(unfinished.count) executions did not complete: \(unfinished.prefix(5).map { "\($0): \(states[$0] ?? "?")" }); server: \(server.stderr.suffix(3000))")
        #expect(resumed.count == plan.filter(\.pauses).count)

        // No task completed twice: at most one TASK_COMPLETED per task id in every execution.
        let histories = try await concurrently(ids, width: 16) { id -> (String, [JSONValue]) in
            (id, try await server.get("/executions/\(id)/events").json["events"]?.arrayValue ?? [])
        }
        var finishedByOthers = 0
        for (id, events) in histories {
            let completed = events.filter { $0["type"] == "TASK_COMPLETED" }.compactMap { $0["source_id"]?.stringValue }
            #expect(Set(completed).count == completed.count, "execution \(id) completed a task twice")
            let claims = events.filter { $0["type"] == "WORKFLOW_CLAIMED" }.compactMap { $0["value"]?["worker"]?.stringValue }
            if heldByVictim.contains(id) {
                #expect(claims.contains("w2"), "\(id) was listed as w2's but w2 never claimed it: \(claims)")
                if let last = claims.last, last != "w2" { finishedByOthers += 1 }
            }
        }
        // Every execution w2 held when it died and that was still running was finished by w1 or w3.
        #expect(finishedByOthers > 0, "none of w2's executions was taken over: \(heldByVictim)")

        // The ledger: each planned task ran; any task body that ran twice was cut short on the killed worker.
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
                #expect(bySurvivors.count <= 1, "\(item.run)/\(step) ran \(bySurvivors.count) times on surviving workers")
            }
        }
        let rerunOnVictim = runsByTask.values.filter { $0.count > 1 }.count
        print("distributed run: \(ids.count) executions, \(resumed.count) resumed, w2 held \(heldByVictim.count) at SIGKILL, "
            + "\(finishedByOthers) of them finished by w1/w3, \(rerunOnVictim) task bodies cut short on w2 ran again")
        for worker in [workers[0], workers[2]] {
            #expect(try await worker.stop() == 0, "\(worker.stderr)")
        }
        try await server.stop()
    }
}
