import FluxCore
import Foundation
import Synchronization

/// How long the tests wait for what must happen. Not a claim about speed: each only bounds a wait for an event so that
/// a broken build fails instead of hanging, and is generous enough for a machine busy with parallel tests and a build
/// beside them. Figures about speed belong to the benchmarks.
enum Deadline {
    /// Something the test has caused shows up (an execution settles, a task starts).
    static let event: Duration = .seconds(300)
}

/// Polls `condition` every 5 ms until it holds or ``Deadline/event`` passes; returns whether it held.
func eventually(_ condition: () async throws -> Bool) async rethrows -> Bool {
    let deadline = ContinuousClock.now + Deadline.event
    while ContinuousClock.now < deadline {
        if try await condition() { return true }
        try? await Task.sleep(for: .milliseconds(5))
    }
    return try await condition()
}

/// A fresh engine over an in-memory store, for one test.
func makeEngine(secrets: [String: String] = [:], mapConcurrency: Int = 64) -> FluxEngine {
    let store = InMemoryStore()
    return FluxEngine(store: store, secrets: secrets.isEmpty ? nil : FixedSecrets(values: secrets),
                      configuration: EngineConfiguration(mapConcurrency: mapConcurrency))
}

/// Secrets given by the test.
struct FixedSecrets: SecretProvider {
    let values: [String: String]
    func secrets(named names: [String]) async throws -> [String: String] {
        let missing = names.filter { values[$0] == nil }
        if !missing.isEmpty { throw SecretError.missing(missing) }
        return values.filter { names.contains($0.key) }
    }
}

/// Counts calls across concurrent tasks.
final class Counter: Sendable {
    private let value = Atomic<Int>(0)
    private let peak = Atomic<Int>(0)
    private let current = Atomic<Int>(0)
    @discardableResult func increment() -> Int { value.add(1, ordering: .relaxed).newValue }
    var count: Int { value.load(ordering: .relaxed) }
    func enter() {
        let now = current.add(1, ordering: .relaxed).newValue
        var seen = peak.load(ordering: .relaxed)
        while now > seen {
            let (exchanged, original) = peak.compareExchange(expected: seen, desired: now, ordering: .relaxed)
            if exchanged { break }
            seen = original
        }
    }
    func leave() { current.subtract(1, ordering: .relaxed) }
    var maxConcurrent: Int { peak.load(ordering: .relaxed) }
}

extension Array where Element == ExecutionEvent {
    var types: [EventType] { map(\.type) }
    func of(_ type: EventType) -> [ExecutionEvent] { filter { $0.type == type } }
}
