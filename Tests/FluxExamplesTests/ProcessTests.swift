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
        // The kill follows the third ledger line at once: a thread of its own, started with the child, watches the
        // file (Swift's cooperative threads, which this test's awaits need, can be held by other tests for seconds).
        // The seven steps left take 3.5 s of sleep alone, so the child cannot finish between the look and the kill.
        let steps = 10
        let input: JSONValue = ["steps": .int(steps), "ledger": .string(ledger), "delay": 0.5]
        let runner = try await RunnerBinary.shared.url()
        let child = try ChildProcess(executable: runner, arguments: ["start", "--db", dir.databasePath, "ledger", input.canonicalJSON])
        let killing = KillWatch(child) { Self.ledgerLines(ledger).count >= 3 }

        #expect(await eventually { child.lines.first != nil || !child.process.isRunning })
        let id = try #require(child.lines.first.flatMap { try? JSONValue(parsing: $0) }?["execution_id"]?.stringValue,
                              "start prints the execution id first; stderr: \(child.standardError)")
        #expect(await killing.result(), "the ledger never had 3 lines; stderr: \(child.standardError)")
        try await child.waitForExit()
        #expect(child.process.terminationReason == .uncaughtSignal, "killed before it finished; stderr: \(child.standardError)")

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

    /// A durable sleep recovered after a SIGKILL sleeps until the wake-up time the first process recorded: not less,
    /// and not its whole length again. The first process sleeps an hour, so it is surely mid-sleep when it is killed
    /// (once its TASK_STARTED is in the store). Its state is then copied into a second database with the wake-up
    /// moved to 2 s from now, as if most of the hour had passed: the recovery there must wake at that moment, not
    /// before it, and not an hour later (it would not finish within its generous deadline).
    @Test func sleeperKilledMidSleepSleepsOnlyTheRemainder() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let child = try await spawnFluxExamples(["start", "--db", dir.databasePath, "sleeper", "3600"])
        #expect(await eventually { child.lines.first != nil || !child.process.isRunning })
        let id = try #require(child.lines.first.flatMap { try? JSONValue(parsing: $0) }?["execution_id"]?.stringValue,
                              "start prints the execution id first; stderr: \(child.standardError)")
        let store = try SQLiteStore(path: dir.databasePath)
        #expect(try await eventually {
            try await store.events(executionID: id, after: 0).contains { $0.type == .taskStarted }
        })
        child.kill()
        try await child.waitForExit()
        #expect(child.process.terminationReason == .uncaughtSignal)

        // What the first process left: RUNNING, and the sleep's TASK_STARTED with its wake-up an hour ahead.
        let crashed = try #require(try await store.execution(id: id))
        #expect(crashed.state == .running)
        let events = try await store.events(executionID: id, after: 0)
        #expect(events.types == [.workflowStarted, .taskStarted])
        let sleep = try #require(events.last)
        let until = try #require(sleep.value["until"]?.stringValue.flatMap(Timestamp.parse))
        let ahead = until.timeIntervalSince(sleep.time)
        #expect(ahead <= 3600.001 && ahead > 3000, "the first process set the wake-up an hour ahead (\(ahead) s)")

        // The same crash with the wake-up 2 s from now, in a database of its own.
        let later = try TemporaryDirectory()
        defer { later.remove() }
        let wakeUp = Date().addingTimeInterval(2)
        var moved = sleep
        var value = try #require(sleep.value.objectValue)
        value["until"] = .string(Timestamp.format(wakeUp))
        moved.value = .object(value)
        try await SQLiteStore(path: later.databasePath).createExecution(crashed, events: [events[0], moved])

        let recovery = try await runFluxExamples(["recover", "--db", later.databasePath, "--wait"])
        #expect(recovery.status == 0, "stderr: \(recovery.standardError)")
        let recovered = try #require(recovery.json.first { $0["execution_id"]?.stringValue == id }, "stderr: \(recovery.standardError)")
        #expect(recovered["state"] == "COMPLETED")
        #expect(recovered["output"] == "awake")

        let replayed = try await SQLiteStore(path: later.databasePath).events(executionID: id, after: 0)
        #expect(replayed.types == [.workflowStarted, .taskStarted, .taskCompleted, .workflowCompleted],
                "the sleep's TASK_STARTED (with its wake-up time) was recorded once, by the first process")
        let woke = try #require(replayed.of(.taskCompleted).first?.time)
        #expect(woke.timeIntervalSince(wakeUp) >= -0.005, "the recovered execution did not wake before the recorded time")
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
/// Sends SIGKILL to a child as soon as a condition holds, from a thread of its own that looks every millisecond from
/// the moment it is made (at most ``Deadline/event``; the child is killed then too).
final class KillWatch: @unchecked Sendable {
    private let lock = NSLock()
    private var held: Bool?

    init(_ child: ChildProcess, once condition: @escaping @Sendable () -> Bool) {
        Thread.detachNewThread { [self] in
            let deadline = ContinuousClock.now + Deadline.event
            var holds = condition()
            while !holds, child.process.isRunning, ContinuousClock.now < deadline {
                Thread.sleep(forTimeInterval: 0.001)
                holds = condition()
            }
            child.kill()
            lock.withLock { held = holds }
        }
    }

    /// Waits until the child was killed; answers whether the condition held by then.
    func result() async -> Bool {
        while true {
            if let held = lock.withLock({ held }) { return held }
            try? await Task.sleep(for: .milliseconds(5))
        }
    }
}
#endif
