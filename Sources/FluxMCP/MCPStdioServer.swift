import Foundation
import Logging
import MCP

/// Serves one client over standard input and output until input ends.
public enum MCPStdioServer {
    public static func run(_ mcp: FluxMCPServer, logger: Logger = Logger(label: "flux.mcp.stdio")) async throws {
        let transport = StdioLineTransport(maxMessageBytes: mcp.options.maxMessageBytes, logger: logger)
        let server = await mcp.makeServer()
        try await server.start(transport: transport)
        logger.info("MCP server \(mcp.options.name) \(mcp.options.version) serving on standard input and output")
        await server.waitUntilCompleted()
        await mcp.closed(server)
        await server.stop()
        logger.info("standard input closed; MCP server stopped")
    }
}
