import FluxCore
import FluxDocuments
import Foundation

/// The workflows a worker's engine can run: the Swift workflows compiled into the binary, and documents fetched
/// from the server (or handed over with an offer), interpreted once per version with the binary's Swift tasks.
actor WorkflowDefinitions {
    let swiftWorkflows: [String: WorkflowDefinition]
    let environment: InterpreterEnvironment
    let store: ServerBackedStore
    private var documents: [String: WorkflowDefinition] = [:]

    init(swiftWorkflows: [WorkflowDefinition], environment: InterpreterEnvironment, store: ServerBackedStore) {
        self.swiftWorkflows = Dictionary(swiftWorkflows.map { ($0.name, $0) }, uniquingKeysWith: { _, last in last })
        self.environment = environment
        self.store = store
    }

    /// Remembers a document an offer or claim carried (`{name, version, kind, source}`), saving a request.
    func seed(_ payload: JSONValue?) {
        guard let payload, payload["kind"]?.stringValue == WorkflowKind.document.rawValue,
              let name = payload["name"]?.stringValue, let version = payload["version"]?.intValue,
              let source = payload["source"]?.stringValue, documents["\(name)@\(version)"] == nil
        else { return }
        if let definition = try? Self.interpret(name: name, version: version, source: source, environment: environment) {
            documents["\(name)@\(version)"] = definition
        }
    }

    /// The definition the engine's resolver asks for; nil lets the engine fall back to what is registered.
    func definition(name: String, version: Int?) async throws -> WorkflowDefinition? {
        if let swift = swiftWorkflows[name] { return swift }
        if let version, let cached = documents["\(name)@\(version)"] { return cached }
        guard let record = try await store.workflow(name: name, version: version) else { return nil }
        guard record.kind == .document else { return nil }
        let key = "\(name)@\(record.version)"
        if let cached = documents[key] { return cached }
        let definition = try Self.interpret(name: name, version: record.version, source: record.source, environment: environment)
        documents[key] = definition
        return definition
    }

    static func interpret(name: String, version: Int, source: String, environment: InterpreterEnvironment) throws -> WorkflowDefinition {
        guard let document = try DocumentParser.parse(text: source, sourceName: name).first(where: { $0.name == name }) else {
            throw EngineError.workflowNotFound(name)
        }
        return DocumentInterpreter.definition(for: document, version: version, environment: environment)
    }
}
