import ArgumentParser
import Flux
import FluxService
import Foundation

/// Running and resuming from the command line, in the three modes, locally or through a server.
enum Execution {
    static func run(client: any FluxClient, name: String, version: Int?, input: JSONValue, mode: RunModeArgument,
                    detailed: Bool, format: OutputFormat) async throws {
        try report(try await client.run(name: name, version: version, input: input, mode: mode, detailed: detailed, onEvent: printEvent),
                   format: format)
    }

    static func resume(client: any FluxClient, name: String, executionID: String, input: JSONValue, pauseID: String?,
                       mode: RunModeArgument, detailed: Bool, format: OutputFormat) async throws {
        try report(try await client.resume(name: name, executionID: executionID, input: input, pauseID: pauseID, mode: mode,
                                           detailed: detailed, onEvent: printEvent),
                   format: format)
    }

    /// Stream mode prints every event as one JSON line as it is recorded.
    @Sendable static func printEvent(_ event: JSONValue) { Output.line(event.canonicalJSON) }

    /// Prints the summary and exits with the code of its state.
    static func report(_ summary: JSONValue, format: OutputFormat) throws -> Never {
        Output.json(summary, format: format)
        throw ExitCode(ExitStatus.forSummary(summary))
    }
}

/// Starts `flux execute ID` detached, with its output discarded.
enum Background {
    static func continueInBackground(executionID: String) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: ProcessInfo.processInfo.arguments[0]).standardizedFileURL
        if let resolved = Bundle.main.executableURL { process.executableURL = resolved }
        process.arguments = ["execute", executionID]
        process.currentDirectoryURL = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        do { try process.run() } catch {
            throw ServiceError(.unavailable, "cannot start a background process for execution \(executionID): \(error)")
        }
    }
}

/// `flux execute ID`: runs (or continues) one execution in this process until it settles.
struct ExecuteCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "execute", abstract: "Run or continue an execution in this process until it finishes or pauses (used by --mode async).")
    @OptionGroup var service: ServiceOptions
    @Argument var executionID: String
    @Option var format: OutputFormat = .json

    func run() async throws {
        let svc = try await service.openService()
        let snapshot: ExecutionSnapshot
        do { snapshot = try await svc.engine.execute(executionID: executionID) } catch { throw ServiceError.wrap(error) }
        Output.json(Summaries.execution(snapshot, detailed: false), format: format)
        throw ExitCode(ExitStatus.forState(snapshot.record.state))
    }
}

/// `flux run FILE [INPUT]`: register a document and run it in one step.
struct RunFileCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run", abstract: "Register a workflow document and run it (its first workflow, or --workflow NAME).")
    @OptionGroup var service: ServiceOptions
    @Argument var file: String
    @Argument var input: String?
    @Option(help: "Which workflow of a multi-workflow document to run.") var workflow: String?
    @Option var mode: RunModeArgument = .sync
    @Flag var detailed = false
    @Flag(help: "On Ctrl-C, leave the execution running in the background instead of cancelling it.") var detach = false
    @Option var format: OutputFormat = .text

    func run() async throws {
        let svc = try await service.openService()
        let registered = try await Registration.register(file: file, client: LocalClient(service: svc))
        let names = registered.compactMap { $0["name"]?.stringValue }
        guard let name = workflow ?? names.first else { throw ServiceError(.invalidDocument, "\(file) defines no workflow") }
        guard names.contains(name) else {
            throw ServiceError(.invalidInput, "\(file) does not define a workflow named \(name); it defines \(names.joined(separator: ", "))")
        }
        let version = registered.first { $0["name"]?.stringValue == name }?["version"]?.intValue
        try await Execution.run(client: LocalClient(service: svc, detachOnInterrupt: detach), name: name, version: version,
                                input: InputValue.parse(input),
                                mode: mode, detailed: detailed, format: format)
    }
}

/// `flux recover`: takes over the executions that crashed processes left unfinished and runs them here.
struct RecoverCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "recover", abstract: "Finish the executions that crashed processes left running (waits until each settles).")
    @OptionGroup var service: ServiceOptions
    @Option var format: OutputFormat = .text

    func run() async throws {
        let svc = try await service.openService()
        let ids: [String]
        do { ids = try await svc.engine.recoverAbandoned() } catch { throw ServiceError.wrap(error) }
        var summaries: [JSONValue] = []
        for id in ids {
            summaries.append(Summaries.execution(try await svc.waitUntilSettled(executionID: id), detailed: false))
        }
        if format == .json { Output.json(.array(summaries), format: .json); return }
        if ids.isEmpty { Output.line("nothing to recover") }
        for s in summaries {
            Output.line("\(s["execution_id"]?.stringValue ?? "") \(s["workflow_name"]?.stringValue ?? "") \(s["state"]?.stringValue ?? "")")
        }
    }
}
