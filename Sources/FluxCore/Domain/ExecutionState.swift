/// Where an execution is in its life.
///
/// ```
/// CREATED → SCHEDULED → CLAIMED → RUNNING → COMPLETED | FAILED
///                                    ↘ PAUSED → RESUMING → RUNNING
///                                    ↘ CANCELLING → CANCELLED
/// ```
public enum ExecutionState: String, Sendable, Codable, CaseIterable, Hashable {
    case created = "CREATED"
    case scheduled = "SCHEDULED"
    case claimed = "CLAIMED"
    case running = "RUNNING"
    case paused = "PAUSED"
    case resuming = "RESUMING"
    case completed = "COMPLETED"
    case failed = "FAILED"
    case cancelling = "CANCELLING"
    case cancelled = "CANCELLED"

    /// COMPLETED, FAILED or CANCELLED: nothing more will happen to the execution.
    public var isTerminal: Bool {
        switch self {
        case .completed, .failed, .cancelled: return true
        default: return false
        }
    }

    /// States in which some process is (or should be) executing the workflow body.
    public var isActive: Bool {
        switch self {
        case .claimed, .running, .resuming, .cancelling: return true
        default: return false
        }
    }

    /// Accepts `completed`, `COMPLETED` or `Completed`.
    public init?(name: String) {
        self.init(rawValue: name.uppercased())
    }
}
