import FluxConfig
import Foundation
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle

/// MCP over HTTP (streamable HTTP at /mcp and SSE at /sse + /messages).
public enum MCPHTTPServer {
    /// The services that serve MCP on `settings.host:settings.port` (port 0 picks a free one), in the order a
    /// `ServiceGroup` must hold them: the application, then the session service, which stops first and closes
    /// every open stream so that the application's drain ends at once. Once listening the application writes
    /// `flux mcp listening on http://HOST:PORT/mcp` (or `/sse`) to standard error.
    ///
    /// ```swift
    /// let services = MCPHTTPServer.services(mcp, settings: configuration.mcp)
    /// try await ServiceGroup(configuration: .init(services: services, gracefulShutdownSignals: [.sigterm], logger: logger)).run()
    /// ```
    public static func services(_ mcp: FluxMCPServer, settings: MCPSettings, logger: Logger = Logger(label: "flux.mcp.http")) -> [any Service] {
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
        return [app, handler.sessionService]
    }
}
