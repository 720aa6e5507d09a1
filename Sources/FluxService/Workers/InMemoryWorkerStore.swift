import FluxCore
import Foundation

/// The worker registry of a store that keeps no workers (``WorkerStore`` is optional): held in this
/// process only, so workers register again after a restart (they do on 401).
///
/// ```swift
/// let registry: any WorkerStore = (store as? any WorkerStore) ?? InMemoryWorkerStore()
/// ```
public actor InMemoryWorkerStore: WorkerStore {
    private var workers: [String: WorkerRecord] = [:]

    public init() {}

    public func saveWorker(_ record: WorkerRecord) async throws { workers[record.name] = record }

    public func worker(name: String) async throws -> WorkerRecord? { workers[name] }

    public func listWorkers() async throws -> [WorkerRecord] { workers.values.sorted { $0.name < $1.name } }

    public func recordWorkerHeartbeat(name: String, at: Date, status: JSONValue) async throws -> Bool {
        guard workers[name] != nil else { return false }
        workers[name]?.lastSeenAt = at
        workers[name]?.status = status
        return true
    }
}
