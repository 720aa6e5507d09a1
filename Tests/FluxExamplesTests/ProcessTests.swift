#if os(Linux) || os(macOS)
import Flux
import FluxExamples
import FluxStore
import Foundation
import Testing

/// The examples across real processes: `flux-examples` is spawned as a child process on a database
/// file of the test's own; crashes are real SIGKILLs.
@Suite("Examples across processes")
struct ProcessTests {
    @Test func pausedInOneProcessResumedInAnother() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let first = try await runFluxExamples(["run", "--db", dir.databasePath, "pause", "null"])
        #expect(first.status == 3, "exit status 3 means PAUSED; stderr: \(first.standardError)")
        let paused = try #require(first.last)
        #expect(paused["state"] == "PAUSED")
        #expect(paused["pause_name"] == "wait_for_approval")
        #expect(paused["pause_output"] == ["result": "Data processed"])
        let id = try #require(paused["execution_id"]?.stringValue)

        let second = try await runFluxExamples(["resume", "--db", dir.databasePath, id, #""ok""#])
        #expect(second.status == 0, "stderr: \(second.standardError)")
        let done = try #require(second.last)
        #expect(done["state"] == "COMPLETED")
        #expect(done["output"] == "Data processed and approved")

        let events = try await SQLiteStore(path: dir.databasePath).events(executionID: id, after: 0)
        #expect(events.types == [
            .workflowStarted, .taskStarted, .taskStarted, .taskCompleted, .taskCompleted, .taskPaused, .workflowPaused,
            .workflowResuming, .workflowResumed, .taskResumed, .workflowCompleted,
        ])
        #expect(done["events"] == .array(events.map { .string($0.type.rawValue) }))
        // The second process replayed process_data (and the sleep inside it) from the log instead of running them.
        #expect(events.startsByTask.count == 2)
        #expect(events.startsByTask.values.allSatisfy { $0 == 1 }, "one TASK_STARTED per task id")
        #expect(events.of(.taskCompleted).count == 2)

        let status = try await runFluxExamples(["status", "--db", dir.databasePath, id])
        #expect(status.status == 0)
        #expect(status.last?["state"] == "COMPLETED")
    }

    @Test func ledgerKilledMidRunIsRecoveredByAnotherProcess() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let ledger = dir.file("ledger.txt")
        let steps = 10
        let input: JSONValue = ["steps": .int(steps), "ledger": .string(ledger), "delay": 0.1]
        let child = try await spawnFluxExamples(["start", "--db", dir.databasePath, "ledger", input.canonicalJSON])

        #expect(await eventually { child.lines.first != nil || !child.process.isRunning })
        let id = try #require(child.lines.first.flatMap { try? JSONValue(parsing: $0) }?["execution_id"]?.stringValue,
                              "start prints the execution id first; stderr: \(child.standardError)")
        #expect(await eventually { Self.ledgerLines(ledger).count >= 3 || !child.process.isRunning })
        child.kill()
        try await child.waitForExit()
        #expect(child.process.terminationReason == .uncaughtSignal, "killed before it finished")

        // What the store holds at the moment of the crash.
        let crashed = try #require(try await SQLiteStore(path: dir.databasePath).execution(id: id))
        #expect(crashed.state == .running)
        let completedBeforeKill = Set(try await SQLiteStore(path: dir.databasePath).events(executionID: id, after: 0)
            .of(.taskCompleted).compactMap { $0.value.intValue })
        #expect(completedBeforeKill.count >= 2 && completedBeforeKill.count < steps)

        let recovery = try await runFluxExamples(["recover", "--db", dir.databasePath, "--wait"])
        #expect(recovery.status == 0, "stderr: \(recovery.standardError)")
        let recovered = try #require(recovery.json.first { $0["execution_id"]?.stringValue == id })
        #expect(recovered["state"] == "COMPLETED")
        #expect(recovered["output"] == .array((1...steps).map { .int($0) }))

        var runs: [Int: Int] = [:]
        for line in Self.ledgerLines(ledger) {
            let fields = line.split(separator: " ")
            #expect(fields.count == 3 && fields[0] == id, "a ledger line is `execution_id step attempt`: \(line)")
            if fields.count == 3, let step = Int(fields[1]) { runs[step, default: 0] += 1 }
        }
        #expect(Set(runs.keys) == Set(1...steps), "every step ran")
        for step in completedBeforeKill {
            #expect(runs[step] == 1, "step \(step) completed before the kill and did not run again")
        }
        let inFlight = (completedBeforeKill.max() ?? 0) + 1
        for (step, count) in runs where count > 1 {
            #expect(step == inFlight && count == 2, "only the step in flight at the kill (\(inFlight)) may run twice, not step \(step) (\(count) runs)")
        }

        let events = try await SQLiteStore(path: dir.databasePath).events(executionID: id, after: 0)
        #expect(events.of(.workflowStarted).count == 1)
        #expect(events.startsByTask.count == steps && events.startsByTask.values.allSatisfy { $0 == 1 })
        #expect(events.types == [.workflowStarted] + completedTasks(steps) + [.workflowCompleted])
    }

    @Test func sleeperKilledMidSleepSleepsOnlyTheRemainder() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let started = ContinuousClock.now
        let child = try await spawnFluxExamples(["start", "--db", dir.databasePath, "sleeper", "2"])
        #expect(await eventually { child.lines.first != nil || !child.process.isRunning })
        let id = try #require(child.lines.first.flatMap { try? JSONValue(parsing: $0) }?["execution_id"]?.stringValue,
                              "start prints the execution id first; stderr: \(child.standardError)")
        let store = try SQLiteStore(path: dir.databasePath)
        #expect(try await eventually {
            try await store.events(executionID: id, after: 0).contains { $0.type == .taskStarted }
        })
        let sinceStart = ContinuousClock.now - started
        if sinceStart < .milliseconds(500) { try await Task.sleep(for: .milliseconds(500) - sinceStart) }
        child.kill()
        try await child.waitForExit()
        #expect(child.process.terminationReason == .uncaughtSignal)

        let recovery = try await runFluxExamples(["recover", "--db", dir.databasePath, "--wait"])
        #expect(recovery.status == 0, "stderr: \(recovery.standardError)")
        let recovered = try #require(recovery.json.first { $0["execution_id"]?.stringValue == id })
        #expect(recovered["state"] == "COMPLETED")
        #expect(recovered["output"] == "awake")

        let events = try await store.events(executionID: id, after: 0)
        #expect(events.types == [.workflowStarted, .taskStarted, .taskCompleted, .workflowCompleted],
                "the sleep's TASK_STARTED (with its wake-up time) was recorded once, by the first process")
        let workflowStarted = try #require(events.of(.workflowStarted).first?.time)
        let until = try #require(events.of(.taskStarted).first?.value["until"]?.stringValue.flatMap(Timestamp.parse))
        let woke = try #require(events.of(.taskCompleted).first?.time)
        let completed = try #require(events.of(.workflowCompleted).first?.time)
        #expect((1.95...2.5).contains(until.timeIntervalSince(workflowStarted)), "the first process set the wake-up 2 s ahead")
        #expect(woke.timeIntervalSince(until) >= -0.005, "the recovered execution did not wake early")
        #expect(woke.timeIntervalSince(until) < 1.0, "the recovered execution slept until the recorded time, not 2 s more")
        #expect(completed.timeIntervalSince(workflowStarted) < 3.5, "start to completion took less than 3.5 s")
    }

    @Test func runnerErrorsAndExitStatuses() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let unknown = try await runFluxExamples(["run", "--db", dir.databasePath, "no_such_workflow", "null"])
        #expect(unknown.status == 2)
        #expect(unknown.standardError.contains("no workflow named no_such_workflow"))
        let noDatabase = try await runFluxExamples(["run", "hello_world", #""World""#])
        #expect(noDatabase.status == 2)
        #expect(noDatabase.standardError.contains("--db"))
        let badJSON = try await runFluxExamples(["run", "--db", dir.databasePath, "hello_world", "World"])
        #expect(badJSON.status == 2)
        #expect(badJSON.standardError.contains("not JSON"))

        let hello = try await runFluxExamples(["run", "--db", dir.databasePath, "hello_world", #""World""#])
        #expect(hello.status == 0)
        #expect(hello.last?["output"] == "Hello, World")
        #expect(hello.last?["events"] == ["WORKFLOW_STARTED", "TASK_STARTED", "TASK_COMPLETED", "WORKFLOW_COMPLETED"])
        let failed = try await runFluxExamples(["run", "--db", dir.databasePath, "task_rollback"])
        #expect(failed.status == 1)
        #expect(failed.last?["state"] == "FAILED")

        let paused = try await runFluxExamples(["run", "--db", dir.databasePath, "conditional_pause", #"{"requires_approval": true}"#])
        #expect(paused.status == 3)
        let id = try #require(paused.last?["execution_id"]?.stringValue)
        let cancelled = try await runFluxExamples(["cancel", "--db", dir.databasePath, id])
        #expect(cancelled.status == 4)
        #expect(cancelled.last?["state"] == "CANCELLED")

        let list = try await runFluxExamples(["list"])
        #expect(list.status == 0)
        let names = Set(list.json.compactMap { $0["name"]?.stringValue })
        #expect(names.isSuperset(of: Set(Examples.all.map(\.name)).union(["ledger", "sleeper"])))
    }

    static func ledgerLines(_ path: String) -> [String] {
        guard let data = FileManager.default.contents(atPath: path) else { return [] }
        return String(decoding: data, as: UTF8.self).split(separator: "\n").map(String.init)
    }
}
#endif
