/// A workflow the engine can run, over JSON values: what ``Workflow`` and workflow documents both become.
public struct WorkflowDefinition: Sendable {
    public let name: String
    public let version: Int
    public let description: String
    /// JSON Schema of the input, when the workflow declares one.
    public let inputSchema: JSONValue?
    /// What a worker must have to run it (only servers with remote workers route by it; see ``ResourceRequest``).
    public let requests: ResourceRequest?
    public let body: @Sendable (_ input: JSONValue, _ execution: ExecutionInfo) async throws -> JSONValue

    public init(name: String, version: Int = 1, description: String = "", inputSchema: JSONValue? = nil,
                requests: ResourceRequest? = nil,
                body: @escaping @Sendable (_ input: JSONValue, _ execution: ExecutionInfo) async throws -> JSONValue) {
        self.name = name
        self.version = version
        self.description = description
        self.inputSchema = inputSchema
        self.requests = requests.flatMap { $0.isEmpty ? nil : $0 }
        self.body = body
    }
}

/// Which execution a workflow body is running for.
public struct ExecutionInfo: Sendable, Hashable {
    public let executionID: String
    public let workflowName: String
    public let workflowVersion: Int
}
