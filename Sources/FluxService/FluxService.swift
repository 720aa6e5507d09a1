import Flux
import FluxCore
import FluxDocuments
import Foundation
import Logging
import Synchronization

/// The use cases every door calls: register, list, show and delete workflows; run, resume, cancel,
/// watch and inspect executions; manage secrets. Doors translate their protocol into these calls and
/// the ``ServiceError``s back; they hold no state of their own.
///
/// ```swift
/// let service = try FluxService(environment: FluxEnvironment.open(configuration: .defaults))
/// let registered = try await service.register(document: yamlText, sourceName: "hello.yaml")
/// let summary = try await service.run(workflow: "hello_world", input: "World", mode: .sync)
/// ```
public final class FluxService: Sendable {
    public let environment: FluxEnvironment
    public var engine: FluxEngine { environment.engine }
    public var store: any FluxStore { environment.store }
    let logger: Logger
    let compiled = Mutex<[String: WorkflowDefinition]>([:])
    let swiftWorkflows: [String: WorkflowDefinition]
    let interpreterEnvironment: InterpreterEnvironment
    /// Remote workers: registrations, sessions, open streams and what each runs.
    let workers: WorkerRegistry
    /// Wakes the ``WorkerDispatcher`` when there may be work for workers.
    let dispatchSignal = DispatchSignal()
    /// Set by a resume or cancel so that the next dispatch pass looks at active executions at once.
    let activeScanRequested = Mutex(false)
    let placementState = Mutex<ExecutionPlacement>(.inProcess)
    /// What each workflow version needs of a worker, by `name@version`.
    let requirementCache = Mutex<[String: WorkRequirement]>([:])
    /// Workflow versions as dispatch last read them, by `name@version`.
    let workflowRecordCache = Mutex<[String: (workflow: WorkflowRecord?, at: ContinuousClock.Instant)]>([:])
    /// This machine and `workers.labels`, measured when the embedded executor first checks a request.
    let localCapacityState = Mutex<WorkerCapacity?>(nil)

    /// - Parameters:
    ///   - swiftTasks: tasks compiled into this binary that documents may call with `task:`.
    ///   - swiftWorkflows: workflows compiled into this binary, listed and runnable beside documents.
    public init(environment: FluxEnvironment, swiftTasks: [TaskDefinition] = [], swiftWorkflows: [WorkflowDefinition] = [],
                logger: Logger = Logger(label: "flux.service")) async throws {
        self.environment = environment
        self.logger = logger
        self.swiftWorkflows = Dictionary(swiftWorkflows.map { ($0.name, $0) }, uniquingKeysWith: { _, last in last })
        let security = environment.configuration.security
        let workerSettings = environment.configuration.workers
        let workerStore: any WorkerStore = (environment.store as? any WorkerStore) ?? InMemoryWorkerStore()
        let offerSeconds: Double = max(2, workerSettings.heartbeatInterval * 2)
        let staleSeconds: Double = max(1, workerSettings.heartbeatInterval * 3)
        workers = WorkerRegistry(store: workerStore, offerTimeout: .milliseconds(Int(offerSeconds * 1000)),
                                 staleAfter: .milliseconds(Int(staleSeconds * 1000)))
        interpreterEnvironment = InterpreterEnvironment(
            tasks: Dictionary(swiftTasks.map { ($0.name, $0) }, uniquingKeysWith: { _, last in last }),
            execAllowlist: security.execAllowlist, httpAllowHosts: security.httpAllowHosts, httpDenyHosts: security.httpDenyHosts,
            maxResponseBytes: security.maxBodyBytes)
        for definition in swiftWorkflows {
            await environment.engine.register(definition)
            _ = try await environment.store.saveWorkflow(WorkflowDraft(
                name: definition.name, kind: .swift, source: "", description: definition.description,
                inputSchema: definition.inputSchema, contentHash: "swift:\(definition.name):\(definition.version)"))
        }
        await environment.engine.setResolver { [weak self] name, version in
            try await self?.definition(name: name, version: version)
        }
    }

    /// Opens the environment of `configuration` (its store through ``StoreFactory``, so SQLite or
    /// PostgreSQL) and a service over it.
    public static func open(configuration: FluxConfiguration, swiftTasks: [TaskDefinition] = [], swiftWorkflows: [WorkflowDefinition] = []) async throws -> FluxService {
        let store = try await StoreFactory.open(configuration: configuration)
        return try await FluxService(environment: try FluxEnvironment.open(configuration: configuration, store: store),
                                     swiftTasks: swiftTasks, swiftWorkflows: swiftWorkflows)
    }

    // MARK: - Catalog

    /// Validates a YAML or JSON workflow document and stores each workflow in it as a new version
    /// (unless its content is unchanged). Nothing is stored when any part is invalid, nor when it requests
    /// secrets and `caller` may not use them (``ServiceError/Code/forbidden``): using a secret is a grant.
    public func register(document text: String, sourceName: String, caller: Caller = .untrusted) async throws(ServiceError) -> [JSONValue] {
        let maxBytes = environment.configuration.security.maxBodyBytes
        if text.utf8.count > maxBytes {
            throw ServiceError(.tooLarge, "\(sourceName): the document has \(text.utf8.count) bytes, more than the limit of \(maxBytes)")
        }
        let documents: [WorkflowDocument]
        do {
            documents = try DocumentParser.parse(text: text, sourceName: sourceName)
        } catch {
            throw ServiceError(.invalidDocument, error.description)
        }
        if !caller.mayUseSecrets {
            let requesting = documents.filter(\.usesSecrets)
            if !requesting.isEmpty {
                let names = Set(requesting.flatMap(\.secrets)).sorted()
                throw ServiceError(.forbidden, "\(sourceName): workflow\(requesting.count == 1 ? "" : "s") "
                    + "\(requesting.map(\.name).joined(separator: ", ")) request\(requesting.count == 1 ? "s" : "") "
                    + "secret\(names.count == 1 ? "" : "s") \(names.joined(separator: ", ")), and a workflow that may use a secret can "
                    + "reveal it, so only the operator may register such a document: \(caller.howToBeTrusted). Nothing was registered.")
            }
        }
        try await refuseCallCycles(documents, sourceName: sourceName)
        var results: [JSONValue] = []
        do {
            for document in documents {
                let record = try await store.saveWorkflow(WorkflowDraft(
                    name: document.name, kind: .document, source: document.source, description: document.description ?? "",
                    inputSchema: document.inputSchema, contentHash: document.contentHash))
                results.append(Summaries.workflow(record))
            }
        } catch {
            throw ServiceError.wrap(error)
        }
        return results
    }

    /// Refuses a document whose `call:` steps lead back to its own workflow (through the other workflows of the
    /// same text, then the catalog's latest versions): such a run would call until `executor.max_call_depth` stopped
    /// it. The error names the call step that starts the cycle and the cycle itself.
    private func refuseCallCycles(_ documents: [WorkflowDocument], sourceName: String) async throws(ServiceError) {
        let uploaded = Dictionary(documents.map { ($0.name, $0.calls.map(\.workflow)) }, uniquingKeysWith: { _, last in last })
        let store = self.store
        for document in documents where !document.calls.isEmpty {
            let cycle: (site: CallSite, path: [String])?
            do {
                cycle = try await document.callCycle { name in
                    if let calls = uploaded[name] { return calls }
                    guard let stored = try await store.workflow(name: name, version: nil), stored.kind == .document else { return nil }
                    let parsed = try? DocumentParser.parse(text: stored.source, sourceName: name).first { $0.name == name }
                    return parsed?.calls.map(\.workflow)
                }
            } catch {
                throw ServiceError.wrap(error)
            }
            guard let cycle else { continue }
            let problem = DocumentError(
                file: sourceName, line: cycle.site.location.line, column: cycle.site.location.column, path: cycle.site.location.path,
                message: "the calls \(cycle.path.joined(separator: " → ")) form a cycle: each run would start another until "
                    + "executor.max_call_depth stopped it; call a workflow that does not lead back to \(document.name)")
            throw ServiceError(.invalidDocument, problem.description)
        }
    }

    /// The latest version of every workflow.
    public func listWorkflows() async throws(ServiceError) -> [WorkflowRecord] {
        do { return try await store.listWorkflows() } catch { throw ServiceError.wrap(error) }
    }

    /// One workflow: its latest (or given) version with the document, every version, the input schema and the steps.
    /// The secrets it requests, and the document that names them, are shown only to a caller who may use secrets.
    public func workflowDetails(name: String, version: Int? = nil, caller: Caller = .untrusted) async throws(ServiceError) -> JSONValue {
        do {
            guard let record = try await store.workflow(name: name, version: version) else {
                throw ServiceError(.notFound, "no workflow named \(name)\(version.map { " with version \($0)" } ?? ""); list them with list_workflows")
            }
            var object = Summaries.workflow(record).objectValue ?? [:]
            object["versions"] = .array(try await store.workflowVersions(name: name).map { .int($0.version) })
            if record.kind == .document {
                let document = try? DocumentParser.parse(text: record.source, sourceName: name).first
                if caller.mayUseSecrets || document?.usesSecrets == false {
                    object["document"] = .string(record.source)
                }
                if let document {
                    object["steps"] = .array(document.steps.map { .string($0.id) })
                    // What each pause point shows and expects, so a resume can be written without reading the document.
                    object["pause_points"] = .array(document.pausePoints.map { point in
                        ["name": .string(point.name), "input": point.inputSchema ?? .null]
                    })
                    if caller.mayUseSecrets { object["secrets"] = .array(document.secrets.map { .string($0) }) }
                }
            }
            return .object(object)
        } catch {
            throw ServiceError.wrap(error)
        }
    }

    /// The stored document of a workflow's latest version (MCP's `flux://workflows/{name}`). A document that requests
    /// secrets names them, so it is shown only to a caller who may use secrets (else ``ServiceError/Code/forbidden``).
    public func workflowDocument(name: String, caller: Caller = .untrusted) async throws(ServiceError) -> WorkflowRecord {
        let record: WorkflowRecord?
        do { record = try await store.workflow(name: name, version: nil) } catch { throw ServiceError.wrap(error) }
        guard let record else { throw ServiceError(.notFound, "no workflow named \(name); list_workflows shows them") }
        if !caller.mayUseSecrets, requestsSecrets(record) {
            throw ServiceError(.forbidden, "the document of \(name) requests secrets, whose names are shown only to the operator: \(caller.howToBeTrusted)")
        }
        return record
    }

    /// Whether a stored workflow's document requests secrets (an unreadable document counts as requesting them).
    public func requestsSecrets(_ record: WorkflowRecord) -> Bool {
        guard record.kind == .document else { return false }
        guard let documents = try? DocumentParser.parse(text: record.source, sourceName: record.name) else { return true }
        return documents.contains(where: \.usesSecrets)
    }

    /// Deletes one version or every version of a workflow; returns how many versions went.
    public func deleteWorkflow(name: String, version: Int? = nil) async throws(ServiceError) -> Int {
        do {
            let count = try await store.deleteWorkflow(name: name, version: version)
            if count == 0 { throw ServiceError(.notFound, "no workflow named \(name)\(version.map { " with version \($0)" } ?? "")") }
            compiled.withLock { cache in cache = cache.filter { !$0.key.hasPrefix(name + "@") } }
            return count
        } catch {
            throw ServiceError.wrap(error)
        }
    }

    /// The runnable definition of a stored workflow version (documents are compiled once and cached).
    func definition(name: String, version: Int?) async throws -> WorkflowDefinition? {
        guard let record = try await store.workflow(name: name, version: version) else { return swiftWorkflows[name] }
        if record.kind == .swift { return swiftWorkflows[name] }
        let key = "\(name)@\(record.version)"
        if let cached = compiled.withLock({ $0[key] }) { return cached }
        guard let document = try DocumentParser.parse(text: record.source, sourceName: name).first(where: { $0.name == name }) else {
            throw ServiceError(.invalidDocument, "the stored document of \(name) version \(record.version) no longer defines it")
        }
        let definition = DocumentInterpreter.definition(for: document, version: record.version, environment: interpreterEnvironment)
        compiled.withLock { $0[key] = definition }
        return definition
    }
}
