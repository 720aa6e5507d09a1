import FluxCore
import FluxService
import Foundation
import MCP

/// The resources: the workflow format reference and schema, the example documents, each registered
/// workflow's document (`flux://workflows/{name}`) and each execution's status (`flux://executions/{id}`).
extension FluxMCPServer {
    struct StaticResource: Sendable {
        var uri: String
        var name: String
        var description: String
        var mimeType: String
        var text: String
    }

    static let staticResources: [StaticResource] = EmbeddedResources.files.map { file in
        let fileName = String(file.path.split(separator: "/").last ?? Substring(file.path))
        switch file.path {
        case "docs/workflow-format.md":
            return StaticResource(
                uri: "flux://docs/workflow-format.md", name: "workflow-format.md",
                description: "The workflow document format: every step kind, expressions, inputs, outputs, pauses, errors. Read it before writing a document.",
                mimeType: "text/markdown", text: file.text)
        case "docs/workflow.schema.json":
            return StaticResource(
                uri: "flux://docs/workflow.schema.json", name: "workflow.schema.json",
                description: "JSON Schema of workflow documents (structure only; upload_workflow also checks expressions and references).",
                mimeType: "application/schema+json", text: file.text)
        default:
            let firstComment = file.text.split(separator: "\n").first { $0.hasPrefix("#") }
                .map { $0.dropFirst().trimmingCharacters(in: .whitespaces) }
            return StaticResource(
                uri: "flux://examples/\(fileName)", name: fileName,
                description: "Example workflow document" + (firstComment.map { ": " + $0 } ?? "."),
                mimeType: fileName.hasSuffix(".json") ? "application/json" : "application/yaml", text: file.text)
        }
    }

    static func mimeType(ofDocument text: String) -> String {
        text.drop { $0.isWhitespace }.first == "{" ? "application/json" : "application/yaml"
    }

    func listResources() async -> [Resource] {
        var resources = Self.staticResources.map {
            Resource(name: $0.name, uri: $0.uri, description: $0.description, mimeType: $0.mimeType, size: $0.text.utf8.count)
        }
        if let workflows = try? await service.listWorkflows() {
            // A document that requests secrets names them: listed only for a client that may see them.
            for workflow in workflows where workflow.kind == .document && (options.caller.mayUseSecrets || !service.requestsSecrets(workflow)) {
                resources.append(Resource(
                    name: workflow.name, uri: "flux://workflows/\(workflow.name)", title: "Workflow \(workflow.name)",
                    description: (workflow.description.isEmpty ? "" : workflow.description + " ")
                        + "(the document of version \(workflow.version))",
                    mimeType: Self.mimeType(ofDocument: workflow.source), size: workflow.source.utf8.count))
            }
        }
        return resources
    }

    func resourceTemplates() -> [Resource.Template] {
        [
            Resource.Template(
                uriTemplate: "flux://executions/{execution_id}", name: "execution",
                description: "An execution's status as JSON: state, input, output, pause point and every event.",
                mimeType: "application/json"),
            Resource.Template(
                uriTemplate: "flux://workflows/{workflow_name}", name: "workflow",
                description: "The document of a registered workflow's latest version.", mimeType: "application/yaml"),
        ]
    }

    func readResource(uri: String) async throws -> ReadResource.Result {
        if let found = Self.staticResources.first(where: { $0.uri == uri }) {
            return ReadResource.Result(contents: [.text(found.text, uri: uri, mimeType: found.mimeType)])
        }
        if let name = uri.dropPrefix("flux://workflows/"), !name.isEmpty {
            let record: WorkflowRecord
            do { record = try await service.workflowDocument(name: name, caller: options.caller) } catch {
                throw MCPError.invalidParams("Resource not found: \(error.message)")
            }
            return ReadResource.Result(contents: [.text(record.source, uri: uri, mimeType: Self.mimeType(ofDocument: record.source))])
        }
        if let id = uri.dropPrefix("flux://executions/"), !id.isEmpty {
            do {
                let snapshot = try await service.status(workflow: nil, executionID: id)
                return ReadResource.Result(contents: [
                    .text(Summaries.execution(snapshot, detailed: true).prettyJSON, uri: uri, mimeType: "application/json"),
                ])
            } catch {
                throw MCPError.invalidParams("Resource not found: \(error.message)")
            }
        }
        throw MCPError.invalidParams("Resource not found: \(uri). resources/list and resources/templates/list show what there is")
    }
}

extension String {
    func dropPrefix(_ prefix: String) -> String? {
        hasPrefix(prefix) ? String(dropFirst(prefix.count)) : nil
    }
}
