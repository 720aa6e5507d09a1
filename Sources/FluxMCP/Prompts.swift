import FluxCore
import MCP

/// The prompt `author_workflow(goal)`: everything an assistant needs to write a valid document for a goal.
extension FluxMCPServer {
    func prompts() -> [Prompt] {
        [
            Prompt(
                name: "author_workflow", title: "Write a Flux workflow",
                description: "Write a Flux workflow document (YAML) for a goal, check it with upload_workflow and run it.",
                arguments: [
                    .init(name: "goal", title: "Goal", description: "What the workflow should do, in plain words.", required: true),
                ]),
        ]
    }

    func prompt(name: String, arguments: [String: String]) throws -> GetPrompt.Result {
        guard name == "author_workflow" else {
            throw MCPError.invalidParams("Unknown prompt: \(name). prompts/list shows the prompts (author_workflow).")
        }
        guard let goal = arguments["goal"]?.trimmingCharacters(in: .whitespacesAndNewlines), !goal.isEmpty else {
            throw MCPError.invalidParams("author_workflow needs the argument goal: what the workflow should do")
        }
        let example = Self.staticResources.first { $0.uri == "flux://examples/pause.yaml" }?.text ?? ""
        let format = Self.staticResources.first { $0.uri == "flux://docs/workflow-format.md" }
        var messages: [Prompt.Message] = [.user(.text(text: """
            Write a Flux workflow document for this goal:

            \(goal)

            Rules:
            - A document is YAML (or JSON) starting with `flux: 1`, then `name` (lower-case letters, digits and _, \
            starting with a letter), an optional `description`, an optional `input` JSON Schema, `steps` and an \
            optional `output` expression.
            - Each step has a unique `id` and exactly one kind: set, task, builtin, pause, call, http, parallel, map, \
            pipeline, graph or exec. Steps read earlier results as `${{ steps.<id>.output }}` and the input as `${{ input }}`.
            - Use a `pause` step where a person must approve or supply data; the resume input becomes that step's output.
            - Options such as retry, timeout, fallback and rollback are described in the format reference below.

            Then:
            1. Call upload_workflow with the whole document as file_content. If it reports errors, each has a line and \
            column: fix every one and upload again.
            2. Call get_workflow_details to confirm the input schema, then execute_workflow_sync with input_data.
            3. If the result is PAUSED, ask for what the pause needs and call resume_workflow_sync.

            A small example that pauses for approval:

            ```yaml
            \(example)
            ```
            """))]
        if let format {
            messages.append(.user(.resource(
                resource: .text(format.text, uri: format.uri, mimeType: format.mimeType), annotations: nil, _meta: nil)))
        }
        return GetPrompt.Result(description: "Write a Flux workflow for: \(goal)", messages: messages)
    }
}
