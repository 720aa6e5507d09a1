/// The `mcp.transport` key: how the MCP server talks to clients.
///
/// ```swift
/// switch configuration.mcp.transport {
/// case .stdio: break            // read stdin, write stdout
/// case .sse, .streamableHTTP: break // listen on mcp.host:mcp.port
/// }
/// ```
public enum MCPTransport: String, ConfigurationChoice {
    /// Standard input and output.
    case stdio
    /// HTTP with server-sent events (legacy MCP transport).
    case sse
    /// MCP streamable HTTP.
    case streamableHTTP = "streamable-http"
}
