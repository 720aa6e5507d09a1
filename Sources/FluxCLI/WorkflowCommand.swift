import ArgumentParser
import Flux
import FluxService
import Foundation

struct WorkflowCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "workflow", abstract: "Register, inspect, run, resume and cancel workflows.",
        subcommands: [Register.self, List.self, Show.self, Delete.self, Run.self, Resume.self, Status.self, Cancel.self])

    struct Register: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Validate a workflow document (YAML or JSON) and store its workflows.")
        @OptionGroup var client: ClientOptions
        @Argument(help: "The document file.") var file: String
        @Option var format: OutputFormat = .text

        func run() async throws {
            let registered = try await Registration.register(file: file, client: client.client())
            if format == .json { Output.json(.array(registered), format: .json); return }
            for workflow in registered {
                Output.line("registered \(workflow["name"]?.stringValue ?? "") version \(workflow["version"]?.intValue ?? 0)")
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List workflows: name, latest version, description.")
        @OptionGroup var client: ClientOptions
        @Option var format: OutputFormat = .text

        func run() async throws {
            let workflows = try await client.client().listWorkflows()
            if format == .json { Output.json(.array(workflows), format: .json); return }
            if workflows.isEmpty { Output.line("no workflows registered; register one with `flux workflow register FILE`"); return }
            let rows = workflows.map { ($0["name"]?.stringValue ?? "", String($0["version"]?.intValue ?? 0), $0["description"]?.stringValue ?? "") }
            let width = max(4, rows.map(\.0.count).max() ?? 4)
            Output.line("NAME".padding(toLength: width, withPad: " ", startingAt: 0) + "  VERSION  DESCRIPTION")
            for (name, version, description) in rows {
                Output.line(name.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + version.padding(toLength: 7, withPad: " ", startingAt: 0) + "  " + description)
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a workflow: document, versions, input schema, steps.")
        @OptionGroup var client: ClientOptions
        @Argument var name: String
        @Option(help: "A version other than the latest.") var version: Int?
        @Option var format: OutputFormat = .text

        func run() async throws {
            let details = try await client.client().workflowDetails(name: name, version: version)
            if format == .json { Output.json(details, format: .json); return }
            Output.line("\(name) version \(details["version"]?.intValue ?? 0) (\(details["kind"]?.stringValue ?? ""))")
            if let d = details["description"]?.stringValue, !d.isEmpty { Output.line(d) }
            Output.line("versions: \(details["versions"]?.arrayValue?.compactMap(\.intValue).map(String.init).joined(separator: ", ") ?? "")")
            if let schema = details["input_schema"], !schema.isNull { Output.line("input schema: \(schema.canonicalJSON)") }
            if let steps = details["steps"]?.arrayValue { Output.line("steps: \(steps.compactMap(\.stringValue).joined(separator: ", "))") }
            if let document = details["document"]?.stringValue { Output.line("---\n" + document) }
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete a workflow (every version, or one).")
        @OptionGroup var client: ClientOptions
        @Argument var name: String
        @Option var version: Int?

        func run() async throws {
            let count = try await client.client().deleteWorkflow(name: name, version: version)
            Output.line("deleted \(count) version\(count == 1 ? "" : "s") of \(name)")
        }
    }

    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Run a registered workflow. INPUT is JSON; a bare word is taken as a string.")
        @OptionGroup var client: ClientOptions
        @Argument var name: String
        @Argument var input: String?
        @Option var mode: RunModeArgument = .sync
        @Option(help: "Run this version instead of the latest.") var version: Int?
        @Flag(help: "Include the events.") var detailed = false
        @Flag(help: "On Ctrl-C, leave the execution running in the background instead of cancelling it.") var detach = false
        @Option var format: OutputFormat = .text

        func run() async throws {
            try await Execution.run(client: client.client(detach: detach), name: name, version: version, input: InputValue.parse(input),
                                    mode: mode, detailed: detailed, format: format)
        }
    }

    struct Resume: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Resume a paused execution with INPUT.")
        @OptionGroup var client: ClientOptions
        @Argument var name: String
        @Argument var executionID: String
        @Argument var input: String?
        @Option(help: ArgumentHelp("The id of the pause to answer (one of the execution's pauses); needed when it waits at several.",
                                   valueName: "pause-id"))
        var pause: String?
        @Option var mode: RunModeArgument = .sync
        @Flag var detailed = false
        @Flag(help: "On Ctrl-C, leave the execution running in the background instead of cancelling it.") var detach = false
        @Option var format: OutputFormat = .text

        func run() async throws {
            try await Execution.resume(client: client.client(detach: detach), name: name, executionID: executionID, input: InputValue.parse(input),
                                       pauseID: pause, mode: mode, detailed: detailed, format: format)
        }
    }

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show an execution's state and output.")
        @OptionGroup var client: ClientOptions
        @Argument var name: String
        @Argument var executionID: String
        @Flag var detailed = false
        @Option var format: OutputFormat = .text

        func run() async throws {
            let summary = try await client.client().status(name: name, executionID: executionID, detailed: detailed)
            Output.json(summary, format: format)
            let settled = summary["state"]?.stringValue.flatMap(ExecutionState.init(rawValue:)).map { $0.isTerminal || $0 == .paused } ?? true
            throw ExitCode(settled ? ExitStatus.forSummary(summary) : ExitStatus.unsettled)
        }
    }

    struct Cancel: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Cancel an execution.")
        @OptionGroup var client: ClientOptions
        @Argument var name: String
        @Argument var executionID: String
        @Option(help: "sync waits until it has stopped; async returns at once.") var mode: CancelModeArgument = .sync
        @Flag var detailed = false
        @Option var format: OutputFormat = .text

        func run() async throws {
            let summary = try await client.client().cancel(name: name, executionID: executionID, wait: mode == .sync, detailed: detailed)
            Output.json(summary, format: format)
            // The cancel did what was asked (CANCELLED, or CANCELLING with async): 0. An execution that ended otherwise
            // first (it completed or failed meanwhile) exits with the code of its state.
            let state = summary["state"]?.stringValue
            throw ExitCode(state == "CANCELLED" || state == "CANCELLING" ? ExitStatus.completed : ExitStatus.forSummary(summary))
        }
    }
}

/// Reads a document file and registers it.
enum Registration {
    static func register(file: String, client: any FluxClient) async throws -> [JSONValue] {
        let url = URL(fileURLWithPath: file)
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw ServiceError(.invalidInput, "cannot read \(file): no such file or not readable")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ServiceError(.invalidDocument, "\(file): the file is not UTF-8 text")
        }
        return try await client.register(document: text, sourceName: url.lastPathComponent)
    }
}
