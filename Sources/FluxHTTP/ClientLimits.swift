import Flux
import Foundation
import Synchronization

/// What clients may hold at once: `security.max_open_streams` event streams (all clients together) and
/// `security.max_executions_per_client` unfinished executions started through this server by one client address.
/// Past either limit the request is answered 429 with `Retry-After`, before anything starts.
///
/// ```swift
/// let slot = try await limits.reserveExecution(client: context.clientKey, store: service.store)
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

    /// Holds a place for one more execution of `client`, after forgetting those that have finished or paused.
    func reserveExecution(client: String, store: any FluxStore) async throws -> Slot {
        let slot = Slot(client: client, token: "reserved:" + UUID().uuidString)
        if let admitted = admit(slot) { return admitted }
        // At the limit: drop what has settled since, then try again.
        let tracked = state.withLock { $0.executions[client] ?? [] }
        var settled: Set<String> = []
        for id in tracked where !id.hasPrefix("reserved:") {
            guard let record = try await store.execution(id: id) else { settled.insert(id); continue }
            if record.state.isTerminal || record.state == .paused { settled.insert(id) }
        }
        state.withLock { state in
            state.executions[client]?.subtract(settled)
            if state.executions[client]?.isEmpty == true { state.executions[client] = nil }
        }
        if let admitted = admit(slot) { return admitted }
        throw APIError.tooManyRequests("this client has \(maxExecutionsPerClient) unfinished executions, the limit of "
            + "security.max_executions_per_client; wait for some to finish")
    }

    private func admit(_ slot: Slot) -> Slot? {
        state.withLock { state in
            guard state.executions[slot.client, default: []].count < maxExecutionsPerClient else { return nil }
            state.executions[slot.client, default: []].insert(slot.token)
            return slot
        }
    }

    /// Records the execution a reservation became (it counts until it is seen finished).
    func started(_ executionID: String, slot: Slot) {
        state.withLock { $0.executions[slot.client, default: []].insert(executionID) }
    }

    /// Gives back a reservation (whether or not an execution was started with it).
    func release(_ slot: Slot) {
        state.withLock { state in
            state.executions[slot.client]?.remove(slot.token)
            if state.executions[slot.client]?.isEmpty == true { state.executions[slot.client] = nil }
        }
    }
}
