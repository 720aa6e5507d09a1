import FluxCore
import FluxService
import Foundation
import Logging
import MCP
import Synchronization

/// Settings of the MCP front door that are not about transports.
public struct FluxMCPOptions: Sendable {
    /// The server name announced in `initialize` (`mcp.name`).
    public var name: String
    /// The server version announced in `initialize`.
    public var version: String
    /// One tool per registered workflow, named after it (`mcp.workflow_tools`).
    public var workflowTools: Bool
    /// How long the `*_sync` tools wait before answering with the execution still RUNNING.
    public var syncWaitLimit: Duration
    /// The largest JSON-RPC message accepted; larger ones get an error and are dropped.
    public var maxMessageBytes: Int
    /// Who the clients are to the service (``Caller/mcpClient(transport:security:)``): whether they may upload
    /// documents that request secrets and see which secrets a workflow requests.
    public var caller: Caller

    public init(name: String = "flux", version: String = FluxMCPServer.version, workflowTools: Bool = false,
                syncWaitLimit: Duration = .seconds(300), maxMessageBytes: Int = 4 << 20, caller: Caller = .untrusted) {
        self.name = name
        self.version = version
        self.workflowTools = workflowTools
        self.syncWaitLimit = syncWaitLimit
        self.maxMessageBytes = maxMessageBytes
        self.caller = caller
    }
}

/// The Flux MCP server: tools, resources and prompts over a ``FluxService`` in this process.
/// Each client connection (a stdio pipe, an HTTP session) gets its own `MCP.Server` from ``makeServer()``;
/// they share the service and hear about catalog changes together.
///
/// ```swift
/// let mcp = FluxMCPServer(service: service, options: FluxMCPOptions(workflowTools: true))
/// try await MCPStdio.run(mcp)
/// ```
public final class FluxMCPServer: Sendable {
    public static let version = FluxRelease.version

    public let service: FluxService
    public let options: FluxMCPOptions
    let logger: Logger
    let live = LiveServers()
    /// Tool calls being answered now (stdio waits for them when its input ends).
    let callsInFlight = Mutex<Int>(0)
    let startedAt = ContinuousClock.now

    public init(service: FluxService, options: FluxMCPOptions = FluxMCPOptions(), logger: Logger = Logger(label: "flux.mcp")) {
        self.service = service
        self.options = options
        self.logger = logger
    }

    static let instructions = """
        Flux runs durable workflows described in YAML or JSON documents. Typical use: list_workflows (or upload_workflow \
        a new document; see the resource flux://docs/workflow-format.md and the prompt author_workflow), then \
        execute_workflow_sync with input_data. A PAUSED execution waits for resume_workflow_sync with the input the pause \
        asks for. Long runs: execute_workflow_async, then get_execution_status. Every execution is stored and survives restarts.
        """

    /// A new MCP server for one client connection, with every handler registered. Start it on a transport;
    /// call ``closed(_:)`` when the connection ends.
    public func makeServer() async -> Server {
        let server = Server(
            name: options.name, version: options.version, title: "Flux workflows", instructions: Self.instructions,
            capabilities: .init(
                prompts: .init(listChanged: false),
                resources: .init(subscribe: false, listChanged: true),
                tools: .init(listChanged: options.workflowTools)),
            configuration: .default)  // MessageGuard refuses requests before initialize (strict mode would drop them unanswered)
        let reference = ServerReference(server)
        await server.withMethodHandler(ListTools.self) { [self] _ in
            ListTools.Result(tools: await self.listTools())
        }
        await server.withMethodHandler(CallTool.self) { [self] params in
            try await self.callTool(params, server: reference)
        }
        await server.withMethodHandler(ListResources.self) { [self] _ in
            ListResources.Result(resources: await self.listResources())
        }
        await server.withMethodHandler(ListResourceTemplates.self) { [self] _ in
            ListResourceTemplates.Result(templates: self.resourceTemplates())
        }
        await server.withMethodHandler(ReadResource.self) { [self] params in
            try await self.readResource(uri: params.uri)
        }
        await server.withMethodHandler(ListPrompts.self) { [self] _ in
            ListPrompts.Result(prompts: self.prompts())
        }
        await server.withMethodHandler(GetPrompt.self) { [self] params in
            try self.prompt(name: params.name, arguments: params.arguments ?? [:])
        }
        await live.add(server)
        return server
    }

    /// Forgets a server whose connection has ended.
    public func closed(_ server: Server) async {
        await live.remove(server)
    }

    /// Tells every connected client that the tool list (with workflow tools) and the resource list changed.
    func catalogChanged() async {
        for server in await live.all() {
            if options.workflowTools { try? await server.notify(ToolListChangedNotification.message()) }
            try? await server.notify(ResourceListChangedNotification.message())
        }
    }

    // MARK: - Tools

    func listTools() async -> [Tool] {
        var tools = ToolCatalog.all.map(\.tool)
        if options.workflowTools {
            tools += await workflowTools().map(\.tool)
        }
        return tools
    }

    /// One tool per registered workflow whose name is a valid tool name and no built-in tool's name.
    func workflowTools() async -> [ToolSpec] {
        guard let workflows = try? await service.listWorkflows() else { return [] }
        return workflows.compactMap { record in
            guard ToolCatalog.byName[record.name] == nil, Self.isToolName(record.name) else { return nil }
            return WorkflowTool.spec(for: record)
        }
    }

    static func isToolName(_ name: String) -> Bool {
        !name.isEmpty && name.count <= 64 && name.unicodeScalars.allSatisfy {
            ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) || $0 == "_" || $0 == "-"
        }
    }

    func callTool(_ params: CallTool.Parameters, server: ServerReference) async throws -> CallTool.Result {
        let answer = try await toolAnswer(name: params.name, arguments: (params.arguments ?? [:]).mapValues(\.jsonValue),
                                          progress: ProgressReporter(token: params._meta?.progressToken, server: server))
        return try CallTool.Result(content: [.text(text: answer.text, annotations: nil, _meta: nil)],
                               structuredContent: Optional(answer.structured.mcpValue), isError: answer.isError)
    }

    /// Answers a `tools/call` request from its JSON-RPC parameters (already checked by ``MessageGuard``) without
    /// the SDK's decoding, which costs more than the call itself for a short workflow: the streamable-HTTP
    /// transport uses it for calls without a progress token. Returns the JSON-RPC response, or nil when the
    /// request was cancelled (no response is sent then, as the specification asks).
    func answerToolCall(id: JSONValue, params: [String: JSONValue], server: ServerReference) async -> JSONValue? {
        let name = params["name"]?.stringValue ?? ""
        do {
            let answer = try await toolAnswer(name: name, arguments: params["arguments"]?.objectValue ?? [:],
                                              progress: ProgressReporter(token: nil, server: server))
            return ["jsonrpc": "2.0", "id": id, "result": answer.json]
        } catch is CancellationError {
            return nil
        } catch {
            let mcpError = error as? MCPError ?? MCPError.internalError(error.localizedDescription)
            let encoded = (try? JSONEncoder().encode(mcpError)).flatMap { try? JSONValue(parsing: $0) }
            return ["jsonrpc": "2.0", "id": id,
                    "error": encoded ?? ["code": .int(mcpError.code), "message": .string(mcpError.errorDescription ?? "error")]]
        }
    }

    /// Runs the tool `name` (a built-in tool, or a workflow tool when they are on). Throws `MCPError.invalidParams`
    /// for an unknown tool and `CancellationError` when the request was cancelled; every other failure is an answer
    /// with `isError`.
    func toolAnswer(name: String, arguments values: [String: JSONValue], progress: ProgressReporter) async throws -> ToolAnswer {
        callsInFlight.withLock { $0 += 1 }
        defer { callsInFlight.withLock { $0 -= 1 } }
        let arguments = ToolArguments(tool: name, values: values)
        let outcome: Result<JSONValue, ToolFailure>
        if let spec = ToolCatalog.byName[name] {
            do {
                try arguments.allowOnly(spec.argumentNames)
                if let namespace = try arguments.optionalString("workflow_namespace"), namespace != "default" {
                    throw ToolFailure("invalid_arguments", "no namespace \(namespace): this server has only the namespace \"default\"")
                }
                outcome = .success(try await run(spec.name, arguments, progress: progress))
            } catch let failure as ToolFailure {
                outcome = .failure(failure)
            } catch let error as ServiceError {
                outcome = .failure(ToolFailure(error))
            }
        } else if options.workflowTools, Self.isToolName(name),
                  let record = try? await service.store.workflow(name: name, version: nil) {
            do {
                outcome = .success(try await runWorkflowTool(record, arguments, progress: progress))
            } catch let failure as ToolFailure {
                outcome = .failure(failure)
            } catch let error as ServiceError {
                outcome = .failure(ToolFailure(error))
            }
        } else {
            throw MCPError.invalidParams("Unknown tool: \(name). Call tools/list for the tools this server has.")
        }
        return ToolAnswer(outcome)
    }

    /// Runs one built-in tool. Throws ``ToolFailure`` or ``ServiceError`` for failures the caller should see,
    /// `CancellationError` when the request was cancelled.
    func run(_ name: String, _ args: ToolArguments, progress: ProgressReporter) async throws -> JSONValue {
        switch name {
        case "list_workflows":
            let workflows = try await service.listWorkflows()
            return ["success": true, "workflows": .array(workflows.map(Summaries.workflow)), "count": .int(workflows.count)]

        case "get_workflow_details":
            let workflowName = try args.string("workflow_name")
            let details = try await serviceCall(hint: "list the registered workflows with list_workflows") {
                try await self.service.workflowDetails(name: workflowName, version: try args.optionalInt("version", range: 1...Int.max),
                                                       caller: self.options.caller)
            }
            return ["success": true, "workflow": details]

        case "upload_workflow":
            let text = try args.string("file_content")
            let sourceName = try args.optionalString("source_name") ?? "upload.yaml"
            let registered = try await serviceCall(hint: "fix the document and upload it again") {
                try await self.service.register(document: text, sourceName: sourceName, caller: self.options.caller)
            }
            await catalogChanged()
            return ["success": true, "workflows": .array(registered.compactMap { $0["name"] }), "result": .array(registered)]

        case "execute_workflow_sync", "execute_workflow_async":
            let workflowName = try args.string("workflow_name")
            let detailed = try args.bool("detailed", default: false)
            let version = try args.optionalInt("version", range: 1...Int.max)
            if name == "execute_workflow_sync" {
                let settled = try await serviceCall(hint: "list the registered workflows with list_workflows") {
                    try await self.runToSettlement(workflowName, version: version, input: args.input(), progress: progress)
                }
                return executionResult(settled, detailed: detailed)
            }
            let started = try await serviceCall(hint: "list the registered workflows with list_workflows") {
                try await self.service.run(workflow: workflowName, version: version, input: args.input(), mode: .async)
            }
            return executionResult(started, detailed: detailed)

        case "get_execution_status":
            let workflowName = try args.string("workflow_name")
            let executionID = try args.string("execution_id")
            let detailed = try args.bool("detailed", default: false)
            let snapshot = try await serviceCall(hint: "list executions with list_executions") {
                try await self.service.status(workflow: workflowName, executionID: executionID)
            }
            return executionResult(snapshot, detailed: detailed)

        case "cancel_execution":
            let workflowName = try args.string("workflow_name")
            let executionID = try args.string("execution_id")
            let mode = try args.optionalString("mode") ?? "async"
            guard mode == "async" || mode == "sync" else {
                throw ToolFailure("invalid_arguments", "mode must be \"async\" or \"sync\", got \"\(mode)\"")
            }
            let detailed = try args.bool("detailed", default: false)
            let snapshot = try await serviceCall(hint: "check its state with get_execution_status") {
                try await self.service.cancel(workflow: workflowName, executionID: executionID, wait: mode == "sync")
            }
            return [
                "success": true, "execution_id": .string(executionID), "workflow_name": .string(snapshot.record.workflowName),
                "cancellation_mode": .string(mode), "status": .string(snapshot.record.state.rawValue),
                "execution": Summaries.execution(snapshot, detailed: detailed),
            ]

        case "resume_workflow_sync", "resume_workflow_async":
            let workflowName = try args.string("workflow_name")
            let executionID = try args.string("execution_id")
            let detailed = try args.bool("detailed", default: false)
            let pauseID = try args.optionalString("pause_id")
            let resumed = try await serviceCall(hint: "check its state with get_execution_status") {
                try await self.service.resume(workflow: workflowName, executionID: executionID, input: args.input(), mode: .async,
                                              pauseID: pauseID)
            }
            if name == "resume_workflow_async" { return executionResult(resumed, detailed: detailed) }
            let settled = try await settle(resumed, progress: progress)
            return executionResult(settled, detailed: detailed)

        case "list_executions":
            let workflowName = try args.optionalString("workflow_name")
            var state: ExecutionState?
            if let text = try args.optionalString("state") {
                guard let parsed = ExecutionState(name: text) else {
                    throw ToolFailure("invalid_arguments", "state must be one of "
                        + ExecutionState.allCases.map(\.rawValue).joined(separator: ", ") + ", got \(text)")
                }
                state = parsed
            }
            let limit = try args.optionalInt("limit", range: 1...1000) ?? 50
            let cursor = try args.optionalString("cursor")
            let page = try await service.listExecutions(workflow: workflowName, state: state, limit: limit, cursor: cursor)
            return [
                "success": true, "executions": .array(page.executions.map(Summaries.executionRow)),
                "count": .int(page.executions.count), "next_cursor": page.nextCursor.map(JSONValue.string) ?? .null,
            ]

        case "get_execution_events":
            let executionID = try args.string("execution_id")
            let after = try args.optionalInt("after", range: 0...Int.max) ?? 0
            let events = try await serviceCall(hint: "list executions with list_executions") {
                try await self.service.events(executionID: executionID, after: after)
            }
            let state = try? await service.store.execution(id: executionID)?.state.rawValue
            return [
                "success": true, "execution_id": .string(executionID), "state": state.map(JSONValue.string) ?? .null,
                "events": .array(events.map(\.json)), "count": .int(events.count),
                "last_sequence": .int(events.last?.sequence ?? after),
            ]

        case "delete_workflow":
            let workflowName = try args.string("workflow_name")
            let version = try args.optionalInt("version", range: 1...Int.max)
            let count = try await serviceCall(hint: "list the registered workflows with list_workflows") {
                try await self.service.deleteWorkflow(name: workflowName, version: version)
            }
            await catalogChanged()
            return ["success": true, "workflow_name": .string(workflowName), "deleted_versions": .int(count)]

        case "list_workers":
            var workers = try await service.listWorkers()
            if let first = workers.first, first["kind"]?.stringValue == "embedded", var object = first.objectValue {
                object["process_id"] = .int(Int(ProcessInfo.processInfo.processIdentifier))
                object["host"] = .string(ProcessInfo.processInfo.hostName)
                workers[0] = .object(object)
            }
            return ["success": true, "workers": .array(workers), "count": .int(workers.count)]

        case "health_check":
            let uptime = (ContinuousClock.now - startedAt).seconds
            let running = await service.engine.runningExecutionIDs().count
            var result: JSONValue = [
                "success": true, "server": .string(options.name), "version": .string(options.version),
                "uptime_seconds": .double((uptime * 1000).rounded() / 1000), "executions_running": .int(running),
            ]
            do {
                let workflows = try await service.listWorkflows()
                result = result.merging(["status": "healthy", "store": "ok", "workflows": .int(workflows.count)])
            } catch {
                result = result.merging(["status": "unhealthy", "store": .string(error.message)])
            }
            return result

        default:
            throw ToolFailure("internal", "tool \(name) has no implementation")
        }
    }

    /// Calls the service, adding `hint` to not-found errors.
    func serviceCall<T>(hint: String, _ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as ServiceError where error.code == .notFound {
            throw ToolFailure(error, hint: error.message.contains(";") ? nil : hint)
        }
    }

    /// The execution summary the run, resume and status tools return, with a word on what to do next.
    func executionResult(_ snapshot: ExecutionSnapshot, detailed: Bool) -> JSONValue {
        var object = Summaries.execution(snapshot, detailed: detailed).objectValue ?? [:]
        object["success"] = true
        let id = snapshot.record.id
        let name = snapshot.record.workflowName
        switch snapshot.record.state {
        case .paused:
            let pending = snapshot.pendingPauses
            if pending.count > 1 {
                object["message"] = .string("Paused at \(pending.count) pauses: \(pending.map(\.name).joined(separator: ", ")). Resume each with "
                    + "resume_workflow_sync(workflow_name: \"\(name)\", execution_id: \"\(id)\", pause_id: <an id from pauses>, input_data: …); "
                    + "the input becomes that pause step's output.")
            } else {
                object["message"] = .string("Paused at \(snapshot.pauseName ?? "a pause point"). Resume it with resume_workflow_sync"
                    + "(workflow_name: \"\(name)\", execution_id: \"\(id)\", input_data: …); the input becomes the pause step's output.")
            }
        case .completed:
            object["message"] = "Completed; output holds the result."
        case .failed:
            object["message"] = "Failed; output holds the error. get_execution_events shows which step failed."
        case .cancelled:
            object["message"] = "Cancelled."
        case .cancelling:
            object["message"] = .string("Cancelling; get_execution_status(\"\(name)\", \"\(id)\") shows when it has stopped.")
        default:
            object["message"] = .string("Still \(snapshot.record.state.rawValue); poll get_execution_status(workflow_name: \"\(name)\", "
                + "execution_id: \"\(id)\").")
        }
        return .object(object)
    }

    /// Runs a new execution and waits until it settles or the wait limit passes. Without a progress token the
    /// execution runs inline, as REST's run/sync does (a short run is one durable transaction), in a task of its
    /// own: a cancelled request or the wait limit ends only the waiting. With a token it starts in the
    /// background and its completed steps are reported as progress.
    func runToSettlement(_ workflow: String, version: Int?, input: JSONValue, progress: ProgressReporter) async throws -> ExecutionSnapshot {
        guard !progress.isActive else {
            let started = try await service.run(workflow: workflow, version: version, input: input, mode: .async)
            return try await settle(started, progress: progress)
        }
        let service = self.service
        let executionID = ExecutionRecord.newID()
        let run = Task { try await service.run(workflow: workflow, version: version, input: input, mode: .sync, executionID: executionID) }
        if let settled = try await Self.value(of: run, within: options.syncWaitLimit) { return settled }
        // Still running at the limit: answer with what the store holds now. An inline run writes its row at its
        // first commit, which the engine's maintenance makes within half a second even for a silent body.
        let deadline = ContinuousClock.now + .seconds(2)
        while true {
            var failure: ServiceError?
            do {
                return try await service.status(workflow: nil, executionID: executionID)
            } catch {
                failure = error
            }
            guard let failure else { continue }
            guard failure.code == .notFound, ContinuousClock.now < deadline else { throw failure }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    /// The task's value, or nil once `limit` has passed first. Cancelling the caller throws `CancellationError`
    /// at once and leaves the task running.
    static func value<T: Sendable>(of task: Task<T, any Error>, within limit: Duration) async throws -> T? {
        let gate = Mutex<CheckedContinuation<T?, any Error>?>(nil)
        let finish: @Sendable (Result<T?, any Error>) -> Void = { result in
            gate.withLock { continuation in
                continuation?.resume(with: result)
                continuation = nil
            }
        }
        var watchers: [Task<Void, Never>] = []
        defer { watchers.forEach { $0.cancel() } }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T?, any Error>) in
                gate.withLock { $0 = continuation }
                if Task.isCancelled { finish(.failure(CancellationError())) }
                watchers.append(Task { finish(await task.result.map { Optional($0) }) })
                watchers.append(Task {
                    guard (try? await Task.sleep(for: limit)) != nil else { return }
                    finish(.success(nil))
                })
            }
        } onCancel: {
            finish(.failure(CancellationError()))
        }
    }

    /// Waits until the execution settles (or the wait limit passes), reporting each completed step as progress.
    /// Cancellation of the calling task ends only the waiting.
    func settle(_ started: ExecutionSnapshot, progress: ProgressReporter) async throws -> ExecutionSnapshot {
        let id = started.record.id
        let limit = options.syncWaitLimit
        let service = self.service
        let after = started.record.lastSequence
        // Whichever ends first: the execution settles (true) or the wait limit passes (false).
        _ = try await withThrowingTaskGroup(of: Bool.self) { group in
            group.addTask {
                var completed = 0
                try await Self.follow(service, executionID: id, after: after) { event in
                    guard progress.isActive else { return }
                    // Progress must only grow, so only completed steps count. No total: the steps a run completes (items
                    // of a map, branches, retries' fallbacks) are not known in advance, and a total that progress
                    // passed would be wrong.
                    guard event.type == .taskCompleted else { return }
                    completed += 1
                    await progress.report(Double(completed), total: nil, message: "step \(event.name) completed")
                }
                return true
            }
            group.addTask {
                try await Task.sleep(for: limit)
                return false
            }
            defer { group.cancelAll() }
            guard let first = try await group.next() else { return false }
            return first
        }
        try Task.checkCancellation()
        return try await service.status(workflow: nil, executionID: id)
    }

    /// Delivers the execution's events after `after` in order until it has finished or paused and every event is
    /// delivered (``FluxService/watch(executionID:after:)``).
    static func follow(_ service: FluxService, executionID: String, after: Int,
                       _ onEvent: (ExecutionEvent) async -> Void) async throws {
        do {
            for try await event in service.watch(executionID: executionID, after: after) {
                await onEvent(event)
            }
        } catch {
            throw ServiceError.wrap(error)
        }
        try Task.checkCancellation()
    }
}

extension JSONValue {
    func merging(_ other: [String: JSONValue]) -> JSONValue {
        guard var object = objectValue else { return self }
        object.merge(other) { _, new in new }
        return .object(object)
    }
}

/// A weak link from handlers to the server they are registered on (avoids a reference cycle).
final class ServerReference: @unchecked Sendable {
    private(set) weak var server: Server?
    init(_ server: Server) { self.server = server }
}

/// Sends `notifications/progress` for one request when it carried a progress token.
struct ProgressReporter: Sendable {
    let token: ProgressToken?
    let server: ServerReference

    var isActive: Bool { token != nil }

    func report(_ progress: Double, total: Double?, message: String) async {
        guard let token, let server = server.server else { return }
        try? await server.notify(ProgressNotification.message(
            .init(progressToken: token, progress: progress, total: total, message: message)))
    }
}

/// The servers of the connections open now.
actor LiveServers {
    private var servers: [ObjectIdentifier: Server] = [:]

    func add(_ server: Server) { servers[ObjectIdentifier(server)] = server }
    func remove(_ server: Server) { servers[ObjectIdentifier(server)] = nil }
    func all() -> [Server] { Array(servers.values) }
    var count: Int { servers.count }
}
