import Flux
import FluxExamples
import Foundation

/// Errors of the runner itself (bad arguments, files).
enum RunnerError: Error, CustomStringConvertible {
    case usage(String)
    case io(String)

    var description: String {
        switch self {
        case .usage(let message): return message
        case .io(let message): return message
        }
    }
}

/// The command line: `flux-examples COMMAND [--db PATH] [--wait] ARGUMENTS…`.
enum Runner {
    static let usage = """
        usage: flux-examples COMMAND [OPTIONS] [ARGUMENTS]

          list                                         the example workflows and a sample input for each
          run     --db PATH NAME [INPUT_JSON]          run a new execution to its end or first pause
          start   --db PATH NAME [INPUT_JSON]          the same, printing {"execution_id": …} first
          resume  --db PATH EXECUTION_ID [INPUT_JSON]  resume a paused execution with INPUT_JSON
          status  --db PATH EXECUTION_ID [--events]    the execution as stored (--events: whole events)
          cancel  --db PATH EXECUTION_ID               cancel an execution
          recover --db PATH [--wait]                   take over executions whose process died and run
                                                       them to their end; --wait also waits for those
                                                       still running in other processes
          secret  --db PATH NAME VALUE                 store a secret (key: FLUX_SECURITY__ENCRYPTION_KEY)

        INPUT_JSON defaults to null. Results are one JSON line on stdout; logs go to stderr.
        Exit status: 0 completed, 1 failed, 2 usage or error, 3 paused, 4 cancelled, 5 not finished.
        """

    /// Parsed arguments: positionals, `--db`, and flags.
    struct Arguments {
        var command: String
        var positionals: [String] = []
        var database: String?
        var flags: Set<String> = []

        init(_ arguments: [String]) throws {
            guard let first = arguments.first else { throw RunnerError.usage("missing command") }
            command = first
            var rest = arguments.dropFirst()
            while let argument = rest.popFirst() {
                switch argument {
                case "--db":
                    guard let path = rest.popFirst() else { throw RunnerError.usage("--db needs a path") }
                    database = path
                case "--wait", "--events":
                    flags.insert(argument)
                case "--":
                    positionals.append(contentsOf: rest)
                    rest = []
                default:
                    if argument.hasPrefix("--") { throw RunnerError.usage("unknown option \(argument)") }
                    positionals.append(argument)
                }
            }
        }

        func positional(_ index: Int, _ what: String) throws -> String {
            guard positionals.indices.contains(index) else { throw RunnerError.usage("missing \(what)") }
            return positionals[index]
        }

        /// The JSON at `index`, or null when absent.
        func json(_ index: Int) throws -> JSONValue {
            guard positionals.indices.contains(index) else { return .null }
            do { return try JSONValue(parsing: positionals[index]) } catch {
                throw RunnerError.usage("INPUT_JSON is not JSON (\(error)); quote strings, e.g. '\"World\"'")
            }
        }

        func requireDatabase() throws -> String {
            guard let database else { throw RunnerError.usage("\(command) needs --db PATH") }
            return database
        }
    }

    static func main(_ argv: [String]) async -> Int32 {
        do {
            let arguments = try Arguments(argv)
            return try await run(arguments)
        } catch let error as RunnerError {
            if case .usage = error {
                printError("flux-examples: \(error)\n\n\(usage)")
            } else {
                printError("flux-examples: \(error)")
            }
            return 2
        } catch {
            printError("flux-examples: \(error)")
            return 2
        }
    }

    static func run(_ arguments: Arguments) async throws -> Int32 {
        switch arguments.command {
        case "help", "-h", "--help":
            printLine(usage)
            return 0
        case "list":
            for example in Examples.catalog {
                for definition in example.workflows {
                    printJSON([
                        "name": .string(definition.name), "example": .string(example.name),
                        "description": .string(definition.description),
                        "sample_input": definition.name == example.workflows.first?.name ? .string(example.sampleInput) : .null,
                    ])
                }
            }
            for definition in CrashWorkflows.all {
                printJSON(["name": .string(definition.name), "example": "crash tests", "description": .string(definition.description)])
            }
            return 0
        case "run":
            let engine = try await openEngine(arguments)
            let snapshot = try await engine.run(workflow: try arguments.positional(0, "NAME"), input: try arguments.json(1))
            return report(snapshot)
        case "start":
            let engine = try await openEngine(arguments)
            let record = try await engine.create(workflow: try arguments.positional(0, "NAME"), input: try arguments.json(1))
            printJSON(["execution_id": .string(record.id)])
            return report(try await engine.execute(executionID: record.id))
        case "resume":
            let engine = try await openEngine(arguments)
            let snapshot = try await engine.resume(executionID: try arguments.positional(0, "EXECUTION_ID"), input: try arguments.json(1))
            return report(snapshot)
        case "status":
            let engine = try await openEngine(arguments)
            let snapshot = try await engine.snapshot(executionID: try arguments.positional(0, "EXECUTION_ID"))
            return report(snapshot, fullEvents: arguments.flags.contains("--events"))
        case "cancel":
            let engine = try await openEngine(arguments)
            return report(try await engine.cancel(executionID: try arguments.positional(0, "EXECUTION_ID"), wait: true))
        case "recover":
            let engine = try await openEngine(arguments)
            return try await recover(engine, waitForOthers: arguments.flags.contains("--wait"))
        case "secret":
            let environment = try openEnvironment(arguments)
            try await environment.secrets.set(try arguments.positional(1, "VALUE"), name: try arguments.positional(0, "NAME"))
            printJSON(["secret": .string(try arguments.positional(0, "NAME")), "stored": true])
            return 0
        default:
            throw RunnerError.usage("unknown command \(arguments.command)")
        }
    }

    /// Takes over abandoned executions and runs them to their end (they would die with this process
    /// otherwise); with `waitForOthers`, also waits for those other live processes are running.
    static func recover(_ engine: FluxEngine, waitForOthers: Bool) async throws -> Int32 {
        var ids = try await engine.recoverAbandoned()
        if waitForOthers {
            let active = try await engine.store.executions(inStates: [.claimed, .running, .resuming, .cancelling], limit: 10_000)
            ids += active.map(\.id).filter { !ids.contains($0) }
        }
        printError("flux-examples: recovering \(ids.count) execution(s)")
        for id in ids {
            _ = report(try await engine.waitUntilSettled(executionID: id, recoverAbandoned: true))
        }
        return 0
    }

    // MARK: - Engine

    static func openEnvironment(_ arguments: Arguments) throws -> FluxEnvironment {
        var configuration = try FluxConfiguration(toml: "", environment: ProcessInfo.processInfo.environment)
        configuration.databaseURL = "sqlite:///" + (try arguments.requireDatabase())
        return try FluxEnvironment.open(configuration: configuration)
    }

    /// The engine on `--db`, with every example and crash-test workflow registered. (The engine renews
    /// the leases of what it runs, and hears of cancellations asked by other processes, by itself.)
    static func openEngine(_ arguments: Arguments) async throws -> FluxEngine {
        let engine = try openEnvironment(arguments).engine
        await Examples.register(on: engine)
        for definition in CrashWorkflows.all { await engine.register(definition) }
        return engine
    }

    // MARK: - Output

    /// Prints the snapshot as one JSON line and returns the exit status its state calls for.
    static func report(_ snapshot: ExecutionSnapshot, fullEvents: Bool = false) -> Int32 {
        var object: [String: JSONValue] = [
            "execution_id": .string(snapshot.record.id),
            "workflow": .string(snapshot.record.workflowName),
            "state": .string(snapshot.record.state.rawValue),
            "output": snapshot.record.output,
            "events": .array(snapshot.events.map { fullEvents ? $0.json : .string($0.type.rawValue) }),
        ]
        if let pause = snapshot.pauseName { object["pause_name"] = .string(pause) }
        if let output = snapshot.pauseOutput { object["pause_output"] = output }
        printJSON(.object(object))
        return exitStatus(snapshot.record.state)
    }

    static func exitStatus(_ state: ExecutionState) -> Int32 {
        switch state {
        case .completed: return 0
        case .failed: return 1
        case .paused: return 3
        case .cancelled: return 4
        default: return 5
        }
    }

    static func printJSON(_ value: JSONValue) {
        printLine(value.canonicalJSON)
    }

    /// Writes straight to the descriptor: nothing stays buffered if the process is killed.
    static func printLine(_ text: String) {
        FileHandle.standardOutput.write(Data((text + "\n").utf8))
    }

    static func printError(_ text: String) {
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }
}
