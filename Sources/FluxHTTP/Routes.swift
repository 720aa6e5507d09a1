import Flux
import FluxService
import Foundation
import HTTPTypes
import Hummingbird
import Logging

/// The handlers of the REST API. Each translates HTTP into one ``FluxService`` call and back.
struct Routes: Sendable {
    let service: FluxService
    let coordinator: ShutdownCoordinator
    let metrics: ServerMetrics
    let input: RequestInput
    let auth: BearerToken
    let admin: BearerToken
    let limits: ClientLimits
    let heartbeat: Duration
    let logger: Logger

    typealias Context = FluxRequestContext
    typealias Handler = @Sendable (Request, Context) async throws -> Response

    /// `handler` behind `security.auth_token` when it is set (401 without a bearer token, 403 with a wrong one).
    /// Reads need it as much as writes: inputs, outputs and events are data.
    /// The admin token stands in for the auth token, so that the operator sends one header.
    func authenticated(_ handler: @escaping Handler) -> Handler {
        { [auth, self] request, context in
            if !caller(request).mayUseSecrets { try auth.check(request) }
            return try await handler(request, context)
        }
    }

    /// Who sends `request`: the operator when it presents `security.admin_token` (FluxService's ``Caller`` decides).
    func caller(_ request: Request) -> Caller {
        Caller.restRequest(authorization: request.headers[.authorization], security: service.environment.configuration.security)
    }

    // MARK: - Workflows

    func listWorkflows(_ request: Request, _ context: Context) async throws -> Response {
        JSONResponse.make(.array(try await service.listWorkflows().map(Summaries.workflow)))
    }

    func registerWorkflow(_ request: Request, _ context: Context) async throws -> Response {
        let (text, sourceName) = try await input.document(request)
        return JSONResponse.make(.array(try await service.register(document: text, sourceName: sourceName, caller: caller(request))))
    }

    func showWorkflow(_ request: Request, _ context: Context) async throws -> Response {
        let name = try Self.parameter(context, "name")
        return JSONResponse.make(try await service.workflowDetails(name: name, version: try RequestInput.integer(request, "version"),
                                                                   caller: caller(request)))
    }

    func deleteWorkflow(_ request: Request, _ context: Context) async throws -> Response {
        let name = try Self.parameter(context, "name")
        let count = try await service.deleteWorkflow(name: name, version: try RequestInput.integer(request, "version"))
        return JSONResponse.make(["name": .string(name), "deleted_versions": .int(count)])
    }

    // MARK: - Running

    func run(_ request: Request, _ context: Context) async throws -> Response {
        let name = try Self.parameter(context, "name")
        let mode = try Self.mode(context)
        let detailed = try RequestInput.flag(request, "detailed")
        let version = try RequestInput.integer(request, "version")
        let value = try await input.json(request)
        if mode == .stream { try limits.openStream() }
        var streaming = false
        defer { if mode == .stream, !streaming { limits.closeStream() } }
        let slot = try await limits.reserveExecution(client: context.clientKey, store: service.store, engine: service.engine)
        defer { limits.release(slot) }
        switch mode {
        case .sync:
            let snapshot = try await coordinator.untilShutdown { [service] in
                try await service.run(workflow: name, version: version, input: value, mode: .sync)
            }
            metrics.recordTasks(snapshot.events)
            return JSONResponse.make(Summaries.execution(snapshot, detailed: detailed))
        case .async:
            let snapshot = try await service.run(workflow: name, version: version, input: value, mode: .async)
            limits.started(snapshot.record.id, slot: slot)
            return JSONResponse.make(Summaries.execution(snapshot, detailed: detailed), status: .accepted)
        case .stream:
            let snapshot = try await service.run(workflow: name, version: version, input: value, mode: .stream)
            limits.started(snapshot.record.id, slot: slot)
            streaming = true
            return stream(snapshot.record, after: 0, summaryFirst: true, holdsSlot: true)
        }
    }

    func resume(_ request: Request, _ context: Context) async throws -> Response {
        let name = try Self.parameter(context, "name")
        let executionID = try Self.parameter(context, "execution_id")
        let pauseID = RequestInput.string(request, "pause_id")
        let mode = try Self.mode(context)
        let detailed = try RequestInput.flag(request, "detailed")
        let value = try await input.json(request)
        if mode == .stream { try limits.openStream() }
        var streaming = false
        defer { if mode == .stream, !streaming { limits.closeStream() } }
        let slot = try await limits.reserveExecution(client: context.clientKey, store: service.store, engine: service.engine)
        defer { limits.release(slot) }
        switch mode {
        case .sync:
            let snapshot = try await coordinator.untilShutdown { [service] in
                try await service.resume(workflow: name, executionID: executionID, input: value, mode: .sync, pauseID: pauseID)
            }
            metrics.recordTasks(snapshot.events, after: snapshot.events.last(where: { $0.type == .workflowResuming })?.sequence ?? 0)
            return JSONResponse.make(Summaries.execution(snapshot, detailed: detailed))
        case .async:
            let snapshot = try await service.resume(workflow: name, executionID: executionID, input: value, mode: .async, pauseID: pauseID)
            limits.started(snapshot.record.id, slot: slot)
            return JSONResponse.make(Summaries.execution(snapshot, detailed: detailed), status: .accepted)
        case .stream:
            let snapshot = try await service.resume(workflow: name, executionID: executionID, input: value, mode: .stream, pauseID: pauseID)
            limits.started(snapshot.record.id, slot: slot)
            // Start at the WORKFLOW_RESUMING event the resume recorded, so the stream opens with `.execution.resuming`.
            let resuming = snapshot.events.last(where: { $0.type == .workflowResuming })?.sequence ?? snapshot.record.lastSequence
            streaming = true
            return stream(snapshot.record, after: max(0, resuming - 1), summaryFirst: false, holdsSlot: true)
        }
    }

    func status(_ request: Request, _ context: Context) async throws -> Response {
        let name = try Self.parameter(context, "name")
        let executionID = try Self.parameter(context, "execution_id")
        let snapshot = try await service.status(workflow: name, executionID: executionID)
        return JSONResponse.make(Summaries.execution(snapshot, detailed: try RequestInput.flag(request, "detailed")))
    }

    func cancel(_ request: Request, _ context: Context) async throws -> Response {
        let name = try Self.parameter(context, "name")
        let executionID = try Self.parameter(context, "execution_id")
        let detailed = try RequestInput.flag(request, "detailed")
        let wait: Bool
        switch RequestInput.string(request, "mode") ?? "async" {
        case "sync": wait = true
        case "async": wait = false
        case let other: throw APIError.badRequest("mode must be sync or async, got \(other)")
        }
        let snapshot = try await coordinator.untilShutdown { [service] in
            try await service.cancel(workflow: name, executionID: executionID, wait: wait)
        }
        return JSONResponse.make(Summaries.execution(snapshot, detailed: detailed), status: wait ? .ok : .accepted)
    }

    // MARK: - Executions

    func listExecutions(_ request: Request, _ context: Context) async throws -> Response {
        var state: ExecutionState?
        if let raw = RequestInput.string(request, "state") {
            guard let parsed = ExecutionState(name: raw) else {
                throw APIError.badRequest("state must be one of \(ExecutionState.allCases.map(\.rawValue).joined(separator: ", ")), got \(raw)")
            }
            state = parsed
        }
        let page = try await service.listExecutions(
            workflow: RequestInput.string(request, "workflow_name"), state: state,
            limit: try RequestInput.integer(request, "limit") ?? 50, cursor: RequestInput.string(request, "cursor"))
        return JSONResponse.make([
            "executions": .array(page.executions.map(Summaries.executionRow)),
            "next_cursor": page.nextCursor.map(JSONValue.string) ?? .null,
        ])
    }

    func execution(_ request: Request, _ context: Context) async throws -> Response {
        let snapshot = try await service.status(workflow: nil, executionID: try Self.parameter(context, "execution_id"))
        return JSONResponse.make(Summaries.execution(snapshot, detailed: try RequestInput.flag(request, "detailed")))
    }

    func events(_ request: Request, _ context: Context) async throws -> Response {
        let executionID = try Self.parameter(context, "execution_id")
        let after = try RequestInput.integer(request, "after") ?? 0
        guard after >= 0 else { throw APIError.badRequest("after must be 0 or more, got \(after)") }
        let events = try await service.events(executionID: executionID, after: after)
        return JSONResponse.make(["execution_id": .string(executionID), "events": .array(events.map(\.json))])
    }

    /// Follows an execution as SSE from `?after=` or the `Last-Event-ID` header (reconnects resume there).
    func watch(_ request: Request, _ context: Context) async throws -> Response {
        let executionID = try Self.parameter(context, "execution_id")
        var after = try RequestInput.integer(request, "after") ?? 0
        if let header = Self.lastEventID, let last = request.headers[header].flatMap({ Int($0) }) { after = max(after, last) }
        guard after >= 0 else { throw APIError.badRequest("after must be 0 or more, got \(after)") }
        let snapshot = try await service.status(workflow: nil, executionID: executionID)
        var record = snapshot.record
        // The frames describe the state as it was at `after`; the events that follow move it on.
        if let state = snapshot.events.last(where: { $0.sequence <= after && EventStream.state(after: $0.type) != nil })
            .flatMap({ EventStream.state(after: $0.type) }) {
            record.state = state
        } else {
            record.state = .created
        }
        try limits.openStream()
        return stream(record, after: after, summaryFirst: false, holdsSlot: true)
    }

    /// An SSE response; the stream place taken with `limits.openStream()` is given back when it ends.
    private func stream(_ record: ExecutionRecord, after: Int, summaryFirst: Bool, holdsSlot: Bool) -> Response {
        EventStream.response(service: service, coordinator: coordinator, metrics: metrics, record: record, after: after,
                             sendSummaryFirst: summaryFirst, heartbeat: heartbeat, onEnd: { [limits] in if holdsSlot { limits.closeStream() } })
    }

    // MARK: - Admin

    func listSecrets(_ request: Request, _ context: Context) async throws -> Response {
        try admin.check(request)
        if try RequestInput.flag(request, "detailed") { return JSONResponse.make(.array(try await service.secretGrants())) }
        return JSONResponse.make(.array(try await service.secretNames().map(JSONValue.string)))
    }

    func getSecret(_ request: Request, _ context: Context) async throws -> Response {
        try admin.check(request)
        let name = try Self.parameter(context, "name")
        return JSONResponse.make(["name": .string(name), "value": .string(try await service.secret(name: name))])
    }

    func setSecret(_ request: Request, _ context: Context) async throws -> Response {
        try admin.check(request)
        let body = try await input.json(request)
        let usage = "send {\"name\": \"...\", \"value\": \"...\", \"workflows\": [\"...\"]} with a non-empty string name, "
            + "a non-empty string value (leave it out to change only the grant) and, optionally, the workflows that may use it (null: any)"
        guard let name = body["name"]?.stringValue, !name.isEmpty else { throw APIError.badRequest(usage) }
        let value: String?
        switch body["value"] {
        case nil: value = nil
        case .string(let text)? where !text.isEmpty: value = text
        default: throw APIError.badRequest(usage)
        }
        let grant: SecretGrant?
        switch body["workflows"] {
        case nil: grant = nil
        case .null?: grant = .anyWorkflow
        case .array(let items)? where items.allSatisfy({ $0.stringValue != nil }): grant = .workflows(items.compactMap(\.stringValue))
        default: throw APIError.badRequest(usage)
        }
        guard value != nil || grant != nil else { throw APIError.badRequest(usage) }
        try await service.setSecret(name: name, value: value, grant: grant)
        let granted = switch grant {
        case nil: ""
        case .anyWorkflow?: " for any workflow"
        case .workflows(let names)?: " for workflows \(names.joined(separator: ", "))"
        }
        return JSONResponse.make(["status": "ok", "message": .string("secret \(name) set\(granted)")])
    }

    func deleteSecret(_ request: Request, _ context: Context) async throws -> Response {
        try admin.check(request)
        let name = try Self.parameter(context, "name")
        guard try await service.deleteSecret(name: name) else { throw APIError.notFound("no secret named \(name)") }
        return JSONResponse.make(["status": "ok", "message": .string("secret \(name) removed")])
    }

    // MARK: - Operations

    func ready(_ request: Request, _ context: Context) async throws -> Response {
        do {
            _ = try await service.store.countExecutionsByState()
            return JSONResponse.make(["status": "ready"])
        } catch {
            return APIError.unavailable("the store cannot be read: \(error)").response
        }
    }

    func metricsText(_ request: Request, _ context: Context) async throws -> Response {
        JSONResponse.text(try await metrics.render(service: service, limits: limits), contentType: "text/plain; version=0.0.4; charset=utf-8")
    }

    // MARK: - Parameters

    static func parameter(_ context: Context, _ name: String) throws(APIError) -> String {
        guard let raw = context.parameters.get(name), !raw.isEmpty else { throw .badRequest("the path lacks \(name)") }
        return raw.removingPercentEncoding ?? raw
    }

    static let lastEventID = HTTPField.Name("Last-Event-ID")

    static func mode(_ context: Context) throws(APIError) -> RunMode {
        let raw = context.parameters.get("mode") ?? ""
        guard let mode = RunMode(rawValue: raw) else { throw .badRequest("mode must be sync, async or stream, got \(raw)") }
        return mode
    }
}
