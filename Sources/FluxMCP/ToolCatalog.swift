import FluxCore
import MCP

/// One tool the server lists: its name, what it does, and the JSON Schemas of its arguments and result.
struct ToolSpec: Sendable {
    var name: String
    var title: String
    var description: String
    var parameters: [String: JSONValue]
    var required: [String]
    var output: JSONValue
    var annotations: Tool.Annotations
    /// Accept arguments beyond `parameters` (workflow tools whose input schema allows them).
    var openSchema = false

    var inputSchema: JSONValue { Schemas.object(parameters, required: required, closed: !openSchema) }
    var argumentNames: [String] { parameters.keys.sorted() }

    var tool: Tool {
        Tool(name: name, title: title, description: description, inputSchema: inputSchema.mcpValue,
             annotations: annotations, outputSchema: output.mcpValue)
    }
}

/// The built-in tools, named and shaped as in the original Flux MCP server, plus a few more.
enum ToolCatalog {
    static let runNote = """
        Input is validated against the workflow's input schema first (see get_workflow_details).
        """
    static let waitNote = """
        It waits until the execution COMPLETES, FAILS, is CANCELLED or PAUSES (up to the server's wait limit; \
        past it the result says RUNNING and you poll get_execution_status). Progress notifications are sent as \
        steps complete when the request carries a progressToken. Cancelling this request (notifications/cancelled) \
        only stops the waiting: the execution goes on, and cancel_execution is how to stop it.
        """

    /// The original's 0.87 tools take `workflow_namespace`; this server has one namespace, `default`.
    static let namespace: JSONValue = [
        "type": "string", "enum": ["default"], "default": "default",
        "description": "Accepted for compatibility with Flux 0.87 clients; this server has only the namespace \"default\".",
    ]

    static let all: [ToolSpec] = specs.map { spec in
        var spec = spec
        if spec.parameters["workflow_name"] != nil || spec.name == "list_workflows" || spec.name == "upload_workflow" {
            spec.parameters["workflow_namespace"] = namespace
        }
        return spec
    }

    static let specs: [ToolSpec] = [
        ToolSpec(
            name: "list_workflows", title: "List workflows",
            description: "List every registered workflow (latest version of each) with its description and input schema. "
                + "Start here to find the workflow_name the other tools take.",
            parameters: [:], required: [],
            output: Schemas.object([
                "success": ["type": "boolean"], "workflows": ["type": "array", "items": Schemas.workflow], "count": ["type": "integer"],
            ], required: ["success", "workflows", "count"], closed: false),
            annotations: .init(readOnlyHint: true, openWorldHint: false)),
        ToolSpec(
            name: "get_workflow_details", title: "Show a workflow",
            description: "Show one workflow: its document (YAML or JSON), every stored version, its input schema and its steps. "
                + "Read the input schema before calling execute_workflow_sync.",
            parameters: ["workflow_name": Schemas.workflowName, "version": Schemas.version], required: ["workflow_name"],
            output: Schemas.object([
                "success": ["type": "boolean"],
                "workflow": Schemas.object([
                    "name": ["type": "string"], "version": ["type": "integer"], "versions": ["type": "array", "items": ["type": "integer"]],
                    "document": ["type": "string"], "steps": ["type": "array", "items": ["type": "string"]],
                ], required: ["name", "version"], closed: false),
            ], required: ["success", "workflow"], closed: false),
            annotations: .init(readOnlyHint: true, openWorldHint: false)),
        ToolSpec(
            name: "upload_workflow", title: "Register a workflow document",
            description: """
                Register a workflow document (YAML or JSON text, format in the resource flux://docs/workflow-format.md; \
                the prompt author_workflow helps write one). Each workflow in it is stored as a new version unless its \
                content is unchanged. Nothing is stored when any part is invalid: the error lists every problem with its \
                line and column, so fix them and upload again.
                """,
            parameters: [
                "file_content": Schemas.string("The whole document text (YAML or JSON) that starts with `flux: 1`."),
                "source_name": Schemas.string("A file name used in error messages (default upload.yaml)."),
            ], required: ["file_content"],
            output: Schemas.object([
                "success": ["type": "boolean"], "workflows": ["type": "array", "items": ["type": "string"]],
                "result": ["type": "array", "items": Schemas.workflow],
            ], required: ["success", "workflows", "result"], closed: false),
            annotations: .init(readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: false)),
        ToolSpec(
            name: "execute_workflow_sync", title: "Run a workflow and wait",
            description: "Start a new execution of a workflow and wait for it. " + waitNote + " " + runNote
                + " A PAUSED result names the pause point: continue it with resume_workflow_sync.",
            parameters: ["workflow_name": Schemas.workflowName, "input_data": Schemas.inputData, "detailed": Schemas.detailed,
                         "version": Schemas.version],
            required: ["workflow_name"], output: Schemas.execution,
            annotations: .init(readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true)),
        ToolSpec(
            name: "execute_workflow_async", title: "Start a workflow",
            description: "Start a new execution of a workflow and return at once with its execution_id; the execution runs "
                + "in this server. Follow it with get_execution_status or get_execution_events. " + runNote,
            parameters: ["workflow_name": Schemas.workflowName, "input_data": Schemas.inputData, "detailed": Schemas.detailed,
                         "version": Schemas.version],
            required: ["workflow_name"], output: Schemas.execution,
            annotations: .init(readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true)),
        ToolSpec(
            name: "get_execution_status", title: "Execution status",
            description: "Show an execution: its state (CREATED, RUNNING, PAUSED, COMPLETED, FAILED, CANCELLED, …), input, "
                + "output, the pause point it waits at, and with detailed=true every event.",
            parameters: ["workflow_name": Schemas.workflowName, "execution_id": Schemas.executionID, "detailed": Schemas.detailed],
            required: ["workflow_name", "execution_id"], output: Schemas.execution,
            annotations: .init(readOnlyHint: true, openWorldHint: false)),
        ToolSpec(
            name: "cancel_execution", title: "Cancel an execution",
            description: """
                Cancel a running, waiting or paused execution. The step in flight is interrupted and its rollback runs. \
                mode "async" (default) returns at once in CANCELLING; mode "sync" waits until it is CANCELLED. \
                A finished execution cannot be cancelled.
                """,
            parameters: [
                "workflow_name": Schemas.workflowName, "execution_id": Schemas.executionID,
                "mode": ["type": "string", "enum": ["async", "sync"], "default": "async",
                         "description": "async: return at once; sync: wait until the execution has stopped."],
                "detailed": Schemas.detailed,
            ],
            required: ["workflow_name", "execution_id"],
            output: Schemas.object([
                "success": ["type": "boolean"], "execution_id": ["type": "string"], "workflow_name": ["type": "string"],
                "cancellation_mode": ["type": "string"], "status": ["type": "string", "enum": Schemas.states],
                "execution": Schemas.executionRow,
            ], required: ["success", "execution_id", "workflow_name", "cancellation_mode", "status"], closed: false),
            annotations: .init(readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false)),
        ToolSpec(
            name: "resume_workflow_sync", title: "Resume a paused execution and wait",
            description: "Resume a PAUSED execution with input_data (which becomes the pause step's output) and wait for it. "
                + waitNote,
            parameters: ["workflow_name": Schemas.workflowName, "execution_id": Schemas.executionID,
                         "input_data": Schemas.inputData, "pause_id": Schemas.pauseID, "detailed": Schemas.detailed],
            required: ["workflow_name", "execution_id"], output: Schemas.execution,
            annotations: .init(readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true)),
        ToolSpec(
            name: "resume_workflow_async", title: "Resume a paused execution",
            description: "Resume a PAUSED execution with input_data (which becomes the pause step's output) and return at "
                + "once in RESUMING; follow it with get_execution_status.",
            parameters: ["workflow_name": Schemas.workflowName, "execution_id": Schemas.executionID,
                         "input_data": Schemas.inputData, "pause_id": Schemas.pauseID, "detailed": Schemas.detailed],
            required: ["workflow_name", "execution_id"], output: Schemas.execution,
            annotations: .init(readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true)),
        ToolSpec(
            name: "list_executions", title: "List executions",
            description: "List executions newest first, optionally of one workflow and in one state. Pass next_cursor back "
                + "as cursor for the next page.",
            parameters: [
                "workflow_name": Schemas.string("Only executions of this workflow."),
                "state": ["type": "string", "enum": Schemas.states, "description": "Only executions in this state."],
                "limit": Schemas.integer("How many to return.", minimum: 1, maximum: 1000, defaultValue: 50),
                "cursor": Schemas.string("The next_cursor of the previous page."),
            ],
            required: [],
            output: Schemas.object([
                "success": ["type": "boolean"], "executions": ["type": "array", "items": Schemas.executionRow],
                "count": ["type": "integer"], "next_cursor": ["type": ["string", "null"]],
            ], required: ["success", "executions", "count"], closed: false),
            annotations: .init(readOnlyHint: true, openWorldHint: false)),
        ToolSpec(
            name: "get_execution_events", title: "Execution events",
            description: "The events an execution has recorded (WORKFLOW_STARTED, TASK_COMPLETED, …) in order, each with its "
                + "sequence number. Pass the last sequence you saw as after to get only newer ones.",
            parameters: [
                "execution_id": Schemas.executionID,
                "after": Schemas.integer("Return only events with a greater sequence number.", minimum: 0, defaultValue: 0),
            ],
            required: ["execution_id"],
            output: Schemas.object([
                "success": ["type": "boolean"], "execution_id": ["type": "string"], "state": ["type": "string"],
                "events": ["type": "array", "items": Schemas.event], "count": ["type": "integer"], "last_sequence": ["type": "integer"],
            ], required: ["success", "execution_id", "events", "count", "last_sequence"], closed: false),
            annotations: .init(readOnlyHint: true, openWorldHint: false)),
        ToolSpec(
            name: "delete_workflow", title: "Delete a workflow",
            description: "Delete every version of a workflow, or one version. Its executions stay readable.",
            parameters: ["workflow_name": Schemas.workflowName,
                         "version": Schemas.integer("Delete only this version.", minimum: 1)],
            required: ["workflow_name"],
            output: Schemas.object([
                "success": ["type": "boolean"], "workflow_name": ["type": "string"], "deleted_versions": ["type": "integer"],
            ], required: ["success", "workflow_name", "deleted_versions"], closed: false),
            annotations: .init(readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: false)),
        ToolSpec(
            name: "list_workers", title: "List workers",
            description: "The executors that run executions: this process's embedded executor, with the executions it is "
                + "running now, and the remote workers registered on the store (flux start worker), with their resources, "
                + "labels, workflows, tasks and in-flight executions.",
            parameters: [:], required: [],
            output: Schemas.object([
                "success": ["type": "boolean"],
                "workers": ["type": "array", "items": Schemas.object([
                    "name": ["type": "string"], "kind": ["type": "string"], "executions_running": ["type": "integer"],
                    "running_execution_ids": ["type": "array", "items": ["type": "string"]],
                ], required: ["name", "kind", "executions_running"], closed: false)],
                "count": ["type": "integer"],
            ], required: ["success", "workers", "count"], closed: false),
            annotations: .init(readOnlyHint: true, openWorldHint: false)),
        ToolSpec(
            name: "health_check", title: "Health check",
            description: "Check that the server and its store answer: status, version, uptime, workflow count and running executions.",
            parameters: [:], required: [],
            output: Schemas.object([
                "success": ["type": "boolean"], "status": ["type": "string", "enum": ["healthy", "unhealthy"]],
                "server": ["type": "string"], "version": ["type": "string"], "uptime_seconds": ["type": "number"],
                "store": ["type": "string"], "workflows": ["type": "integer"], "executions_running": ["type": "integer"],
            ], required: ["success", "status"], closed: false),
            annotations: .init(readOnlyHint: true, openWorldHint: false)),
    ]

    static let byName: [String: ToolSpec] = Dictionary(all.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
}
