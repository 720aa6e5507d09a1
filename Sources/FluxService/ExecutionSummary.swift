import FluxCore

/// The JSON shapes the doors return for executions and workflows.
public enum Summaries {
    /// `{execution_id, workflow_name, workflow_version, state, input, output, created_at, updated_at, [pause, pauses],
    /// [events]}`. A PAUSED execution lists every pause it waits at in `pauses` (`{id, name, output, path}`); `pause`
    /// is the first of them (`{id, name, output}`), for clients that resume one pause at a time.
    public static func execution(_ snapshot: ExecutionSnapshot, detailed: Bool) -> JSONValue {
        var object = executionRow(snapshot.record).objectValue ?? [:]
        let pending = snapshot.pendingPauses
        if let first = pending.first {
            object["pause"] = ["id": .string(first.id), "name": .string(first.name), "output": first.output,
                               "input": first.inputSchema ?? .null]
            object["pauses"] = .array(pending.map(\.json))
        } else if let name = snapshot.pauseName {
            object["pause"] = ["name": .string(name), "output": snapshot.pauseOutput ?? .null]
        }
        if detailed { object["events"] = .array(snapshot.events.map(\.json)) }
        return .object(object)
    }

    /// An execution without its events (for lists).
    public static func executionRow(_ record: ExecutionRecord) -> JSONValue {
        [
            "execution_id": .string(record.id), "workflow_name": .string(record.workflowName),
            "workflow_version": .int(record.workflowVersion), "state": .string(record.state.rawValue),
            "input": record.input, "output": record.output,
            "created_at": .string(Timestamp.format(record.createdAt)), "updated_at": .string(Timestamp.format(record.updatedAt)),
        ]
    }

    /// `{name, version, kind, description, input_schema, created_at}`.
    public static func workflow(_ record: WorkflowRecord) -> JSONValue {
        [
            "name": .string(record.name), "version": .int(record.version), "kind": .string(record.kind.rawValue),
            "description": .string(record.description), "input_schema": record.inputSchema ?? .null,
            "created_at": .string(Timestamp.format(record.createdAt)),
        ]
    }
}
