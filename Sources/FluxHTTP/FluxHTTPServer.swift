import Flux
import FluxService
import Foundation
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle

/// The REST API of Flux on Hummingbird 2: workflows, executions (sync, async, and streamed as Server-Sent
/// Events), admin secrets, health, readiness, Prometheus metrics, and its own OpenAPI description.
///
/// ```swift
/// let server = FluxHTTPServer(service: service, host: "127.0.0.1", port: 8000)
/// let services = try await server.services()   // run them in one ServiceGroup
/// ```
public struct FluxHTTPServer: Sendable {
    public let service: FluxService
    public let host: String
    public let port: Int
    /// How often an open event stream sends a `: ping` comment.
    public let heartbeat: Duration
    public let logger: Logger

    public init(service: FluxService, host: String, port: Int, heartbeat: Duration = .seconds(15),
                logger: Logger = Logger(label: "flux.http")) {
        self.service = service
        self.host = host
        self.port = port
        self.heartbeat = heartbeat
        self.logger = logger
    }

    /// Recovers the executions that dead processes left behind, then returns the services that serve the API, in
    /// the order a `ServiceGroup` must hold them (they stop in reverse order): the application, then what closes
    /// open event streams and waiting requests at shutdown, the pruner of per-client limits, the store's change
    /// relay and the worker dispatcher. `onListening` gets the bound address (useful with port 0).
    ///
    /// ```swift
    /// let services = try await server.services()
    /// try await ServiceGroup(configuration: .init(services: services, gracefulShutdownSignals: [.sigterm], logger: logger)).run()
    /// ```
    public func services(onListening: @escaping @Sendable (_ host: String, _ port: Int) async -> Void = { _, _ in }) async throws -> [any Service] {
        // Without an embedded executor nothing runs here: the dispatcher hands abandoned executions to workers.
        let recovered = service.runsExecutionsInProcess ? try await service.engine.recoverAbandoned() : []
        if !recovered.isEmpty {
            logger.info("recovered \(recovered.count) execution(s) left unfinished: \(FluxEngine.summary(of: recovered))")
        }
        let coordinator = ShutdownCoordinator()
        let limits = Self.clientLimits(service)
        let router = makeRouter(coordinator: coordinator, limits: limits)
        let logger = self.logger
        let app = Application(
            router: router,
            configuration: ApplicationConfiguration(address: .hostname(host, port: port), serverName: "flux"),
            onServerRunning: { channel in
                let address = channel.localAddress
                let boundHost = address?.ipAddress ?? "?"
                let boundPort = address?.port ?? 0
                logger.notice("flux REST API listening on http://\(boundHost):\(boundPort) (docs at /docs, OpenAPI at /openapi.json)")
                await onListening(boundHost, boundPort)
            },
            logger: logger)
        var services: [any Service] = [app, ShutdownService(coordinator: coordinator, logger: logger)]
        if let pruner = ClientLimitsPruner(limits: limits, store: service.store) { services.append(pruner) }
        // Subscribed here, before the dispatcher's first pass reads the store, so that no change in between is missed.
        if let relay = StoreChangeRelay(service: service, logger: Logger(label: "flux.changes")) { services.append(relay) }
        if case .workers = service.placement {
            // Last, so it stops first and closes the workers' event streams before the drain.
            services.append(WorkerDispatcher(service: service, logger: Logger(label: "flux.dispatch")))
        }
        return services
    }

    static func clientLimits(_ service: FluxService) -> ClientLimits {
        let security = service.environment.configuration.security
        return ClientLimits(maxOpenStreams: security.maxOpenStreams, maxExecutionsPerClient: security.maxExecutionsPerClient)
    }

    /// The router with every route; exposed to the module for tests that want no socket.
    func makeRouter(coordinator: ShutdownCoordinator, limits: ClientLimits? = nil) -> Router<FluxRequestContext> {
        let security = service.environment.configuration.security
        let metrics = ServerMetrics()
        let routes = Routes(
            service: service, coordinator: coordinator, metrics: metrics,
            input: RequestInput(maxBodyBytes: security.maxBodyBytes),
            auth: BearerToken(expected: security.authToken, setting: "security.auth_token"),
            admin: BearerToken(expected: security.adminToken, setting: "security.admin_token", required: true),
            limits: limits ?? Self.clientLimits(service),
            heartbeat: heartbeat, logger: logger)
        let workerRoutes = WorkerRoutes(
            service: service, coordinator: coordinator, input: RequestInput(maxBodyBytes: security.maxBodyBytes),
            bootstrap: BearerToken(expected: service.environment.configuration.workers.bootstrapToken, setting: "workers.bootstrap_token", required: true),
            ping: .milliseconds(Int(max(0.05, service.environment.configuration.workers.heartbeatInterval) * 1000)))
        let originPolicy = HTTPOriginPolicy(allowedOrigins: security.allowedOrigins, bindHost: host)
        if originPolicy.bindsEveryInterface, security.authToken == nil {
            logger.warning("""
                the REST API listens on every interface (\(host)) without security.auth_token: anyone who can reach this \
                machine can register and run workflows and read their data; set security.auth_token \
                (FLUX_SECURITY__AUTH_TOKEN) or listen on 127.0.0.1
                """)
        }
        typealias Handler = @Sendable (Request, FluxRequestContext) async throws -> Response
        // Open: /health, /ready (they tell a supervisor only that the process and its store answer), /openapi.json and
        // /docs (the same for every server). The worker routes check their own tokens, the admin routes the admin
        // token; everything else, reads included, needs security.auth_token when it is set (docs/decisions.md).
        let token = routes.authenticated
        var table: [(method: HTTPRequest.Method, path: String, handler: Handler)] = [
            (.get, "/health", { _, _ in JSONResponse.make(["status": "ok"]) }),
            (.get, "/ready", routes.ready),
            (.get, "/metrics", token(routes.metricsText)),
            (.get, "/openapi.json", { _, _ in JSONResponse.text(OpenAPI.document, contentType: "application/json") }),
            (.get, "/docs", { _, _ in JSONResponse.text(OpenAPI.html, contentType: "text/html; charset=utf-8") }),

            (.get, "/workflows", token(routes.listWorkflows)),
            (.post, "/workflows", token(routes.registerWorkflow)),
            (.get, "/workflows/:name", token(routes.showWorkflow)),
            (.delete, "/workflows/:name", token(routes.deleteWorkflow)),
            (.post, "/workflows/:name/run/:mode", token(routes.run)),
            (.post, "/workflows/:name/resume/:execution_id/:mode", token(routes.resume)),
            (.get, "/workflows/:name/status/:execution_id", token(routes.status)),
            (.post, "/workflows/:name/cancel/:execution_id", token(routes.cancel)),
            (.get, "/workflows/:name/cancel/:execution_id", token(routes.cancel)),

            (.get, "/executions", token(routes.listExecutions)),
            (.get, "/executions/:execution_id", token(routes.execution)),
            (.get, "/executions/:execution_id/events", token(routes.events)),
            (.get, "/executions/:execution_id/stream", token(routes.watch)),

            (.get, "/workers", token(workerRoutes.list)),
            (.post, "/workers/register", workerRoutes.register),
            (.get, "/workers/:name/connect", workerRoutes.connect),
            (.post, "/workers/:name/claim/:execution_id", workerRoutes.claim),
            (.post, "/workers/:name/checkpoint/:execution_id", workerRoutes.checkpoint),
            (.post, "/workers/:name/heartbeat", workerRoutes.heartbeat),
            (.post, "/workers/:name/children", workerRoutes.placeChild),
            (.post, "/workers/:name/children/:execution_id/cancel", workerRoutes.cancelChild),
            (.post, "/workers/:name/executions", workerRoutes.createExecution),
            (.get, "/workers/:name/executions/:execution_id", workerRoutes.execution),
            (.get, "/workers/:name/workflows/:workflow", workerRoutes.workflow),
            (.get, "/workers/:name/cache/:key", workerRoutes.cachedValue),
            (.put, "/workers/:name/cache/:key", workerRoutes.storeCachedValue),
            (.post, "/workers/:name/secrets", workerRoutes.secrets),
        ]
        if security.encryptionKey == nil {
            logger.warning("admin routes (/admin/secrets) are not mounted: no security.encryption_key is configured (set FLUX_SECURITY__ENCRYPTION_KEY)")
            let disabled: Handler = { _, _ in
                APIError.unavailable("the admin API is off because no encryption key is configured: set security.encryption_key "
                    + "(FLUX_SECURITY__ENCRYPTION_KEY) and restart the server").response
            }
            for path in ["/admin", "/admin/**"] {
                for method in [HTTPRequest.Method.get, .post, .delete, .put] { table.append((method, path, disabled)) }
            }
        } else {
            if security.adminToken == nil {
                logger.warning("admin routes answer 403 to everyone: no security.admin_token is configured (set FLUX_SECURITY__ADMIN_TOKEN)")
            }
            table += [
                (.get, "/admin/secrets", routes.listSecrets),
                (.post, "/admin/secrets", routes.setSecret),
                (.get, "/admin/secrets/:name", routes.getSecret),
                (.delete, "/admin/secrets/:name", routes.deleteSecret),
            ]
        }

        let router = Router(context: FluxRequestContext.self)
        // Middleware first: routes capture the middleware added before them.
        router.add(middleware: MetricsMiddleware(metrics: metrics))
        // Before every route, unmatched paths included: a foreign Origin is 403, a Host not naming this server 421.
        router.add(middleware: OriginMiddleware<FluxRequestContext>(policy: originPolicy))
        router.add(middleware: JSONErrorMiddleware(logger: logger, routes: RouteTable(table.map { ($0.method, $0.path) })))
        for route in table {
            router.on(RouterPath(route.path), method: route.method, use: route.handler)
        }
        return router
    }
}
