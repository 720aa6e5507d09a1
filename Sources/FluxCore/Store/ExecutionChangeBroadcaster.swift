import Foundation
import Synchronization

/// Fans changes out to every current subscriber: the plumbing behind a store's
/// ``ExecutionChangeFeed``.
///
/// ```swift
/// let broadcaster = ExecutionChangeBroadcaster()
/// let stream = broadcaster.subscribe()
/// broadcaster.publish(ExecutionChange(executionID: id, state: .created, lastSequence: 0))
/// ```
public final class ExecutionChangeBroadcaster: Sendable {
    private struct State {
        var subscribers: [UUID: AsyncStream<ExecutionChange>.Continuation] = [:]
        var finished = false
    }

    /// How many changes a subscriber that does not keep up may have waiting before the oldest are dropped.
    public let bufferLimit: Int
    private let state = Mutex(State())

    public init(bufferLimit: Int = 65_536) {
        self.bufferLimit = max(1, bufferLimit)
    }

    /// A new subscription; it ends when the subscriber stops iterating or ``finish()`` is called.
    public func subscribe() -> AsyncStream<ExecutionChange> {
        let (stream, continuation) = AsyncStream.makeStream(of: ExecutionChange.self,
                                                            bufferingPolicy: .bufferingNewest(bufferLimit))
        let id = UUID()
        let added = state.withLock { state -> Bool in
            guard !state.finished else { return false }
            state.subscribers[id] = continuation
            return true
        }
        guard added else {
            continuation.finish()
            return stream
        }
        continuation.onTermination = { [weak self] _ in
            _ = self?.state.withLock { $0.subscribers.removeValue(forKey: id) }
        }
        return stream
    }

    /// Whether anyone is subscribed (publishers may skip building changes nobody reads).
    public var hasSubscribers: Bool {
        state.withLock { !$0.subscribers.isEmpty }
    }

    /// Hands `change` to every subscriber.
    public func publish(_ change: ExecutionChange) {
        let subscribers = state.withLock { Array($0.subscribers.values) }
        for subscriber in subscribers { subscriber.yield(change) }
    }

    /// Ends every subscription, and every later one at once.
    public func finish() {
        let subscribers = state.withLock { state -> [AsyncStream<ExecutionChange>.Continuation] in
            state.finished = true
            defer { state.subscribers = [:] }
            return Array(state.subscribers.values)
        }
        for subscriber in subscribers { subscriber.finish() }
    }
}
