import FluxCore

/// JSON Schemas of the tools' inputs and outputs.
enum Schemas {
    static let states: JSONValue = .array(ExecutionState.allCases.map { .string($0.rawValue) })

    static func object(_ properties: [String: JSONValue], required: [String] = [], closed: Bool = true) -> JSONValue {
        var schema: [String: JSONValue] = ["type": "object", "properties": .object(properties)]
        if !required.isEmpty { schema["required"] = .array(required.map { .string($0) }) }
        if closed { schema["additionalProperties"] = false }
        return .object(schema)
    }

    static func string(_ description: String) -> JSONValue { ["type": "string", "description": .string(description)] }
    static func integer(_ description: String, minimum: Int? = nil, maximum: Int? = nil, defaultValue: Int? = nil) -> JSONValue {
        var schema: [String: JSONValue] = ["type": "integer", "description": .string(description)]
        if let minimum { schema["minimum"] = .int(minimum) }
        if let maximum { schema["maximum"] = .int(maximum) }
        if let defaultValue { schema["default"] = .int(defaultValue) }
        return .object(schema)
    }
    static func boolean(_ description: String, defaultValue: Bool = false) -> JSONValue {
        ["type": "boolean", "description": .string(description), "default": .bool(defaultValue)]
    }

    static let workflowName = string("The workflow's name, as list_workflows shows it (e.g. hello_world).")
    static let executionID = string("The execution_id returned when the execution started.")
    static let pauseID = string("The id of the pause to answer (an entry of the execution's pauses). Needed when the "
        + "execution waits at several pauses (branches of a parallel or items of a map); optional when it waits at one.")
    static let detailed = boolean("Include every recorded event of the execution in the result.")
    static let version = integer("A version other than the latest (see get_workflow_details for the versions).", minimum: 1)
    static let inputData: JSONValue = [
        "description": """
            The workflow's input: any JSON value (object, array, string, number, boolean or null). A string that \
            holds JSON is parsed (so "{\\"name\\": \\"Ada\\"}" and {"name": "Ada"} mean the same); other text is \
            kept as a string. Omit it for workflows that take no input.
            """,
    ]

    // MARK: - Outputs

    static let event = object([
        "id": ["type": "string"], "type": ["type": "string"], "source_id": ["type": "string"], "name": ["type": "string"],
        "value": [:], "time": ["type": "string"], "sequence": ["type": "integer"],
    ], required: ["id", "type", "name", "time", "sequence"], closed: false)

    static let executionProperties: [String: JSONValue] = [
        "execution_id": ["type": "string"],
        "workflow_name": ["type": "string"],
        "workflow_version": ["type": "integer"],
        "state": ["type": "string", "enum": states],
        "input": ["description": "The input the execution started with."],
        "output": ["description": "The workflow's output once COMPLETED; the error once FAILED; null otherwise."],
        "created_at": ["type": "string"],
        "updated_at": ["type": "string"],
        "pause": object(["id": ["type": "string"], "name": ["type": "string"], "output": [:],
                         "input": ["description": "The JSON Schema of the resume input, or null."]], required: ["name"], closed: false),
        "pauses": [
            "type": "array", "description": "Every pause a PAUSED execution waits at; resume each by its id (pause_id).",
            "items": object(["id": ["type": "string"], "name": ["type": "string"], "output": [:],
                             "input": ["description": "The JSON Schema of the resume input, or null."],
                             "path": ["description": "The branch it waits in (parallel1.0 …), or null at the top level."]],
                            required: ["id", "name"], closed: false),
        ],
        "events": ["type": "array", "items": event],
    ]
    static let executionRequired = ["execution_id", "workflow_name", "workflow_version", "state", "input", "output", "created_at", "updated_at"]

    /// An execution summary as the run, resume and status tools return it.
    static let execution: JSONValue = {
        var properties = executionProperties
        properties["success"] = ["type": "boolean"]
        properties["message"] = ["type": "string", "description": "What the state means and what to do next."]
        return object(properties, required: ["success"] + executionRequired, closed: false)
    }()

    static let executionRow = object(executionProperties, required: executionRequired, closed: false)

    static let workflow = object([
        "name": ["type": "string"], "version": ["type": "integer"], "kind": ["type": "string"],
        "description": ["type": "string"], "input_schema": ["description": "JSON Schema of the input, or null."],
        "created_at": ["type": "string"],
    ], required: ["name", "version"], closed: false)
}
