import Foundation
import Logging
import MCP
import ServiceLifecycle

/// Serves one client over standard input and output, as a `Service`: until input ends, or until graceful shutdown
/// (SIGTERM, SIGINT). Either way the calls already received are answered first, for up to `drainLimit` after the
/// end of input and 8 s after a signal.
///
/// ```swift
/// try await ServiceGroup(configuration: .init(services: [MCPStdioServer(mcp)], gracefulShutdownSignals: [.sigterm], logger: logger)).run()
/// ```
public struct MCPStdioServer: Service {
    let mcp: FluxMCPServer
    let drainLimit: Duration
    let logger: Logger

    public init(_ mcp: FluxMCPServer, drainLimit: Duration = .seconds(30), logger: Logger = Logger(label: "flux.mcp.stdio")) {
        self.mcp = mcp
        self.drainLimit = drainLimit
        self.logger = logger
    }

    /// The most a signal waits for calls in flight: within the command's graceful-shutdown limit.
    let signalDrainLimit: Duration = .seconds(8)

    private enum Ending { case inputEnded, stopped }

    public func run() async throws {
        let transport = StdioLineTransport(maxMessageBytes: mcp.options.maxMessageBytes, logger: logger)
        let server = await mcp.makeServer()
        try await server.start(transport: transport)
        logger.info("MCP server \(mcp.options.name) \(mcp.options.version) serving on standard input and output")
        // Whichever comes first: the end of input, or the process asked to stop (which stops the server, so that
        // `waitUntilCompleted` returns). Cancellation of this service stops the server too.
        let ending = await withTaskGroup(of: Ending.self) { group in
            group.addTask {
                await server.waitUntilCompleted()
                return .inputEnded
            }
            group.addTask {
                if (try? await gracefulShutdown()) != nil { await drain(within: min(drainLimit, signalDrainLimit)) }
                await server.stop()
                return .stopped
            }
            let first = await group.next() ?? .stopped
            if first == .inputEnded { await drain(within: drainLimit) }
            group.cancelAll()
            return first
        }
        await mcp.closed(server)
        await server.stop()
        logger.info(ending == .stopped ? "MCP server stopped by a signal" : "standard input closed; MCP server stopped")
    }

    /// Waits until no call is in flight, for up to `limit`.
    private func drain(within limit: Duration) async {
        let deadline = ContinuousClock.now + limit
        try? await Task.sleep(for: .milliseconds(50))
        while mcp.callsInFlight.withLock({ $0 }) > 0, ContinuousClock.now < deadline, !Task.isCancelled {
            try? await Task.sleep(for: .milliseconds(20))
        }
    }
}
