import ArgumentParser
import Flux
import FluxService
import Foundation

/// What the `workflow` and `secrets` commands do, whether on the local store (``LocalClient``) or through a
/// Flux server's REST API (``RemoteClient``). Results are the API's JSON shapes (``Summaries``), so both print
/// the same.
protocol FluxClient: Sendable {
    func register(document: String, sourceName: String) async throws -> [JSONValue]
    func listWorkflows() async throws -> [JSONValue]
    func workflowDetails(name: String, version: Int?) async throws -> JSONValue
    func deleteWorkflow(name: String, version: Int?) async throws -> Int
    /// Runs and follows as `mode` says; `onEvent` gets each event (as `{id, type, …}`) in stream mode.
    func run(name: String, version: Int?, input: JSONValue, mode: RunModeArgument, detailed: Bool,
             onEvent: @escaping @Sendable (JSONValue) -> Void) async throws -> JSONValue
    /// Resumes the pending pause `pauseID` (nil: the only one) of a paused execution with `input`.
    func resume(name: String, executionID: String, input: JSONValue, pauseID: String?, mode: RunModeArgument, detailed: Bool,
                onEvent: @escaping @Sendable (JSONValue) -> Void) async throws -> JSONValue
    func status(name: String, executionID: String, detailed: Bool) async throws -> JSONValue
    func cancel(name: String, executionID: String, wait: Bool, detailed: Bool) async throws -> JSONValue

    func secretNames() async throws -> [String]
    /// Every secret's name and grant: `[{"name", "workflows": [names] or null}]`.
    func secretGrants() async throws -> [JSONValue]
    func secret(name: String) async throws -> String
    /// Sets the value (nil keeps it) and the grant (nil keeps it) of a secret.
    func setSecret(name: String, value: String?, grant: SecretGrant?) async throws
    /// False when there was no such secret.
    func deleteSecret(name: String) async throws -> Bool
}

/// `--server-url` and the token that goes with it, shared by the `workflow` and `secrets` commands.
struct ClientOptions: ParsableArguments {
    @OptionGroup var service: ServiceOptions

    @Option(name: .long, help: ArgumentHelp(
        "Work through the Flux server at this URL instead of the local store (default: workers.server_url when it is configured).",
        valueName: "url"))
    var serverURL: String?

    @Option(name: .long, help: ArgumentHelp("Bearer token for the server's state-changing routes (default: security.auth_token).", valueName: "token"))
    var authToken: String?

    /// The remote client when a server URL is given or configured, the local one otherwise. `detach`: what Ctrl-C does
    /// to an execution the local client runs and waits for (``RunInterruption``).
    func client(adminToken: String? = nil, detach: Bool = false) async throws -> any FluxClient {
        let configuration = try service.loadConfiguration()
        if let url = try serverURL.map(Self.checked) ?? Self.configuredServerURL(configuration) {
            return RemoteClient(baseURL: url, authToken: authToken ?? configuration.security.authToken,
                                adminToken: adminToken ?? configuration.security.adminToken)
        }
        return LocalClient(service: try await service.openService(), detachOnInterrupt: detach)
    }

    /// `workers.server_url` counts only when it was set (in flux.toml or FLUX_WORKERS__SERVER_URL), not its default.
    static func configuredServerURL(_ configuration: FluxConfiguration) -> URL? {
        let explicit = ProcessInfo.processInfo.environment["FLUX_WORKERS__SERVER_URL"] != nil
            || configuration.workers.serverURL != FluxConfiguration.defaults.workers.serverURL
        return explicit ? URL(string: configuration.workers.serverURL) : nil
    }

    static func checked(_ text: String) throws -> URL {
        guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https", url.host != nil else {
            throw ValidationError("--server-url must be an http:// or https:// URL, got \(text)")
        }
        return url
    }
}

/// The local store, through the service layer.
struct LocalClient: FluxClient {
    let service: FluxService
    /// Ctrl-C during a run this client waits for hands the execution to a background process instead of cancelling it.
    var detachOnInterrupt = false

    /// The local operator: trusted with secrets only when `security.trusted_local_operator` is true.
    var caller: Caller { Caller.localOperator(service.environment.configuration.security) }

    func register(document: String, sourceName: String) async throws -> [JSONValue] {
        try await service.register(document: document, sourceName: sourceName, caller: caller)
    }

    func listWorkflows() async throws -> [JSONValue] { try await service.listWorkflows().map(Summaries.workflow) }

    func workflowDetails(name: String, version: Int?) async throws -> JSONValue {
        try await service.workflowDetails(name: name, version: version, caller: caller)
    }

    func deleteWorkflow(name: String, version: Int?) async throws -> Int { try await service.deleteWorkflow(name: name, version: version) }

    func run(name: String, version: Int?, input: JSONValue, mode: RunModeArgument, detailed: Bool,
             onEvent: @escaping @Sendable (JSONValue) -> Void) async throws -> JSONValue {
        let id = ExecutionRecord.newID()
        let interruption = mode == .async ? nil : RunInterruption(executionID: id, workflow: name, detach: detachOnInterrupt, service: service)
        interruption?.arm()
        defer { interruption?.disarm() }
        let started = try await service.run(workflow: name, version: version, input: input, mode: mode == .sync ? .sync : .async,
                                            executionID: id)
        return Summaries.execution(try await follow(started, mode: mode, onEvent: onEvent), detailed: detailed)
    }

    func resume(name: String, executionID: String, input: JSONValue, pauseID: String?, mode: RunModeArgument, detailed: Bool,
                onEvent: @escaping @Sendable (JSONValue) -> Void) async throws -> JSONValue {
        let interruption = mode == .async ? nil
            : RunInterruption(executionID: executionID, workflow: name, detach: detachOnInterrupt, service: service)
        interruption?.arm()
        defer { interruption?.disarm() }
        let started = try await service.resume(workflow: name, executionID: executionID, input: input, mode: mode == .sync ? .sync : .async,
                                               pauseID: pauseID)
        return Summaries.execution(try await follow(started, mode: mode, onEvent: onEvent), detailed: detailed)
    }

    /// In stream mode reports every event as it is recorded, until the execution settles. In async mode the
    /// execution continues in a background `flux` process, since this one exits now.
    func follow(_ snapshot: ExecutionSnapshot, mode: RunModeArgument, onEvent: @Sendable (JSONValue) -> Void) async throws -> ExecutionSnapshot {
        switch mode {
        case .sync:
            return snapshot
        case .stream:
            for try await event in service.watch(executionID: snapshot.record.id, after: 0) { onEvent(event.json) }
            return try await service.status(workflow: nil, executionID: snapshot.record.id)
        case .async:
            try Background.continueInBackground(executionID: snapshot.record.id)
            return snapshot
        }
    }

    func status(name: String, executionID: String, detailed: Bool) async throws -> JSONValue {
        Summaries.execution(try await service.status(workflow: name, executionID: executionID), detailed: detailed)
    }

    func cancel(name: String, executionID: String, wait: Bool, detailed: Bool) async throws -> JSONValue {
        Summaries.execution(try await service.cancel(workflow: name, executionID: executionID, wait: wait), detailed: detailed)
    }

    func secretNames() async throws -> [String] { try await service.secretNames() }
    func secretGrants() async throws -> [JSONValue] { try await service.secretGrants() }
    func secret(name: String) async throws -> String { try await service.secret(name: name) }
    func setSecret(name: String, value: String?, grant: SecretGrant?) async throws { try await service.setSecret(name: name, value: value, grant: grant) }
    func deleteSecret(name: String) async throws -> Bool { try await service.deleteSecret(name: name) }
}
