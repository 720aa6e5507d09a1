import FluxCore
import FluxStore
import Foundation
import Synchronization
import Testing

/// A fresh directory under the system's temporary directory; `remove()` it when done.
struct TemporaryDirectory {
    let path: String

    init() throws {
        path = FileManager.default.temporaryDirectory
            .appendingPathComponent("flux-store-tests-\(UUID().uuidString)", isDirectory: true).path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    var databasePath: String { path + "/nested/dir/flux.db" }

    func remove() {
        try? FileManager.default.removeItem(atPath: path)
    }
}

func makeRecord(id: String = ExecutionRecord.newID(), workflow: String = "hello", state: ExecutionState = .created,
                input: JSONValue = ["name": "World"], createdAt: Date = Date()) -> ExecutionRecord {
    ExecutionRecord(id: id, workflowName: workflow, workflowVersion: 1, state: state, input: input,
                    createdAt: createdAt, updatedAt: createdAt)
}

/// A RUNNING execution recorded in the file at `path` by a store that is closed again, for another process to write to.
func createRunningExecution(at path: String) async throws -> ExecutionRecord {
    let record = makeRecord(state: .running)
    let store = try SQLiteStore(path: path)
    try await store.createExecution(record, events: [])
    return record
}

func makeEvent(_ sequence: Int, type: EventType = .taskCompleted, value: JSONValue = ["n": .int(0)]) -> ExecutionEvent {
    ExecutionEvent(id: "event-\(sequence)-\(UUID().uuidString)", type: type, sourceID: "task-\(sequence)",
                   name: "step\(sequence)", value: value, time: Date(), sequence: sequence)
}

/// Dates go through SQLite as Unix seconds in a Double, which is exact to well under a microsecond.
func sameInstant(_ a: Date?, _ b: Date?) -> Bool {
    switch (a, b) {
    case (nil, nil): return true
    case (let a?, let b?): return abs(a.timeIntervalSince(b)) < 1e-6
    default: return false
    }
}

/// Field-by-field equality, with dates compared to the microsecond.
func sameRecord(_ a: ExecutionRecord?, _ b: ExecutionRecord?) -> Bool {
    guard let a, let b else { return a == nil && b == nil }
    var x = a, y = b
    guard sameInstant(x.createdAt, y.createdAt), sameInstant(x.updatedAt, y.updatedAt),
          sameInstant(x.leaseExpiresAt, y.leaseExpiresAt) else { return false }
    x.createdAt = y.createdAt
    x.updatedAt = y.updatedAt
    x.leaseExpiresAt = y.leaseExpiresAt
    return x == y
}

func sameEvents(_ a: [ExecutionEvent], _ b: [ExecutionEvent]) -> Bool {
    guard a.count == b.count else { return false }
    return zip(a, b).allSatisfy { x, y in
        var x = x
        guard sameInstant(x.time, y.time) else { return false }
        x.time = y.time
        return x == y
    }
}

/// Collects changes from `stream` until `count` have arrived or `timeout` passes (then returns what came).
func collect(_ count: Int, from stream: AsyncStream<ExecutionChange>, timeout: Duration = .seconds(10)) async -> [ExecutionChange] {
    let received = Mutex<[ExecutionChange]>([])
    let reader = Task {
        for await change in stream {
            let total = received.withLock { changes in
                changes.append(change)
                return changes.count
            }
            if total >= count { break }
        }
    }
    let deadline = ContinuousClock.now + timeout
    while received.withLock({ $0.count }) < count, ContinuousClock.now < deadline {
        try? await Task.sleep(for: .milliseconds(10))
    }
    reader.cancel()
    return received.withLock { $0 }
}
