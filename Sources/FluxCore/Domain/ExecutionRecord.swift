import Foundation

/// The stored row of one execution: everything but its events.
public struct ExecutionRecord: Sendable, Hashable, Codable {
    /// 32 lowercase hex characters.
    public var id: String
    public var workflowName: String
    public var workflowVersion: Int
    public var state: ExecutionState
    public var input: JSONValue
    /// The workflow's result once COMPLETED; `{type, message}` once FAILED; `null` otherwise.
    public var output: JSONValue
    /// Who executes it now (`host:pid:start` for an engine process, a worker name), or nil.
    public var owner: String?
    /// Incremented by every claim; commits must echo it so a stale owner cannot write.
    public var claimGeneration: Int
    /// When the owner's claim lapses unless renewed.
    public var leaseExpiresAt: Date?
    /// The sequence number of the last event stored for this execution (0 when none).
    public var lastSequence: Int
    public var createdAt: Date
    public var updatedAt: Date

    public init(
        id: String, workflowName: String, workflowVersion: Int, state: ExecutionState, input: JSONValue,
        output: JSONValue = .null, owner: String? = nil, claimGeneration: Int = 0, leaseExpiresAt: Date? = nil,
        lastSequence: Int = 0, createdAt: Date = Date(), updatedAt: Date = Date()
    ) {
        self.id = id
        self.workflowName = workflowName
        self.workflowVersion = workflowVersion
        self.state = state
        self.input = input
        self.output = output
        self.owner = owner
        self.claimGeneration = claimGeneration
        self.leaseExpiresAt = leaseExpiresAt
        self.lastSequence = lastSequence
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    /// A new execution id: 32 lowercase hex characters of a random UUID.
    public static func newID() -> String {
        var hex = UUID().uuidString.lowercased()
        hex.removeAll { $0 == "-" }
        return hex
    }
}
