import ArgumentParser
import Flux
import FluxService
import FluxWorker
import Foundation
import Logging
import ServiceLifecycle

/// `flux start worker [NAME] --server-url URL`: a remote worker of a Flux server.
struct StartWorkerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker",
        abstract: "Run executions for a Flux server (flux start server) as a remote worker.",
        discussion: """
            The worker registers with the server using the bootstrap token (workers.bootstrap_token, \
            FLUX_WORKERS__BOOTSTRAP_TOKEN, or --bootstrap-token), listens for executions, claims them, runs them and \
            checkpoints every step to the server. It runs workflow documents and the Swift workflows and tasks \
            compiled into this binary. It reconnects with backoff after network loss or a server restart; SIGTERM \
            stops it after the executions in flight end (or --shutdown-grace seconds). Logs go to standard error.
            """)

    @OptionGroup var service: ServiceOptions
    @Argument(help: "The worker's name, unique among the server's workers (default: the host name).") var name: String?
    @Option(name: .long, help: ArgumentHelp("The server (default: workers.server_url).", valueName: "url")) var serverURL: String?
    @Option(name: .long, help: ArgumentHelp("The server's bootstrap token (default: workers.bootstrap_token).", valueName: "token"))
    var bootstrapToken: String?
    @Option(name: .long, help: "Executions run at once (default: workers.concurrency).") var concurrency: Int?
    @Option(name: .long, help: "A label to advertise; repeat for more (default: workers.labels).") var label: [String] = []
    @Option(name: .long, help: "Seconds a SIGTERM waits for executions in flight.") var shutdownGrace: Double = 10

    func validate() throws {
        if let concurrency, concurrency < 1 { throw ValidationError("--concurrency must be 1 or more, got \(concurrency)") }
        if !(shutdownGrace >= 0) { throw ValidationError("--shutdown-grace must be 0 or more") }
    }

    func run() async throws {
        let configuration = try service.loadConfiguration()
        StandardErrorLogging.bootstrap(configuration)
        let logger = Logger(label: "flux.worker")
        for warning in configuration.warnings { logger.warning("\(warning)") }
        let settings = configuration.workers
        let options: WorkerOptions
        do {
            options = try WorkerOptions(
                name: name ?? WorkerOptions.defaultName, serverURL: serverURL ?? settings.serverURL,
                bootstrapToken: bootstrapToken ?? settings.bootstrapToken ?? "", concurrency: concurrency ?? settings.concurrency,
                labels: label.isEmpty ? settings.labels : label, shutdownGrace: .milliseconds(Int(shutdownGrace * 1000)))
        } catch {
            throw ValidationError(error.description)
        }
        let worker = FluxWorker(options: options, configuration: configuration, swiftWorkflows: FluxCommandLine.swiftWorkflows,
                                swiftTasks: FluxCommandLine.swiftTasks, logger: logger)
        do {
            // The worker waits up to --shutdown-grace for executions in flight, then gives them back to the server.
            try await ServiceRunner.run([worker], gracefulLimit: .milliseconds(Int(shutdownGrace * 1000)) + .seconds(1), logger: logger)
        } catch let error as WorkerError {
            throw ServiceError(.unavailable, error.description)
        }
    }
}
