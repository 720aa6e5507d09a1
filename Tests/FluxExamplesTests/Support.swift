import Flux
import FluxExamples
import FluxStore
import Foundation
import Testing

/// A fresh engine on a SQLite store in a temporary directory of its own (deleted with the store),
/// with every example workflow registered.
func makeEngine(secrets: (any SecretProvider)? = nil) async throws -> FluxEngine {
    let engine = FluxEngine(store: try SQLiteStore.temporary(), secrets: secrets)
    await Examples.register(on: engine)
    return engine
}

/// A directory under the system's temporary directory for one test; `remove()` it when done.
struct TemporaryDirectory {
    let path: String

    init() throws {
        path = FileManager.default.temporaryDirectory
            .appendingPathComponent("flux-examples-tests-\(UUID().uuidString)", isDirectory: true).path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    var databasePath: String { path + "/flux.db" }

    func file(_ name: String) -> String { path + "/" + name }

    func remove() {
        try? FileManager.default.removeItem(atPath: path)
    }
}

extension Array where Element == ExecutionEvent {
    var types: [EventType] { map(\.type) }
    func of(_ type: EventType) -> [ExecutionEvent] { filter { $0.type == type } }

    /// The names of the tasks in the order they started.
    var startedTaskNames: [String] { of(.taskStarted).map(\.name) }

    /// The types of each task's events, by task id.
    var typesByTask: [String: [EventType]] {
        var result: [String: [EventType]] = [:]
        for event in self where !event.type.isWorkflowEvent { result[event.sourceID, default: []].append(event.type) }
        return result
    }

    /// How many TASK_STARTED each task id has.
    var startsByTask: [String: Int] {
        var result: [String: Int] = [:]
        for event in of(.taskStarted) { result[event.sourceID, default: 0] += 1 }
        return result
    }
}

/// TASK_STARTED, TASK_COMPLETED, `count` times: tasks that ran one after the other and succeeded.
func completedTasks(_ count: Int) -> [EventType] {
    Array([[EventType]](repeating: [.taskStarted, .taskCompleted], count: count).joined())
}

/// Simulates a crash: copies the execution into a fresh store with only its first `keeping`
/// events, as RUNNING with no live owner, and lets a new engine take it over and replay it.
/// Returns the replayed execution and how long the replay took.
func replayAfterSimulatedCrash(_ snapshot: ExecutionSnapshot, keeping: Int) async throws -> (snapshot: ExecutionSnapshot, took: Duration) {
    let engine = try await makeEngine()
    let kept = Array(snapshot.events.prefix(keeping))
    var record = snapshot.record
    record.state = .running
    record.output = .null
    record.owner = nil
    record.leaseExpiresAt = nil
    record.lastSequence = kept.last?.sequence ?? 0
    try await engine.store.createExecution(record, events: kept)
    let start = ContinuousClock.now
    let replayed = try await engine.execute(executionID: record.id)
    return (replayed, ContinuousClock.now - start)
}

/// How long the tests wait for what must happen. None of these is a claim about speed: each only bounds a wait for an
/// event (a state in the store, a line of output, a process's exit) so that a broken build fails instead of hanging,
/// and each is generous enough for a machine busy with parallel tests and a build beside them.
enum Deadline {
    /// Something the test has caused shows up.
    static let event: Duration = .seconds(300)
    /// A `flux-examples` run to its end.
    static let run: Duration = .seconds(600)
}

/// Polls `condition` every 10 ms until it holds or `timeout` passes; returns whether it held.
func eventually(timeout: Duration = Deadline.event, _ condition: () async throws -> Bool) async rethrows -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return true }
        try? await Task.sleep(for: .milliseconds(10))
    }
    return try await condition()
}
