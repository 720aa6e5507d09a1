import Foundation

/// A pause point a PAUSED execution waits at. Branches of a `parallel` or items of a `map` can wait at several at
/// once; each is resumed on its own, by its id.
///
/// ```swift
/// for pause in snapshot.pendingPauses { print(pause.id, pause.name, pause.path ?? "top level") }
/// try await engine.resume(executionID: id, input: "yes", pauseID: snapshot.pendingPauses[1].id)
/// ```
public struct PendingPause: Sendable, Hashable {
    /// The pause point's task id: what a resume names to answer this pause.
    public var id: String
    /// The name given to the pause point.
    public var name: String
    /// What the pause point shows to whoever resumes.
    public var output: JSONValue
    /// The JSON Schema the resume input should satisfy, when the pause point gives one.
    public var inputSchema: JSONValue?
    /// The branch it waits in: `parallel1.0` is the first branch (or item) of the workflow's first `parallel` or `map`,
    /// `parallel1.0/parallel2.3` the fourth of a composition nested in it; nil at the top level.
    public var path: String?

    public init(id: String, name: String, output: JSONValue, inputSchema: JSONValue? = nil, path: String?) {
        self.id = id
        self.name = name
        self.output = output
        self.inputSchema = inputSchema
        self.path = path
    }

    /// `{id, name, output, input, path}` (`input` the schema or null; `path` null at the top level).
    public var json: JSONValue {
        ["id": .string(id), "name": .string(name), "output": output, "input": inputSchema ?? .null,
         "path": path.map(JSONValue.string) ?? .null]
    }

    /// The branch part of a task id (between `@` and the occurrence suffix `~n`).
    static func path(ofTaskID taskID: String) -> String? {
        guard let at = taskID.firstIndex(of: "@") else { return nil }
        let scope = taskID[taskID.index(after: at)...]
        return String(scope.prefix { $0 != "~" })
    }
}

extension ExecutionSnapshot {
    /// The pause points a PAUSED execution waits at, in the order of their branches (`parallel1.2` before
    /// `parallel1.10`; top-level ones first), whatever order they paused in (empty unless PAUSED).
    public var pendingPauses: [PendingPause] {
        guard record.state == .paused else { return [] }
        return Self.pendingPauses(in: events)
    }

    /// Pause points recorded as paused and not yet resumed, in `events`.
    static func pendingPauses(in events: [ExecutionEvent]) -> [PendingPause] {
        let resumed = Set(events.lazy.filter { $0.type == .taskResumed }.map(\.sourceID))
        var seen: Set<String> = []
        let pending = events.compactMap { event -> PendingPause? in
            guard event.type == .taskPaused, !resumed.contains(event.sourceID), seen.insert(event.sourceID).inserted else { return nil }
            return PendingPause(id: event.sourceID, name: event.value["name"]?.stringValue ?? event.name,
                                output: event.value["output"] ?? .null, inputSchema: event.value["input"],
                                path: PendingPause.path(ofTaskID: event.sourceID))
        }
        // Branches pause in whatever order they reach their pause; list them in the document's order.
        return pending.enumerated().sorted { a, b in
            switch (a.element.path ?? "").compare(b.element.path ?? "", options: .numeric) {
            case .orderedAscending: return true
            case .orderedDescending: return false
            case .orderedSame: return a.offset < b.offset
            }
        }.map(\.element)
    }

    /// The pending pause a resume naming `pauseID` answers: that one, or, when `pauseID` is nil, the only one
    /// (nil when the execution records none, as a Swift workflow paused before pauses were recorded).
    ///
    /// - Throws: ``PauseSelectionError``: an id that is not pending, or none while several are.
    public func pause(answeredBy pauseID: String?) throws(PauseSelectionError) -> PendingPause? {
        let pending = Self.pendingPauses(in: events)
        if let pauseID {
            guard let pause = pending.first(where: { $0.id == pauseID }) else {
                throw .notPending(executionID: record.id, pauseID: pauseID, pending: pending.map(\.id))
            }
            return pause
        }
        guard pending.count <= 1 else { throw .notNamed(executionID: record.id, pending: pending) }
        return pending.first
    }
}

extension ExecutionEvent {
    /// The WORKFLOW_RESUMING event that records a resume request: its value is the input, its source the pause it
    /// answers (the workflow's own source when it names none).
    public static func resuming(executionID: String, workflowName: String, sequence: Int, input: JSONValue, pauseID: String?) -> ExecutionEvent {
        ExecutionEvent(id: ExecutionRecord.eventIDPrefix(executionID: executionID) + String(sequence), type: .workflowResuming,
                       sourceID: pauseID ?? "\(workflowName)_\(executionID)", name: workflowName, value: input, sequence: sequence)
    }
}

/// A resume that does not say which pause it answers well enough.
public enum PauseSelectionError: Error, Sendable, Hashable, CustomStringConvertible {
    /// It named a pause the execution does not wait at.
    case notPending(executionID: String, pauseID: String, pending: [String])
    /// It named none while the execution waits at several.
    case notNamed(executionID: String, pending: [PendingPause])

    public var description: String {
        switch self {
        case .notPending(let id, let pauseID, let pending):
            return "execution \(id) does not wait at pause \(pauseID); it waits at "
                + (pending.isEmpty ? "none" : pending.joined(separator: ", "))
        case .notNamed(let id, let pending):
            return "execution \(id) waits at \(pending.count) pauses; name the one to resume (pause id): "
                + pending.map { "\($0.id) (\($0.name)\($0.path.map { " in \($0)" } ?? ""))" }.joined(separator: ", ")
        }
    }
}
