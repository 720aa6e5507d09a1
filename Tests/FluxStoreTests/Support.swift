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

/// How long the tests wait for what must happen. Not a claim about speed: each only bounds a wait for an event (a
/// change on a feed, a child's exit) so that a broken build fails instead of hanging, and is generous enough for a
/// machine busy with parallel tests and a build beside them.
enum Deadline {
    /// Something the test has caused shows up.
    static let event: Duration = .seconds(300)
    /// A child process runs to its end.
    static let child: Duration = .seconds(600)
}

/// Collects changes from `stream` until `count` have arrived or `timeout` passes (then returns what came). With
/// `thenQuiet`, it keeps listening that long after the `count`-th change and returns whatever more came: a check
/// that nothing follows (which a slow machine can only make less strict, never fail).
func collect(_ count: Int, from stream: AsyncStream<ExecutionChange>, timeout: Duration = Deadline.event,
             thenQuiet quiet: Duration = .zero) async -> [ExecutionChange] {
    let received = Mutex<[ExecutionChange]>([])
    let reader = Task {
        for await change in stream {
            let total = received.withLock { changes in
                changes.append(change)
                return changes.count
            }
            if total > count || (total == count && quiet == .zero) { break }
        }
    }
    let deadline = ContinuousClock.now + timeout
    while received.withLock({ $0.count }) < count, ContinuousClock.now < deadline {
        try? await Task.sleep(for: .milliseconds(10))
    }
    if quiet > .zero, received.withLock({ $0.count }) >= count { try? await Task.sleep(for: quiet) }
    reader.cancel()
    return received.withLock { $0 }
}

/// A flag one task sets and another waits for.
final class Flag: Sendable {
    private let value = Atomic<Bool>(false)
    func set() { value.store(true, ordering: .releasing) }
    var isSet: Bool { value.load(ordering: .acquiring) }
}

/// Runs blocking work on a thread of its own (not one of Swift's cooperative threads, of which there are as many as
/// cores) and awaits its result.
func onThread<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread.detachNewThread { continuation.resume(with: Result { try work() }) }
    }
}
