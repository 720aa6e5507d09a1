import ArgumentParser
import Flux
import FluxMCP
import FluxService
import Foundation
import Logging
import ServiceLifecycle

/// `flux start …`: long-running servers.
struct StartCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "start", abstract: "Start a long-running Flux server.", subcommands: [StartMCPCommand.self, StartServerCommand.self, StartWorkerCommand.self])
}

/// `flux start mcp`: the Model Context Protocol server.
struct StartMCPCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mcp",
        abstract: "Serve workflows to AI assistants over the Model Context Protocol.",
        discussion: """
            With --transport stdio (the default) standard output carries only protocol messages and logs go to \
            standard error. streamable-http serves /mcp and sse serves /sse + /messages on --host:--port \
            (127.0.0.1:8080 by default). Defaults come from [flux.mcp] in flux.toml and FLUX_MCP__* variables; \
            set mcp.auth_token to require `Authorization: Bearer <token>` on every HTTP request.
            """)

    @OptionGroup var service: ServiceOptions
    @Option(help: "stdio, sse or streamable-http (default: mcp.transport).") var transport: String?
    @Option(help: "Address to listen on for HTTP transports (default: mcp.host).") var host: String?
    @Option(help: "Port to listen on for HTTP transports (default: mcp.port).") var port: Int?
    @Option(help: "Server name announced to clients (default: mcp.name).") var name: String?
    @Flag(inversion: .prefixedNo, help: "Expose each registered workflow as a tool of its own (default: mcp.workflow_tools).")
    var workflowTools: Bool?

    func run() async throws {
        let directory = service.configDirectory.map { URL(fileURLWithPath: $0) } ?? URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
        var configuration = try FluxConfiguration.load(directory: directory)
        if let transport {
            guard let chosen = MCPTransport(rawValue: transport) else {
                throw ValidationError("--transport must be stdio, sse or streamable-http, not \(transport)")
            }
            configuration.mcp.transport = chosen
        }
        if let host { configuration.mcp.host = host }
        if let port {
            guard (0...65535).contains(port) else { throw ValidationError("--port must be from 0 to 65535, not \(port)") }
            configuration.mcp.port = port
        }
        if let name { configuration.mcp.name = name }
        if let workflowTools { configuration.mcp.workflowTools = workflowTools }

        StandardErrorLogging.bootstrap(configuration)
        let logger = Logger(label: "flux.mcp")
        for warning in configuration.warnings { logger.warning("\(warning)") }

        let svc: FluxService
        do {
            svc = try await FluxService.open(
                configuration: configuration, swiftTasks: FluxCommandLine.swiftTasks, swiftWorkflows: FluxCommandLine.swiftWorkflows)
        } catch {
            throw ServiceError.wrap(error)
        }
        do {
            let recovered = try await svc.engine.recoverAbandoned()
            if !recovered.isEmpty { logger.info("recovered \(recovered.count) abandoned execution(s): \(FluxEngine.summary(of: recovered))") }
        } catch {
            logger.warning("could not recover abandoned executions: \(error)")
        }
        let settings = configuration.mcp
        let mcp = FluxMCPServer(
            service: svc,
            options: FluxMCPOptions(name: settings.name, workflowTools: settings.workflowTools,
                                    maxMessageBytes: max(configuration.security.maxBodyBytes, 1 << 20),
                                    caller: Caller.mcpClient(transport: settings.transport, security: configuration.security)),
            logger: logger)
        let services: [any Service]
        switch settings.transport {
        case .stdio: services = [MCPStdioServer(mcp, logger: logger)]
        case .sse, .streamableHTTP: services = MCPHTTPServer.services(mcp, settings: settings, logger: logger)
        }
        try await ServiceRunner.run(services, gracefulLimit: .seconds(10), logger: logger)
    }
}
