import Foundation

/// Where a child execution of `call` sits in its tree: its parent, the root execution the tree started from, and its
/// depth (1 for a root's child). The store keeps one per child, so the limits on calls (``CallLimits``) hold across
/// restarts and processes.
///
/// ```swift
/// let lineage = try await CallLineage.admit(call, store: store, limits: CallLimits(maxDepth: 10, maxDescendants: 10_000))
/// lineage.depth   // 1 when call.parentID is a root
/// ```
public struct CallLineage: Sendable, Hashable {
    /// The child execution.
    public var executionID: String
    /// The execution whose `call` started it.
    public var parentID: String
    /// The execution at the top of the tree (one that no `call` started).
    public var rootID: String
    /// How many calls lie between the root and this execution: 1 for a root's child.
    public var depth: Int

    public init(executionID: String, parentID: String, rootID: String, depth: Int) {
        self.executionID = executionID
        self.parentID = parentID
        self.rootID = rootID
        self.depth = depth
    }
}

/// The bounds on what `call` may start from one root execution (docs/security.md, "Limits").
///
/// ```swift
/// CallLimits(maxDepth: 10, maxDescendants: 10_000)   // executor.max_call_depth, executor.max_descendants
/// ```
public struct CallLimits: Sendable, Hashable {
    /// The deepest a child may be (a root's child is at depth 1).
    public var maxDepth: Int
    /// The most executions `call` may start under one root, over the root's whole life.
    public var maxDescendants: Int

    public init(maxDepth: Int = 10, maxDescendants: Int = 10_000) {
        self.maxDepth = maxDepth
        self.maxDescendants = maxDescendants
    }
}

/// The store of ``CallLineage``s.
public protocol CallLineageStore: Sendable {
    /// The lineage of `executionID`, or nil when it is a root (no `call` started it).
    func lineage(executionID: String) async throws -> CallLineage?

    /// Records `lineage` unless its root has `maxDescendants` descendants already; true when it is recorded (or was
    /// already). The count and the insert are one statement, so concurrent calls under one root cannot pass the limit.
    func recordLineage(_ lineage: CallLineage, maxDescendants: Int) async throws -> Bool
}

extension CallLineage {
    /// Admits the child execution of `call`: finds its lineage when it was admitted before (a parent replayed after
    /// a crash), else records a new one, or fails with ``ExecutionLimitExceeded`` when the child would be deeper
    /// than `limits.maxDepth` or its root already has `limits.maxDescendants` descendants.
    public static func admit(_ call: ChildCall, store: any CallLineageStore, limits: CallLimits) async throws -> CallLineage {
        if let known = try await store.lineage(executionID: call.childID) { return known }
        let parent = try await store.lineage(executionID: call.parentID)
        let lineage = CallLineage(executionID: call.childID, parentID: call.parentID, rootID: parent?.rootID ?? call.parentID,
                                  depth: (parent?.depth ?? 0) + 1)
        if lineage.depth > limits.maxDepth {
            throw ExecutionLimitExceeded.callDepth(workflow: call.workflowName, depth: lineage.depth, limit: limits.maxDepth)
        }
        guard try await store.recordLineage(lineage, maxDescendants: limits.maxDescendants) else {
            throw ExecutionLimitExceeded.descendants(workflow: call.workflowName, root: lineage.rootID, limit: limits.maxDescendants)
        }
        return lineage
    }
}
