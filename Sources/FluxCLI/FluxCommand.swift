import ArgumentParser
import Flux
import FluxService
import Foundation

/// The `flux` command line. A binary that compiles its own Swift workflows and tasks gets every command
/// by calling ``FluxCommandLine/main(swiftTasks:swiftWorkflows:)`` from its `main`.
public struct FluxCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "flux",
        abstract: "Durable workflows: register, run, pause, resume and cancel them; serve them over MCP.",
        discussion: """
            Exit codes: 0 completed (or, for `workflow cancel`, cancelled as asked), 1 failed, 2 usage or validation error, \
            3 paused, 4 a run that ended cancelled, 5 still running (`workflow status` of an unsettled execution).
            Configuration comes from flux.toml [flux] and FLUX_* environment variables (see docs/configuration.md).
            """,
        version: FluxRelease.version,
        subcommands: [WorkflowCommand.self, RunFileCommand.self, SecretsCommand.self, ExecuteCommand.self, RecoverCommand.self, StartCommand.self])

    public init() {}
}

/// Runs the command line and returns the process exit code.
public enum FluxCommandLine {
    /// Tasks and workflows compiled into the calling binary.
    @TaskLocal static var swiftTasks: [TaskDefinition] = []
    @TaskLocal static var swiftWorkflows: [WorkflowDefinition] = []

    public static func main(arguments: [String]? = nil, swiftTasks: [TaskDefinition] = [], swiftWorkflows: [WorkflowDefinition] = []) async -> Int32 {
        await $swiftTasks.withValue(swiftTasks) {
            await $swiftWorkflows.withValue(swiftWorkflows) {
                await execute(arguments)
            }
        }
    }

    static func execute(_ arguments: [String]?) async -> Int32 {
        do {
            var command = try FluxCommand.parseAsRoot(arguments)
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
            return 0
        } catch let code as ExitCode {
            return code.rawValue
        } catch let error as ServiceError {
            Output.error(error.message)
            return ExitStatus.forError(error)
        } catch let error as ConfigurationError {
            Output.error(error.description)
            return ExitStatus.usage
        } catch {
            let code = FluxCommand.exitCode(for: error)
            let message = FluxCommand.fullMessage(for: error)
            if code == .success {
                Output.line(message)
                return 0
            }
            if FluxCommand.message(for: error).isEmpty == false, String(describing: type(of: error)).contains("CommandError") || code == .validationFailure {
                Output.error(message)
                return ExitStatus.usage
            }
            Output.error(message.isEmpty ? String(describing: error) : message)
            return ExitStatus.failed
        }
    }
}

/// The exit codes scripts rely on.
public enum ExitStatus {
    public static let completed: Int32 = 0
    public static let failed: Int32 = 1
    public static let usage: Int32 = 2
    public static let paused: Int32 = 3
    public static let cancelled: Int32 = 4
    /// `flux workflow status` of an execution that has not settled (CREATED, RUNNING, CANCELLING, …).
    public static let unsettled: Int32 = 5

    /// 0 completed, 1 failed, 3 paused, 4 cancelled; 0 for an execution still on its way (async).
    public static func forState(_ state: ExecutionState) -> Int32 {
        switch state {
        case .failed: return failed
        case .paused: return paused
        case .cancelled, .cancelling: return cancelled
        default: return completed
        }
    }

    /// The code of an execution summary's `state`.
    static func forSummary(_ summary: JSONValue) -> Int32 {
        summary["state"]?.stringValue.flatMap(ExecutionState.init(rawValue:)).map(forState) ?? completed
    }

    static func forError(_ error: ServiceError) -> Int32 {
        switch error.code {
        case .invalidInput, .invalidDocument, .notFound, .conflict, .tooLarge: return usage
        default: return failed
        }
    }
}
