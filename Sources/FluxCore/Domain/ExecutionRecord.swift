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

    /// A new execution id: 32 lowercase hex digits, time-ordered.
    ///
    /// The first 12 digits are the Unix time in milliseconds, the last 20 are 80 random bits. Ids of executions
    /// created in a later millisecond sort after earlier ones (as text too, since every id has the same
    /// length), so the store's B-trees keyed by id (the executions' primary key, their events) receive each
    /// new execution next to the previous one instead of on a random page: a commit dirties fewer pages.
    /// Within one millisecond the order is random. Do not derive the creation time from an id: ids of older
    /// executions are 128 random bits, and subworkflow children get ids derived from their parent's.
    public static func newID() -> String {
        newID(milliseconds: UInt64(max(0, (Date().timeIntervalSince1970 * 1000).rounded(.down))))
    }

    /// ``newID()`` at a given Unix time in milliseconds (the low 48 bits are kept: enough until the year 10889).
    static func newID(milliseconds: UInt64) -> String {
        // Written straight into the string's buffer: this is on the path of every execution (going through
        // UUID().uuidString cost about 2 µs).
        var generator = SystemRandomNumberGenerator()
        let random = generator.next() as UInt64
        let high = (milliseconds & 0xFFFF_FFFF_FFFF) << 16 | (generator.next() as UInt64) >> 48
        return String(unsafeUninitializedCapacity: 32) { buffer in
            let digits: StaticString = "0123456789abcdef"
            for i in 0..<32 {
                let word = i < 16 ? high : random
                buffer[i] = digits.utf8Start[Int((word >> UInt64(60 - 4 * (i % 16))) & 0xF)]
            }
            return 32
        }
    }

    /// The prefix of the ids of an execution's events (the id's last 16 digits and a dash; a sequence number
    /// follows). The last digits are random in every id, old or new, while the first ones of a new id are
    /// its creation time, shared by every execution created in the same millisecond.
    public static func eventIDPrefix(executionID: String) -> String {
        "\(executionID.suffix(16))-"
    }
}
