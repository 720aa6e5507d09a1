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
        // 128 random bits as 32 lowercase hex digits, written straight into the string's buffer (this is on
        // the path of every execution; going through UUID().uuidString cost about 2 µs).
        var generator = SystemRandomNumberGenerator()
        let high = generator.next() as UInt64, low = generator.next() as UInt64
        return String(unsafeUninitializedCapacity: 32) { buffer in
            let digits: StaticString = "0123456789abcdef"
            for i in 0..<32 {
                let word = i < 16 ? high : low
                buffer[i] = digits.utf8Start[Int((word >> UInt64(60 - 4 * (i % 16))) & 0xF)]
            }
            return 32
        }
    }
}
