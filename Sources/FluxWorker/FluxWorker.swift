import FluxConfig
import FluxCore
import FluxDocuments
import Foundation
import Logging
import ServiceLifecycle

/// A remote worker, as a ServiceLifecycle service: registers with a Flux server, listens on its event stream,
/// claims what it is offered, runs it on an ordinary ``FluxEngine`` whose store is the server
/// (``ServerBackedStore``: every commit is a checkpoint), and heartbeats with its in-flight executions and
/// resources. After network loss or a server restart it reconnects with jittered exponential backoff and
/// registers again on 401. On SIGTERM it takes no more work and gives executions in flight `shutdownGrace` to end.
///
/// ```swift
/// let worker = FluxWorker(options: try WorkerOptions(name: "w1", serverURL: "http://127.0.0.1:8000", bootstrapToken: token),
///                         configuration: configuration, swiftWorkflows: [report.definition], swiftTasks: [sendEmail.definition])
/// try await ServiceGroup(services: [worker], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger).run()
/// ```
public struct FluxWorker: Service {
    public let options: WorkerOptions
    let configuration: FluxConfiguration
    let swiftWorkflows: [WorkflowDefinition]
    let swiftTasks: [TaskDefinition]
    let logger: Logger

    public init(options: WorkerOptions, configuration: FluxConfiguration = .defaults, swiftWorkflows: [WorkflowDefinition] = [],
                swiftTasks: [TaskDefinition] = [], logger: Logger = Logger(label: "flux.worker")) {
        self.options = options
        self.configuration = configuration
        self.swiftWorkflows = swiftWorkflows
        self.swiftTasks = swiftTasks
        self.logger = logger
    }

    public func run() async throws {
        var generator = SystemRandomNumberGenerator()
        let incarnation = String(format: "%016llx", generator.next() as UInt64)
        let gpus = MachineResources.gpus()
        let registration = registrationBody(gpus: gpus)
        let connection = ServerConnection(options: options, incarnation: incarnation, logger: logger) { registration }
        let store = ServerBackedStore(connection: connection)

        let registered: ServerConnection.Session
        do {
            registered = try await cancelWhenGracefulShutdown { try await self.registerUntilAccepted(connection) }
        } catch {
            await connection.shutdown()
            if error is CancellationError { return }
            throw error
        }

        let engine = FluxEngine(
            store: store, secrets: ServerSecretProvider(connection: connection),
            configuration: EngineConfiguration(
                mapConcurrency: configuration.executor.mapConcurrency,
                leaseDuration: .milliseconds(Int(registered.leaseTimeout * 1000)),
                maxConcurrentExecutions: options.concurrency,
                maxMapItems: configuration.executor.maxMapItems, maxRecordedBytes: configuration.executor.maxRecordedBytes,
                callLimits: CallLimits(maxDepth: configuration.executor.maxCallDepth, maxDescendants: configuration.executor.maxDescendants)),
            ownerID: connection.owner, logger: logger)
        for definition in swiftWorkflows { await engine.register(definition) }
        let security = configuration.security
        let definitions = WorkflowDefinitions(
            swiftWorkflows: swiftWorkflows,
            environment: InterpreterEnvironment(
                tasks: Dictionary(swiftTasks.map { ($0.name, $0) }, uniquingKeysWith: { _, last in last }),
                execAllowlist: security.execAllowlist, httpAllowHosts: security.httpAllowHosts, httpDenyHosts: security.httpDenyHosts,
                maxResponseBytes: security.maxBodyBytes, mapConcurrency: configuration.executor.mapConcurrency),
            store: store)
        await engine.setResolver { name, version in try await definitions.definition(name: name, version: version) }
        await engine.setChildDelegate { call in try await store.placeChild(call) }

        let runner = WorkerRunner(connection: connection, store: store, engine: engine, definitions: definitions,
                                  slots: ExecutionSlots(capacity: options.concurrency), gpus: gpus, options: options, logger: logger)
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                try? await cancelWhenGracefulShutdown { await runner.listen() }
                await runner.slots.close()
                logger.info("worker \(options.name) takes no more work; waiting up to \(options.shutdownGrace) for executions in flight")
                // Done as soon as nothing is in flight, rather than at the heartbeats' next wake-up.
                let deadline = ContinuousClock.now + options.shutdownGrace
                while await runner.slots.count > 0, ContinuousClock.now < deadline, !Task.isCancelled {
                    try? await Task.sleep(for: .milliseconds(50))
                }
            }
            group.addTask { await runner.heartbeats() }
            // Heartbeats go on while executions finish; whichever ends first (the wait above, or the heartbeats'
            // own grace) ends the other.
            await group.next()
            group.cancelAll()
        }
        await connection.shutdown()
        logger.info("worker \(options.name) stopped")
    }

    /// Registers, retrying with backoff while the server cannot be reached; a refused bootstrap token is fatal.
    func registerUntilAccepted(_ connection: ServerConnection) async throws -> ServerConnection.Session {
        var backoff = Backoff(initial: .milliseconds(200), maximum: options.maxBackoff)
        while true {
            do {
                return try await connection.register()
            } catch let error as WorkerError where error.isTransient {
                logger.warning("cannot register yet (\(error)); retrying")
                try await Task.sleep(for: backoff.next())
            }
        }
    }

    func registrationBody(gpus: [JSONValue]) -> JSONValue {
        [
            "runtime": MachineResources.runtime, "resources": MachineResources.current(gpus: gpus),
            "labels": .array(options.labels.map(JSONValue.string)), "concurrency": .int(options.concurrency),
            "workflows": .array(swiftWorkflows.map {
                ["name": .string($0.name), "version": .int($0.version), "description": .string($0.description),
                 "input_schema": $0.inputSchema ?? .null, "requests": $0.requests?.json ?? .null]
            }),
            "tasks": .array(swiftTasks.map { .string($0.name) }),
        ]
    }
}

/// The worker's loops: the event stream, the executions it claims, the heartbeats.
struct WorkerRunner: Sendable {
    let connection: ServerConnection
    let store: ServerBackedStore
    let engine: FluxEngine
    let definitions: WorkflowDefinitions
    let slots: ExecutionSlots
    let gpus: [JSONValue]
    let options: WorkerOptions
    let logger: Logger

    /// Listens on `GET /workers/{name}/connect` until cancelled, reconnecting after every break.
    func listen() async {
        var backoff = Backoff(initial: .milliseconds(200), maximum: options.maxBackoff)
        while !Task.isCancelled {
            do {
                let session = try await connection.ensureSession()
                var request = try connection.makeRequest("GET", connection.workerPath("connect"), body: nil, token: session.token)
                request.headers.add(name: "Accept", value: "text/event-stream")
                let idle = Duration.milliseconds(Int(max(5, session.heartbeatInterval * 4) * 1000))
                let frames = EventStreamReader.frames(request, client: connection.http, idleTimeout: idle)
                for try await frame in frames {
                    switch frame.event {
                    case "connected":
                        backoff.reset()
                        logger.info("connected to \(options.serverURL.absoluteString)")
                    case "execution_scheduled", "execution_resumed":
                        if let json = try? JSONValue(parsing: frame.data) { await offered(json) }
                    case "execution_cancelled":
                        if let id = (try? JSONValue(parsing: frame.data))?["execution_id"]?.stringValue { store.markCancelled(id) }
                    default:
                        break
                    }
                }
                if Task.isCancelled { return }
                logger.notice("the server closed the event stream; reconnecting")
            } catch let refused as EventStreamReader.Refused where refused.status == 401 {
                logger.notice("the server no longer knows this worker's session; registering again")
                connection.forgetSession()
                continue
            } catch is CancellationError {
                return
            } catch {
                if Task.isCancelled { return }
                logger.warning("lost the server (\(error)); reconnecting")
            }
            try? await Task.sleep(for: backoff.next())
        }
    }

    /// An offer: take a slot, then claim and run in the background; with every slot taken, the offer waits for
    /// the next slot that frees (``ExecutionSlots``).
    func offered(_ offer: JSONValue) async {
        guard let id = offer["execution_id"]?.stringValue else { return }
        await definitions.seed(offer["workflow"])
        if await slots.reserve(id) {
            start(id)
        } else {
            await slots.wait(id)
        }
    }

    /// Runs `id` (its slot taken) in the background; its slot then goes to a waiting offer, if any.
    func start(_ id: String) {
        Task {
            var next: String? = id
            while let current = next {
                await run(current)
                store.forget(current)
                next = await slots.release(current)
            }
        }
    }

    /// Claims the execution and runs it until it ends, pauses, or its claim goes stale.
    func run(_ id: String) async {
        var attempt = 0
        while true {
            do {
                let claimed = try await connection.call("POST", connection.workerPath("claim/\(ServerConnection.segment(id))"))
                await definitions.seed(claimed["workflow"])
                let record = try WireFormat.record(from: claimed["execution"] ?? .null)
                let events = try WireFormat.events(from: claimed["events"])
                let snapshot = try await engine.runClaimed(record, events: events)
                logger.debug("execution \(id) of \(record.workflowName): \(snapshot.record.state.rawValue)")
                return
            } catch let error as WorkerError {
                switch error {
                case .conflict, .notFound:
                    logger.debug("execution \(id) was not claimed: \(error)")
                    return
                default:
                    attempt += 1
                    guard attempt < 4, error.isTransient else {
                        logger.warning("could not claim execution \(id): \(error)")
                        return
                    }
                    try? await Task.sleep(for: .milliseconds(100 * attempt))
                }
            } catch StoreError.staleClaim {
                logger.warning("execution \(id) was taken over by another worker (this worker's lease lapsed); stopped here")
                return
            } catch {
                logger.error("execution \(id) stopped on this worker: \(error)")
                return
            }
        }
    }

    /// Heartbeats every interval the server asked for, with the in-flight executions and resources; passes on
    /// cancellations. Ends once the worker is closed and idle, or the shutdown grace is over.
    func heartbeats() async {
        var closedAt: ContinuousClock.Instant?
        while true {
            let interval = connection.currentSession?.heartbeatInterval ?? 5
            try? await Task.sleep(for: .milliseconds(Int(max(0.05, interval) * 1000)))
            if Task.isCancelled { return }
            let inFlight = await slots.ids
            if await slots.closed {
                let since = closedAt ?? .now
                closedAt = since
                if inFlight.isEmpty { return }
                if ContinuousClock.now - since > options.shutdownGrace {
                    logger.warning("leaving \(inFlight.count) execution(s) unfinished; their leases lapse and other workers continue them")
                    return
                }
            }
            do {
                let answer = try await connection.call("POST", connection.workerPath("heartbeat"), body: [
                    "in_flight": .array(inFlight.map(JSONValue.string)), "resources": MachineResources.current(gpus: gpus),
                ])
                for id in answer["cancel"]?.arrayValue ?? [] { if let id = id.stringValue { store.markCancelled(id) } }
            } catch {
                logger.debug("heartbeat failed: \(error)")
            }
        }
    }
}
