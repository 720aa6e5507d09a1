import Foundation

/// One `call` of another workflow from a running execution: what runs or places the child.
///
/// The child's execution id is derived from the parent's id and the call's task id, so a replayed parent finds the
/// same child, and a server can check that an execution is a given parent's child without remembering it.
///
/// ```swift
/// let id = ChildCall.childID(parentID: parent, callTaskID: taskID)
/// ```
public struct ChildCall: Sendable, Equatable {
    /// The called workflow.
    public let workflowName: String
    /// The child's input.
    public let input: JSONValue
    /// The child execution's id: ``childID(parentID:callTaskID:)``.
    public let childID: String
    /// The calling execution.
    public let parentID: String
    /// The task id of the call in the parent.
    public let callTaskID: String

    public init(workflowName: String, input: JSONValue, parentID: String, callTaskID: String) {
        self.workflowName = workflowName
        self.input = input
        self.parentID = parentID
        self.callTaskID = callTaskID
        self.childID = Self.childID(parentID: parentID, callTaskID: callTaskID)
    }

    /// The id of the child execution a call with task id `callTaskID` in execution `parentID` runs: 32 hex digits
    /// of a SHA-256 of both.
    public static func childID(parentID: String, callTaskID: String) -> String {
        String(TaskIdentity.sha256Hex("\(parentID)/\(callTaskID)").prefix(32))
    }
}
