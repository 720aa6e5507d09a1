import FluxCore
import FluxService
import MCP

/// With `mcp.workflow_tools`, each registered workflow is also a tool of its own name that runs it and waits.
/// A workflow whose input schema is an object takes its input as the tool's arguments; any other workflow
/// takes it as the argument `input`.
enum WorkflowTool {
    static func takesObject(_ schema: JSONValue?) -> Bool {
        schema?["type"]?.stringValue == "object"
    }

    static func spec(for record: WorkflowRecord) -> ToolSpec {
        let about = record.description.isEmpty ? "Runs the workflow \(record.name)." : record.description.trimmingCharacters(in: .whitespacesAndNewlines)
        let description = about + " (Flux workflow \(record.name), version \(record.version).) Starts an execution and waits until it "
            + "completes, fails, is cancelled or pauses; a paused run continues with resume_workflow_sync. Cancelling the request "
            + "stops only the waiting."
        var parameters: [String: JSONValue] = [:]
        var required: [String] = []
        var closed = true
        if takesObject(record.inputSchema), let schema = record.inputSchema?.objectValue {
            parameters = schema["properties"]?.objectValue ?? [:]
            required = schema["required"]?.arrayValue?.compactMap(\.stringValue) ?? []
            closed = schema["additionalProperties"]?.boolValue == false
        } else if let schema = record.inputSchema {
            parameters = ["input": schema]
            required = ["input"]
        } else {
            parameters = ["input": Schemas.inputData]
        }
        var spec = ToolSpec(name: record.name, title: record.name, description: description, parameters: parameters,
                            required: required, output: Schemas.execution,
                            annotations: .init(readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true))
        if !closed { spec.openSchema = true }
        return spec
    }
}

extension FluxMCPServer {
    func runWorkflowTool(_ record: WorkflowRecord, _ args: ToolArguments, progress: ProgressReporter) async throws -> JSONValue {
        let input: JSONValue
        if WorkflowTool.takesObject(record.inputSchema) {
            input = .object(args.values)
        } else {
            try args.allowOnly(["input"])
            input = args.input("input")
        }
        return executionResult(try await runToSettlement(record.name, version: nil, input: input, progress: progress), detailed: false)
    }
}
