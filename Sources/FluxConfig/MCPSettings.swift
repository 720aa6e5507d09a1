/// The `[flux.mcp]` table: the Model Context Protocol server.
///
/// ```toml
/// [flux.mcp]
/// transport = "streamable-http"
/// port = 9000
/// workflow_tools = true
/// ```
public struct MCPSettings: Sendable, Equatable {
    /// `mcp.name`: the server name announced to clients. Default `"flux"`.
    public var name: String
    /// `mcp.host`: address to listen on for HTTP transports. Default `"127.0.0.1"`.
    public var host: String
    /// `mcp.port`: port to listen on for HTTP transports (1–65535). Default 8080.
    public var port: Int
    /// `mcp.transport`: how clients connect. Default ``MCPTransport/stdio``.
    public var transport: MCPTransport
    /// `mcp.server_url`: the Flux server the MCP server talks to; `nil` means `workers.server_url`'s server.
    public var serverURL: String?
    /// `mcp.auth_token`: bearer token clients must present. Secret.
    public var authToken: String?
    /// `mcp.workflow_tools`: expose each workflow as its own tool. Default `false`.
    public var workflowTools: Bool
    /// `mcp.allowed_origins`: `Origin` headers accepted by HTTP transports. Default empty.
    public var allowedOrigins: [String]
    /// `mcp.session_idle_timeout`: seconds before an idle session is closed (> 0). Default 600.
    public var sessionIdleTimeout: Double
    /// `mcp.max_stored_events`: events kept per session for resumption (≥ 1). Default 1000.
    public var maxStoredEvents: Int
    /// `mcp.max_stored_event_bytes`: bytes of events kept per session for resumption (≥ 65536); the oldest go first,
    /// and an event larger than this is sent but not kept. Default 4 MiB.
    public var maxStoredEventBytes: Int
    /// `mcp.max_unsent_bytes`: bytes an open SSE stream may hold that its client has not taken yet (≥ 65536); past it
    /// the client is dropped (its session ends). Default 8 MiB.
    public var maxUnsentBytes: Int

    /// Creates MCP settings; every argument defaults to the built-in default.
    ///
    /// ```swift
    /// let mcp = MCPSettings(port: 9000, transport: .streamableHTTP)
    /// ```
    public init(
        name: String = "flux",
        host: String = "127.0.0.1",
        port: Int = 8080,
        transport: MCPTransport = .stdio,
        serverURL: String? = nil,
        authToken: String? = nil,
        workflowTools: Bool = false,
        allowedOrigins: [String] = [],
        sessionIdleTimeout: Double = 600,
        maxStoredEvents: Int = 1000,
        maxStoredEventBytes: Int = 4 << 20,
        maxUnsentBytes: Int = 8 << 20
    ) {
        self.name = name
        self.host = host
        self.port = port
        self.transport = transport
        self.serverURL = serverURL
        self.authToken = authToken
        self.workflowTools = workflowTools
        self.allowedOrigins = allowedOrigins
        self.sessionIdleTimeout = sessionIdleTimeout
        self.maxStoredEvents = maxStoredEvents
        self.maxStoredEventBytes = maxStoredEventBytes
        self.maxUnsentBytes = maxUnsentBytes
    }
}
