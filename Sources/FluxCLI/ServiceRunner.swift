import Logging
import ServiceLifecycle

/// Runs one command's long-running services in one `ServiceGroup` until SIGTERM or SIGINT (or until a service
/// ends), with a graceful-shutdown limit and, behind it, the ``ShutdownBackstop``.
///
/// Services stop in reverse order of `services`. Past `gracefulLimit` after the signal the group cancels what is
/// left; one second later the backstop ends the process whatever is still running.
///
/// ```swift
/// try await ServiceRunner.run([application, relay], gracefulLimit: .seconds(10), logger: logger)
/// ```
enum ServiceRunner {
    /// How long after the graceful-shutdown limit the backstop waits before it ends the process.
    static let backstopMargin: Duration = .seconds(1)

    static func run(_ services: [any Service], gracefulLimit: Duration, logger: Logger) async throws {
        let parts = RunningParts()
        ShutdownBackstop(limit: gracefulLimit + backstopMargin, parts: parts).arm()
        var configuration = ServiceGroupConfiguration(
            // A service that ends by itself (the stdio MCP server at the end of its input) ends the command with
            // status 0, the others shut down gracefully; one that fails ends it with its error.
            services: services.map { .init(service: NamedService($0, parts: parts), successTerminationBehavior: .gracefullyShutdownGroup) },
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger)
        configuration.maximumGracefulShutdownDuration = gracefulLimit
        try await ServiceGroup(configuration: configuration).run()
    }
}

/// A service that notes itself in ``RunningParts`` while it runs, under its type's name without generic
/// arguments (`Application`, `WorkerDispatcher`, …).
private struct NamedService: Service {
    let base: any Service
    let name: String
    let parts: RunningParts

    init(_ base: any Service, parts: RunningParts) {
        self.base = base
        self.parts = parts
        let full = String(describing: type(of: base))
        self.name = String(full.prefix { $0 != "<" })
    }

    func run() async throws {
        parts.started(name)
        defer { parts.ended(name) }
        try await base.run()
    }
}
