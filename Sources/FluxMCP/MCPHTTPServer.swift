import FluxConfig
import Foundation
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle

/// Serves MCP over HTTP (streamable HTTP at /mcp and SSE at /sse + /messages) until SIGTERM or SIGINT.
public enum MCPHTTPServer {
    /// Listens on `settings.host:settings.port` (port 0 picks a free one). Once listening it writes
    /// `flux mcp listening on http://HOST:PORT` to standard error.
    public static func run(_ mcp: FluxMCPServer, settings: MCPSettings, logger: Logger = Logger(label: "flux.mcp.http")) async throws {
        let handler = MCPHTTPHandler(
            mcp: mcp, configuration: MCPHTTPHandler.Configuration(settings: settings, maxMessageBytes: mcp.options.maxMessageBytes),
            logger: logger)
        let router = Router()
        handler.addRoutes(to: router)
        let transportName = settings.transport.rawValue
        let app = Application(
            router: router,
            configuration: ApplicationConfiguration(address: .hostname(settings.host, port: settings.port), serverName: "flux-mcp"),
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? settings.port
                let host = settings.host.contains(":") ? "[\(settings.host)]" : settings.host
                let endpoint = transportName == "sse" ? "/sse" : "/mcp"
                FileHandle.standardError.write(Data("flux mcp listening on http://\(host):\(port)\(endpoint)\n".utf8))
            },
            logger: logger)
        let group = ServiceGroup(configuration: .init(
            services: [app, handler.sessionService], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }
}
