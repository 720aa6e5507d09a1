import Foundation

/// The registry of remote workers, kept durably so that every server process on the store (and `flux start mcp`'s
/// `list_workers`) sees the same workers. Only a hash of each worker's session token is stored.
///
/// It is a protocol of its own rather than part of ``FluxStore``: a store that does not implement it still
/// works, and the service keeps the registry in memory instead.
///
/// ```swift
/// try await store.saveWorker(WorkerRecord(name: "w1", incarnation: "8f2c", tokenHash: hash, info: info))
/// let known = try await store.listWorkers()
/// ```
public protocol WorkerStore: Sendable {
    /// Inserts the worker or replaces the row of the same name (a re-registration rotates the token hash).
    func saveWorker(_ record: WorkerRecord) async throws
    /// The worker named `name`, or nil.
    func worker(name: String) async throws -> WorkerRecord?
    /// Every registered worker, by name.
    func listWorkers() async throws -> [WorkerRecord]
    /// Records a heartbeat: the time and the worker's current status. Returns false for an unknown worker.
    func recordWorkerHeartbeat(name: String, at: Date, status: JSONValue) async throws -> Bool
}

/// One registered worker.
public struct WorkerRecord: Sendable, Hashable, Codable {
    /// Unique among workers: `[A-Za-z0-9_.-]{1,64}`.
    public var name: String
    /// Identifies one run of the worker process; executions it claims are owned by `worker:<name>#<incarnation>`.
    public var incarnation: String
    /// Lowercase hex SHA-256 of the session token; the token itself is never stored.
    public var tokenHash: String
    /// What the worker registered with: runtime, resources, labels, concurrency, workflows, tasks.
    public var info: JSONValue
    /// What its last heartbeat said: in-flight executions and resources.
    public var status: JSONValue
    public var registeredAt: Date
    public var lastSeenAt: Date

    public init(name: String, incarnation: String, tokenHash: String, info: JSONValue, status: JSONValue = .null,
                registeredAt: Date = Date(), lastSeenAt: Date = Date()) {
        self.name = name
        self.incarnation = incarnation
        self.tokenHash = tokenHash
        self.info = info
        self.status = status
        self.registeredAt = registeredAt
        self.lastSeenAt = lastSeenAt
    }

    /// The owner id the executions this worker incarnation claims carry.
    public var owner: String { Self.owner(name: name, incarnation: incarnation) }

    /// `worker:<name>#<incarnation>`.
    public static func owner(name: String, incarnation: String) -> String { "worker:\(name)#\(incarnation)" }
}
