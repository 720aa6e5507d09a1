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
/// try await server.run()   // until SIGTERM or SIGINT
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

    /// Recovers the executions that dead processes left behind, then serves until SIGTERM or SIGINT, after which
    /// it closes open event streams at once and lets requests in flight end. `onListening` gets the bound
    /// address (useful with port 0).
    public func run(onListening: @escaping @Sendable (_ host: String, _ port: Int) async -> Void = { _, _ in }) async throws {
        let recovered = try await service.engine.recoverAbandoned()
        if !recovered.isEmpty {
            logger.info("recovered \(recovered.count) execution(s) left unfinished: \(recovered.joined(separator: ", "))")
        }
        let coordinator = ShutdownCoordinator()
        let router = makeRouter(coordinator: coordinator)
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
        var configuration = ServiceGroupConfiguration(
            services: [
                .init(service: app),
                .init(service: ShutdownService(coordinator: coordinator, logger: logger)),
            ],
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger)
        // A backstop: whatever still runs this long after the signal is cancelled.
        configuration.maximumGracefulShutdownDuration = .seconds(10)
        try await ServiceGroup(configuration: configuration).run()
        logger.info("flux REST API stopped")
    }

    /// The router with every route; exposed to the module for tests that want no socket.
    func makeRouter(coordinator: ShutdownCoordinator) -> Router<BasicRequestContext> {
        let security = service.environment.configuration.security
        let metrics = ServerMetrics()
        let routes = Routes(
            service: service, coordinator: coordinator, metrics: metrics,
            input: RequestInput(maxBodyBytes: security.maxBodyBytes),
            auth: BearerToken(expected: security.authToken, setting: "security.auth_token"),
            admin: BearerToken(expected: security.adminToken, setting: "security.admin_token", required: true),
            heartbeat: heartbeat, logger: logger)
        let router = Router(context: BasicRequestContext.self)
        // Middleware first: routes capture the middleware added before them.
        router.add(middleware: MetricsMiddleware(metrics: metrics))
        router.add(middleware: JSONErrorMiddleware(logger: logger))

        router.get("/health") { _, _ in JSONResponse.make(["status": "ok"]) }
        router.get("/ready", use: routes.ready)
        router.get("/metrics", use: routes.metricsText)
        router.get("/openapi.json") { _, _ in JSONResponse.text(OpenAPI.document, contentType: "application/json") }
        router.get("/docs") { _, _ in JSONResponse.text(OpenAPI.html, contentType: "text/html; charset=utf-8") }

        router.get("/workflows", use: routes.listWorkflows)
        router.post("/workflows", use: routes.registerWorkflow)
        router.get("/workflows/:name", use: routes.showWorkflow)
        router.delete("/workflows/:name", use: routes.deleteWorkflow)
        router.post("/workflows/:name/run/:mode", use: routes.run)
        router.post("/workflows/:name/resume/:execution_id/:mode", use: routes.resume)
        router.get("/workflows/:name/status/:execution_id", use: routes.status)
        router.post("/workflows/:name/cancel/:execution_id", use: routes.cancel)
        router.get("/workflows/:name/cancel/:execution_id", use: routes.cancel)

        router.get("/executions", use: routes.listExecutions)
        router.get("/executions/:execution_id", use: routes.execution)
        router.get("/executions/:execution_id/events", use: routes.events)
        router.get("/executions/:execution_id/stream", use: routes.watch)

        if security.encryptionKey == nil {
            logger.warning("admin routes (/admin/secrets) are not mounted: no security.encryption_key is configured (set FLUX_SECURITY__ENCRYPTION_KEY)")
            let disabled: @Sendable (Request, BasicRequestContext) async throws -> Response = { _, _ in
                APIError.unavailable("the admin API is off because no encryption key is configured: set security.encryption_key "
                    + "(FLUX_SECURITY__ENCRYPTION_KEY) and restart the server").response
            }
            for path in ["/admin", "/admin/**"] {
                router.get(RouterPath(path), use: disabled)
                router.post(RouterPath(path), use: disabled)
                router.delete(RouterPath(path), use: disabled)
                router.put(RouterPath(path), use: disabled)
            }
        } else {
            if security.adminToken == nil {
                logger.warning("admin routes answer 403 to everyone: no security.admin_token is configured (set FLUX_SECURITY__ADMIN_TOKEN)")
            }
            router.get("/admin/secrets", use: routes.listSecrets)
            router.post("/admin/secrets", use: routes.setSecret)
            router.get("/admin/secrets/:name", use: routes.getSecret)
            router.delete("/admin/secrets/:name", use: routes.deleteSecret)
        }
        return router
    }
}
