import Foundation
import Logging
import MCP

/// Serves one client over standard input and output until input ends.
public enum MCPStdioServer {
    public static func run(_ mcp: FluxMCPServer, drainLimit: Duration = .seconds(30), logger: Logger = Logger(label: "flux.mcp.stdio")) async throws {
        let transport = StdioLineTransport(maxMessageBytes: mcp.options.maxMessageBytes, logger: logger)
        let server = await mcp.makeServer()
        try await server.start(transport: transport)
        logger.info("MCP server \(mcp.options.name) \(mcp.options.version) serving on standard input and output")
        await server.waitUntilCompleted()
        // Input ended: answer the calls already received (`printf '…' | flux start mcp` gets every answer),
        // for up to `drainLimit`.
        let deadline = ContinuousClock.now + drainLimit
        try? await Task.sleep(for: .milliseconds(50))
        while mcp.callsInFlight.withLock({ $0 }) > 0, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(20))
        }
        await mcp.closed(server)
        await server.stop()
        logger.info("standard input closed; MCP server stopped")
    }
}
