/// An execution as stored: its row and its events.
public struct ExecutionSnapshot: Sendable, Hashable {
    public var record: ExecutionRecord
    public var events: [ExecutionEvent]

    public init(record: ExecutionRecord, events: [ExecutionEvent]) {
        self.record = record
        self.events = events
    }

    /// The name of the pause point a PAUSED execution waits at.
    public var pauseName: String? {
        guard record.state == .paused else { return nil }
        return events.last(where: { $0.type == .workflowPaused })?.value.stringValue
    }

    /// The `output` given to the pause point a PAUSED execution waits at.
    public var pauseOutput: JSONValue? {
        guard record.state == .paused else { return nil }
        return events.last(where: { $0.type == .taskPaused })?.value["output"]
    }
}
