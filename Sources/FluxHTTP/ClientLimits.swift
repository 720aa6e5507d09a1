import Flux
import Foundation
import ServiceLifecycle
import Synchronization

/// What clients may hold at once: `security.max_open_streams` event streams (all clients together) and
/// `security.max_executions_per_client` unfinished executions started through this server by one client address.
/// Past either limit the request is answered 429 with `Retry-After`, before anything starts. Executions leave the
/// count as the store reports them settled (``ClientLimitsPruner``), or, on a store without a change feed, when
/// their client reaches its limit and each is looked up.
///
/// ```swift
/// let slot = try await limits.reserveExecution(client: context.clientKey, store: service.store, engine: service.engine)
/// defer { limits.release(slot) }
/// let snapshot = try await service.run(...)
/// limits.started(snapshot.record.id, slot: slot)
/// ```
final class ClientLimits: Sendable {
    let maxOpenStreams: Int
    let maxExecutionsPerClient: Int

    /// A place held for an execution that is being started (a reservation counts until it is released).
    struct Slot: Sendable {
        let client: String
        let token: String
    }

    private struct State {
        var openStreams = 0
        /// Per client: the ids of executions started here and not yet seen finished, plus reservation tokens.
        var executions: [String: Set<String>] = [:]
        /// The client of each execution in `executions`, to forget it when the store reports it settled.
        var clients: [String: String] = [:]

        /// Executions reported settled before anyone tracked them (an async run can finish before its route
        /// records it): the last 4,096, oldest first in `recentOrder`.
        var recentlySettled: Set<String> = []
        var recentOrder: [String] = []
        var recentNext = 0

        mutating func forget(_ executionID: String) {
            guard let client = clients.removeValue(forKey: executionID) else { return }
            executions[client]?.remove(executionID)
            if executions[client]?.isEmpty == true { executions[client] = nil }
        }

        mutating func settled(_ executionID: String) {
            if clients[executionID] != nil { return forget(executionID) }
            guard recentlySettled.insert(executionID).inserted else { return }
            if recentOrder.count < 4_096 {
                recentOrder.append(executionID)
            } else {
                recentlySettled.remove(recentOrder[recentNext])
                recentOrder[recentNext] = executionID
                recentNext = (recentNext + 1) % recentOrder.count
            }
        }
    }

    private let state = Mutex(State())

    init(maxOpenStreams: Int, maxExecutionsPerClient: Int) {
        self.maxOpenStreams = maxOpenStreams
        self.maxExecutionsPerClient = maxExecutionsPerClient
    }

    var openStreams: Int { state.withLock { $0.openStreams } }

    /// Takes a stream place; call ``closeStream()`` when the stream ends.
    func openStream() throws(APIError) {
        let taken = state.withLock { state -> Bool in
            guard state.openStreams < maxOpenStreams else { return false }
            state.openStreams += 1
            return true
        }
        guard taken else {
            throw .tooManyRequests("\(maxOpenStreams) event streams are open, the limit of security.max_open_streams; "
                + "close one, or poll GET /executions/{id} instead")
        }
    }

    func closeStream() {
        state.withLock { $0.openStreams = max(0, $0.openStreams - 1) }
    }

    /// Holds a place for one more execution of `client`, after forgetting those that have finished or paused. The
    /// children that `call`s of the client's executions run in `engine` count too.
    func reserveExecution(client: String, store: any FluxStore, engine: FluxEngine) async throws -> Slot {
        let slot = Slot(client: client, token: "reserved:" + UUID().uuidString)
        let held = state.withLock { $0.executions[client] ?? [] }
        let children = held.isEmpty ? 0 : await engine.runningDescendants(ofRoots: held)
        if let admitted = admit(slot, children: children) { return admitted }
        // At the limit: drop what has settled since, then try again.
        let tracked = state.withLock { $0.executions[client] ?? [] }
        var settled: Set<String> = []
        for id in tracked where !id.hasPrefix("reserved:") {
            guard let record = try await store.execution(id: id) else { settled.insert(id); continue }
            if record.state.isTerminal || record.state == .paused { settled.insert(id) }
        }
        state.withLock { state in
            for id in settled { state.forget(id) }
        }
        if let admitted = admit(slot, children: children) { return admitted }
        throw APIError.tooManyRequests("this client has \(maxExecutionsPerClient) unfinished executions (children of calls "
            + "included), the limit of security.max_executions_per_client; wait for some to finish")
    }

    private func admit(_ slot: Slot, children: Int) -> Slot? {
        state.withLock { state in
            guard state.executions[slot.client, default: []].count + children < maxExecutionsPerClient else { return nil }
            state.executions[slot.client, default: []].insert(slot.token)
            return slot
        }
    }

    /// Records the execution a reservation became (it counts until it is seen finished).
    func started(_ executionID: String, slot: Slot) {
        state.withLock { state in
            // Already finished (or paused): it never counted.
            if state.recentlySettled.contains(executionID) { return }
            state.executions[slot.client, default: []].insert(executionID)
            state.clients[executionID] = slot.client
        }
    }

    /// Forgets an execution that has finished or paused (``ClientLimitsPruner`` calls it from the store's change
    /// feed), so that what a client no longer holds takes no memory and no place.
    func settled(_ executionID: String) {
        state.withLock { $0.settled(executionID) }
    }

    /// How many unfinished executions count against the clients' limits (`flux_client_executions_tracked`).
    var trackedExecutions: Int { state.withLock { $0.clients.count } }

    /// Gives back a reservation (whether or not an execution was started with it).
    func release(_ slot: Slot) {
        state.withLock { state in
            state.executions[slot.client]?.remove(slot.token)
            if state.executions[slot.client]?.isEmpty == true { state.executions[slot.client] = nil }
        }
    }
}

/// Tells ``ClientLimits`` of every execution that finishes or pauses, from the store's change feed: a service of
/// `flux start server`. Without it, a client's finished executions would be forgotten only when it reaches its limit,
/// and every client address ever seen would keep its list.
struct ClientLimitsPruner: Service {
    let limits: ClientLimits
    let changes: AsyncStream<ExecutionChange>

    /// Nil for a store without a change feed. Subscribes at once, so nothing committed after this is missed.
    init?(limits: ClientLimits, store: any FluxStore) {
        guard let feed = store as? any ExecutionChangeFeed else { return nil }
        self.limits = limits
        changes = feed.changes()
    }

    func run() async throws {
        await cancelWhenGracefulShutdown {
            for await change in changes where change.state.isTerminal || change.state == .paused {
                limits.settled(change.executionID)
            }
        }
    }
}
