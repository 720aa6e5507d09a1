import Foundation

/// One change to an execution's row, as a store's change feed reports it: the execution was created,
/// its state moved, or new events were appended.
public struct ExecutionChange: Sendable, Hashable, CustomStringConvertible {
    public var executionID: String
    /// The state after the change.
    public var state: ExecutionState
    /// The highest stored event sequence after the change.
    public var lastSequence: Int

    public init(executionID: String, state: ExecutionState, lastSequence: Int) {
        self.executionID = executionID
        self.state = state
        self.lastSequence = lastSequence
    }

    public var description: String { "\(executionID) \(state.rawValue) #\(lastSequence)" }
}

/// A store that tells its readers when executions change, so that a dispatcher or a stream learns of
/// new work and state changes without polling.
///
/// The feed is a hint, not a log: a change made while a subscriber was not subscribed, while a
/// PostgreSQL listener was reconnecting, or that a subscriber too far behind had to drop, is not
/// replayed. Whoever must not miss work subscribes first, then reads the store once (for example
/// ``ExecutionStore/executions(inStates:limit:)``), and reads it again now and then.
///
/// ```swift
/// for await change in store.changes() where change.state == .created {
///     await dispatcher.offer(change.executionID)
/// }
/// ```
public protocol ExecutionChangeFeed: Sendable {
    /// Changes committed from now on, in commit order for any one execution. The stream ends when the
    /// store is closed; stop iterating (or cancel the task) to unsubscribe.
    func changes() -> AsyncStream<ExecutionChange>

    /// True when the feed also reports commits made by other processes (and other store objects) on the
    /// same database, as PostgreSQL's LISTEN/NOTIFY does; false when it reports only this store object's
    /// own commits, as SQLite's does. A process learns from such a feed what others did; from one that
    /// reports only its own commits it learns nothing it did not know, so it need not subscribe.
    var reportsOtherProcesses: Bool { get }
}

extension ExecutionRecord {
    /// The change a feed reports when this row has just been written.
    public var change: ExecutionChange {
        ExecutionChange(executionID: id, state: state, lastSequence: lastSequence)
    }
}
