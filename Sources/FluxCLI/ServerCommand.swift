import ArgumentParser
import Flux
import FluxHTTP
import FluxService
import Foundation
import Logging

/// `flux start server [--host H] [--port P]`: serves the REST API until SIGTERM or SIGINT.
struct StartServerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "server",
        abstract: "Serve the REST API (workflows, executions, SSE streams, admin secrets, /health, /metrics, /docs).",
        discussion: """
            Host and port default to server_host and server_port of the configuration (FLUX_SERVER_HOST, FLUX_SERVER_PORT).
            Port 0 picks a free port; the address is logged. Logs go to standard error. On start, executions that
            a dead process left unfinished are recovered. SIGTERM or SIGINT stops the server gracefully.
            """)

    @OptionGroup var service: ServiceOptions
    @Option(name: .long, help: "Address to listen on (default: server_host).") var host: String?
    @Option(name: .long, help: "Port to listen on; 0 picks a free one (default: server_port).") var port: Int?
    @Option(name: .long, help: .hidden) var heartbeatSeconds: Double = 15

    func validate() throws {
        if let port, !(0...65535).contains(port) { throw ValidationError("--port must be from 0 to 65535, got \(port)") }
        if !(heartbeatSeconds > 0) { throw ValidationError("--heartbeat-seconds must be more than 0") }
    }

    func run() async throws {
        let configuration = try service.loadConfiguration()
        StandardErrorLogging.bootstrap(configuration)
        let svc = try await service.openService()
        // Remote workers register with this server; with workers.embedded = false only they run executions.
        svc.enableWorkers(embedded: configuration.workers.embedded)
        let server = FluxHTTPServer(
            service: svc, host: host ?? configuration.serverHost, port: port ?? configuration.serverPort,
            heartbeat: .milliseconds(Int(heartbeatSeconds * 1000)), logger: Logger(label: "flux.server"))
        do {
            try await ServiceRunner.run(try await server.services(), gracefulLimit: .seconds(10), logger: server.logger)
        } catch let error as ServiceError {
            throw error
        } catch {
            throw ServiceError(.unavailable, "the server stopped: \(error)")
        }
        server.logger.info("flux REST API stopped")
    }
}
