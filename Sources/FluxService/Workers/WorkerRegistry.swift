import FluxCore
import Foundation

/// One message to a connected worker: an SSE frame `event: <event>` with `data: <json>`.
public struct WorkerMessage: Sendable, Hashable {
    /// `execution_scheduled`, `execution_resumed` or `execution_cancelled`.
    public var event: String
    public var data: JSONValue

    public init(event: String, data: JSONValue) {
        self.event = event
        self.data = data
    }
}

/// The workers this server knows: their registration (durable, through a ``WorkerStore``) and what only this
/// process knows (their open event stream, what they run and what was offered to them), for dispatch.
actor WorkerRegistry {
    struct Live {
        var record: WorkerRecord
        /// The Swift workflows it has, each with what it asks of a worker.
        var workflows: [String: ResourceRequest?]
        var tasks: Set<String>
        /// What it reported of its machine when it registered, and its labels.
        var capacity: WorkerCapacity
        var concurrency: Int
        var connection: (id: UInt64, continuation: AsyncStream<WorkerMessage>.Continuation)?
        var running: Set<String> = []
        var offered: [String: ContinuousClock.Instant] = [:]
        var lastSeen: ContinuousClock.Instant
        var lastCancelSent: [String: ContinuousClock.Instant] = [:]

        var free: Int { concurrency - running.count - offered.count }
    }

    let store: any WorkerStore
    /// An offer not claimed within this time is withdrawn (the worker was full or gone) and made again.
    let offerTimeout: Duration
    /// A worker heard from neither by heartbeat nor by request for this long gets no more work.
    let staleAfter: Duration
    private var workers: [String: Live] = [:]
    /// Each waiting offer: the worker it went to, and the execution's state when it was made.
    private var offers: [String: (worker: String, state: ExecutionState)] = [:]
    private var nextConnection: UInt64 = 0

    init(store: any WorkerStore, offerTimeout: Duration, staleAfter: Duration) {
        self.store = store
        self.offerTimeout = offerTimeout
        self.staleAfter = staleAfter
    }

    // MARK: - Registration and sessions

    /// Registers (or re-registers) a worker and returns its new session token; only the token's hash is kept.
    func register(_ registration: WorkerRegistration) async throws -> (token: String, record: WorkerRecord) {
        let token = Self.newToken()
        let incarnation = registration.incarnation ?? Self.newIncarnation()
        let now = Date()
        let record = WorkerRecord(name: registration.name, incarnation: incarnation, tokenHash: Self.hash(token),
                                  info: registration.info, status: ["in_flight": [], "resources": registration.resources],
                                  registeredAt: now, lastSeenAt: now)
        try await store.saveWorker(record)
        let previous = workers[registration.name]
        previous?.connection?.continuation.finish()
        var live = Self.live(record)
        // The same process registering again (after a 401) keeps what it runs.
        if let previous, previous.record.incarnation == incarnation { live.running = previous.running }
        workers[registration.name] = live
        return (token, record)
    }

    /// The worker whose session `token` is; 401 for an unknown worker or a wrong token.
    func authenticate(name: String, token: String?) async throws(ServiceError) -> WorkerRecord {
        guard let token, !token.isEmpty else {
            throw ServiceError(.unauthorized, "worker routes need Authorization: Bearer <session token> from POST /workers/register")
        }
        var live = workers[name]
        if live == nil {
            // Registered with another server process on the same store, or before a restart.
            let stored: WorkerRecord?
            do { stored = try await store.worker(name: name) } catch { throw ServiceError.wrap(error) }
            if let stored, workers[name] == nil {
                workers[name] = Self.live(stored)
            }
            live = workers[name]
        }
        guard let live, Self.constantTimeEquals(Self.hash(token), live.record.tokenHash) else {
            throw ServiceError(.unauthorized, "the session token of worker \(name.prefix(64)) is not valid (it was rotated, or the server forgot it): register again")
        }
        workers[name]?.lastSeen = .now
        return live.record
    }

    // MARK: - Connections

    /// Opens the worker's event stream, closing any earlier one.
    func connect(name: String) -> (id: UInt64, messages: AsyncStream<WorkerMessage>) {
        let (stream, continuation) = AsyncStream<WorkerMessage>.makeStream(bufferingPolicy: .bufferingNewest(10_000))
        nextConnection += 1
        workers[name]?.connection?.continuation.finish()
        workers[name]?.connection = (nextConnection, continuation)
        workers[name]?.lastSeen = .now
        return (nextConnection, stream)
    }

    func disconnect(name: String, id: UInt64) {
        guard let connection = workers[name]?.connection, connection.id == id else { return }
        connection.continuation.finish()
        workers[name]?.connection = nil
        // What was offered on this stream will not be claimed.
        for executionID in workers[name]?.offered.keys ?? [:].keys { offers[executionID] = nil }
        workers[name]?.offered = [:]
    }

    /// Closes every stream (server shutdown).
    func closeAll() {
        for name in workers.keys {
            workers[name]?.connection?.continuation.finish()
            workers[name]?.connection = nil
        }
    }

    // MARK: - What workers run

    func heartbeat(name: String, inFlight: Set<String>) {
        workers[name]?.running = inFlight
        workers[name]?.lastSeen = .now
    }

    func claimed(name: String, executionID: String) {
        if let other = offers.removeValue(forKey: executionID)?.worker, other != name { workers[other]?.offered[executionID] = nil }
        workers[name]?.offered[executionID] = nil
        workers[name]?.running.insert(executionID)
    }

    func released(name: String, executionID: String) {
        workers[name]?.running.remove(executionID)
    }

    // MARK: - Dispatch

    /// Free slots over every dispatchable worker.
    func totalFree() -> Int {
        expireOffers()
        return workers.values.filter(isDispatchable).reduce(0) { $0 + max(0, $1.free) }
    }

    /// How many offers wait for their claim.
    func offeredCount() -> Int { offers.count }

    /// True while an offer of the execution waits for its claim.
    func isOffered(_ executionID: String) -> Bool {
        guard let name = offers[executionID]?.worker, let at = workers[name]?.offered[executionID] else { return false }
        return ContinuousClock.now - at < offerTimeout
    }

    /// Offers the execution (now in `state`) to the dispatchable worker with the most free slots among those that
    /// meet `requirement`; returns its name, or nil when none can take it now.
    func offer(_ executionID: String, state: ExecutionState, requirement: WorkRequirement, message: WorkerMessage) -> String? {
        var best: (name: String, free: Int)?
        for (name, live) in workers where isDispatchable(live) && live.free > 0
            && requirement.isMet(workflows: live.workflows, tasks: live.tasks, capacity: live.capacity) {
            if best == nil || live.free > best!.free || (live.free == best!.free && name < best!.name) { best = (name, live.free) }
        }
        guard let chosen = best?.name, let connection = workers[chosen]?.connection else { return nil }
        if let previous = offers[executionID]?.worker { workers[previous]?.offered[executionID] = nil }
        offers[executionID] = (chosen, state)
        workers[chosen]?.offered[executionID] = .now
        connection.continuation.yield(message)
        return chosen
    }

    /// Forgets the offer of an execution that has moved on to `state` since it was made (claimed through another
    /// server process, say; a claim through this one forgets it already); returns true when there was one, so its
    /// worker has a slot again. An offer made in that same state stays: for an execution whose holder's lease
    /// lapsed, RUNNING may be the old holder's late checkpoint.
    func withdrawOffer(_ executionID: String, now state: ExecutionState) -> Bool {
        guard let offer = offers[executionID], offer.state != state else { return false }
        offers[executionID] = nil
        return workers[offer.worker]?.offered.removeValue(forKey: executionID) != nil
    }

    /// Tells the worker whose owner id is `owner` to cancel, at most once per `interval` per execution.
    func sendCancel(owner: String, executionID: String, message: WorkerMessage, interval: Duration) {
        guard let (name, live) = workers.first(where: { $0.value.record.owner == owner }), let connection = live.connection else { return }
        if let last = live.lastCancelSent[executionID], ContinuousClock.now - last < interval { return }
        workers[name]?.lastCancelSent[executionID] = .now
        connection.continuation.yield(message)
    }

    func forgetCancel(_ executionID: String) {
        for name in workers.keys where workers[name]?.lastCancelSent[executionID] != nil { workers[name]?.lastCancelSent[executionID] = nil }
    }

    /// The live view of each known worker, for `GET /workers` and `list_workers`.
    func liveStatus() -> [String: JSONValue] {
        var result: [String: JSONValue] = [:]
        for (name, live) in workers {
            result[name] = [
                "connected": .bool(live.connection != nil && ContinuousClock.now - live.lastSeen < staleAfter),
                "running": .array(live.running.sorted().map(JSONValue.string)),
                "offered": .int(live.offered.count), "free_slots": .int(max(0, live.free)),
            ]
        }
        return result
    }

    private func isDispatchable(_ live: Live) -> Bool {
        live.connection != nil && ContinuousClock.now - live.lastSeen < staleAfter
    }

    private func expireOffers() {
        let now = ContinuousClock.now
        for (executionID, (name, _)) in offers {
            guard let at = workers[name]?.offered[executionID] else { offers[executionID] = nil; continue }
            if now - at >= offerTimeout {
                offers[executionID] = nil
                workers[name]?.offered[executionID] = nil
            }
        }
    }

    // MARK: - Tokens

    static func live(_ record: WorkerRecord) -> Live {
        var workflows: [String: ResourceRequest?] = [:]
        for item in record.info["workflows"]?.arrayValue ?? [] {
            guard let name = item["name"]?.stringValue else { continue }
            // updateValue: assigning a nil request through the subscript would remove the workflow.
            workflows.updateValue(item["requests"].flatMap { try? ResourceRequest(json: $0) }, forKey: name)
        }
        let tasks = (record.info["tasks"]?.arrayValue ?? []).compactMap(\.stringValue)
        let labels = (record.info["labels"]?.arrayValue ?? []).compactMap(\.stringValue)
        return Live(record: record, workflows: workflows, tasks: Set(tasks),
                    capacity: WorkerCapacity(resources: record.info["resources"] ?? .null, labels: labels),
                    concurrency: record.info["concurrency"]?.intValue ?? 1, lastSeen: .now)
    }

    /// Whether some dispatchable worker could run what `requirement` asks if it had a free slot; with the
    /// reasons of each connected worker that cannot, for the log.
    func placeability(of requirement: WorkRequirement) -> (possible: Bool, reasons: [String]) {
        var reasons: [String] = []
        for (name, live) in workers.sorted(by: { $0.key < $1.key }) where isDispatchable(live) {
            let missing = requirement.unmet(workflows: live.workflows, tasks: live.tasks, capacity: live.capacity)
            if missing.isEmpty { return (true, []) }
            reasons.append("\(name) lacks \(missing.joined(separator: ", "))")
        }
        return (false, reasons)
    }

    static func newToken() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<4).map { _ in String(format: "%016llx", generator.next() as UInt64) }.joined()
    }

    static func newIncarnation() -> String {
        var generator = SystemRandomNumberGenerator()
        return String(format: "%016llx", generator.next() as UInt64)
    }

    /// Lowercase hex SHA-256.
    static func hash(_ token: String) -> String {
        TaskIdentity.sha256Hex(token)
    }

    /// Compares without stopping at the first difference.
    static func constantTimeEquals(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        var difference = UInt64(x.count ^ y.count)
        for i in 0..<max(x.count, y.count) {
            difference |= UInt64((i < x.count ? x[i] : 0) ^ (i < y.count ? y[i] : 0))
        }
        return difference == 0
    }
}
