import FluxCore
import Foundation
import Synchronization

/// What a document may reach outside itself: Swift tasks by name, commands, hosts.
public struct InterpreterEnvironment: Sendable {
    /// Tasks compiled into this binary that `task:` steps call by name.
    public var tasks: [String: TaskDefinition]
    /// Commands `exec:` may run (names or absolute paths); empty means exec is off.
    public var execAllowlist: [String]
    /// When not empty, `http:` steps may only reach these hosts.
    public var httpAllowHosts: [String]
    /// Hosts `http:` steps may never reach (besides link-local and metadata addresses, always refused).
    public var httpDenyHosts: [String]
    /// Largest HTTP response body accepted.
    public var maxResponseBytes: Int

    public init(tasks: [String: TaskDefinition] = [:], execAllowlist: [String] = [], httpAllowHosts: [String] = [],
                httpDenyHosts: [String] = [], maxResponseBytes: Int = 10 << 20) {
        self.tasks = tasks
        self.execAllowlist = execAllowlist
        self.httpAllowHosts = httpAllowHosts
        self.httpDenyHosts = httpDenyHosts
        self.maxResponseBytes = maxResponseBytes
    }
}

/// Turns a workflow document into a workflow the engine runs. Every leaf step (set, task, http, exec,
/// builtin, call, pause) is one durable task named after the step id, whose recorded arguments are the
/// step's path and its resolved inputs, so replay, retries, timeouts, fallback, rollback, cache and
/// secrets behave exactly as for Swift workflows.
///
/// ```swift
/// let document = try DocumentParser.parse(text: yaml, sourceName: "hello.yaml")[0]
/// await engine.register(DocumentInterpreter.definition(for: document, version: 1, environment: .init()))
/// ```
public enum DocumentInterpreter {
    public static func definition(for document: WorkflowDocument, version: Int, environment: InterpreterEnvironment) -> WorkflowDefinition {
        WorkflowDefinition(name: document.name, version: version, description: document.description ?? "",
                           inputSchema: document.inputSchema) { input, _ in
            try await DocumentRun(document: document, environment: environment).run(input: input)
        }
    }
}

/// Why a step failed, naming the step.
public struct StepError: Error, Sendable, Hashable, CustomStringConvertible {
    public let step: String
    public let message: String
    public var description: String { "step \(step): \(message)" }
}

/// The outputs of the steps run so far; parallel branches write to it concurrently.
final class StepOutputs: Sendable {
    private let values = Mutex<[String: JSONValue]>([:])
    private let undo = Mutex<[(id: String, rollback: StepBody, path: String)]>([])
    func set(_ id: String, _ value: JSONValue) { values.withLock { $0[id] = value } }
    var all: [String: JSONValue] { values.withLock { $0 } }
    /// Remembers that a step with a `rollback` completed.
    func completed(_ id: String, rollback: StepBody, path: String) { undo.withLock { $0.append((id, rollback, path)) } }
    /// The rollbacks to run, latest first.
    var rollbacks: [(id: String, rollback: StepBody, path: String)] { undo.withLock { $0.reversed() } }
}

/// One execution of a document's body.
struct DocumentRun: Sendable {
    let document: WorkflowDocument
    let environment: InterpreterEnvironment
    let evaluator = ExpressionEvaluator()
    let outputs = StepOutputs()

    func run(input: JSONValue) async throws -> JSONValue {
        do { try document.validateInput(input) } catch { throw EngineError.invalidInput(error.description) }
        let context = Context(input: input, item: nil, index: nil, previous: nil)
        do {
            var last: JSONValue = .null
            for step in document.steps {
                last = try await run(step, context)
            }
            guard let output = document.output else { return last }
            return try evaluate(output, context, step: "output")
        } catch let pause as PauseRequested {
            throw pause
        } catch {
            await rollBack(context)
            throw error
        }
    }

    /// Runs the `rollback` of every completed step, latest first, each as a durable task; it runs even
    /// when the workflow is being cancelled. A failing rollback is recorded and the others still run.
    func rollBack(_ context: Context) async {
        for entry in outputs.rollbacks {
            let run = self
            let definition = TaskDefinition(name: "\(entry.id)_rollback") { _, taskContext in
                try await run.perform(entry.rollback.kind, id: entry.id, context, secrets: taskContext.secrets)
            }
            _ = await Task { try await definition.invoke(arguments: ["step": .string(entry.path + ".rollback")]) }.result
        }
    }

    /// The variables a step's templates see besides the step outputs.
    struct Context: Sendable {
        var input: JSONValue
        var item: JSONValue?
        var index: Int?
        var previous: JSONValue?
    }

    func scope(_ context: Context, secrets: [String: String] = [:], output: JSONValue? = nil) -> ExpressionScope {
        ExpressionScope(input: context.input, steps: outputs.all, secrets: secrets, item: context.item, index: context.index,
                        previous: context.previous, output: output)
    }

    func evaluate(_ template: Template, _ context: Context, secrets: [String: String] = [:], step: String) throws -> JSONValue {
        do { return try evaluator.evaluate(template, in: scope(context, secrets: secrets)) } catch {
            throw StepError(step: step, message: error.description)
        }
    }

    /// The same value with every secret replaced by a marker: what the task's recorded arguments hold.
    func placeholderSecrets(_ names: Set<String>) -> [String: String] {
        Dictionary(uniqueKeysWithValues: names.map { ($0, "[secret:\($0)]") })
    }

    // MARK: Steps

    @discardableResult
    func run(_ step: Step, _ context: Context) async throws -> JSONValue {
        let value = try await run(step.body, id: step.id, context)
        outputs.set(step.id, value)
        if let rollback = step.options.rollback { outputs.completed(step.id, rollback: rollback, path: step.location.path) }
        return value
    }

    func run(_ body: StepBody, id: String, _ context: Context) async throws -> JSONValue {
        if let condition = body.options.condition {
            let holds: Bool
            do { holds = try evaluator.isTrue(condition, in: scope(context)) } catch { throw StepError(step: id, message: error.description) }
            if !holds { return .null }
        }
        switch body.kind {
        case .parallel(let steps):
            let results = try await parallel(steps.map { child in { @Sendable in try await self.run(child, context) } })
            return .array(results)
        case .pipeline(let pipeline):
            var current = context
            current.previous = try evaluate(pipeline.input, context, step: id)
            for child in pipeline.steps {
                current.previous = try await run(child, current)
            }
            return current.previous ?? .null
        case .map(let map):
            let items = try evaluate(map.over, context, step: id)
            guard let array = items.arrayValue else {
                throw StepError(step: id, message: "map over: expected an array, found \(items.typeName)")
            }
            let limit = max(1, map.concurrency ?? 8)
            return .array(try await boundedMap(count: array.count, limit: limit) { i in
                var itemContext = context
                itemContext.item = array[i]
                itemContext.index = i
                return try await self.leaf(map.body, id: id, itemContext, extra: ["index": .int(i)])
            })
        case .graph(let graph):
            return try await runGraph(graph, id: id, context)
        default:
            return try await leaf(body, id: id, context, extra: [:])
        }
    }

    /// A step that is one durable task (or a durable built-in: pause, sleep, call).
    func leaf(_ body: StepBody, id: String, _ context: Context, extra: [String: JSONValue]) async throws -> JSONValue {
        switch body.kind {
        case .pause(let point):
            let shown = try point.output.map { try evaluate($0, context, step: id) } ?? .null
            let answer = try await pause(point.name, output: shown)
            if let schema = point.inputSchema {
                let validator = try InputSchemaValidator(schema: schema)
                let violations = validator.violations(of: answer, root: "resume input")
                if !violations.isEmpty {
                    throw StepError(step: id, message: violations.map { String(describing: $0) }.joined(separator: "; "))
                }
            }
            return answer
        case .builtin(let call) where call.builtin == .sleep:
            let args = try evaluate(call.arguments, context, step: id)
            let given = args["seconds"] ?? args
            guard let seconds = given.doubleValue ?? given.stringValue.flatMap(DocumentDecoder.parseDuration), seconds >= 0 else {
                throw StepError(step: id, message: "sleep needs `with: {seconds: N}` with N ≥ 0 seconds or a duration such as \"5m\"")
            }
            let o = body.options
            guard o.timeout != nil || o.retry != nil || o.fallback != nil || o.rollback != nil else {
                try await sleep(seconds: seconds)
                return .null
            }
            // Options apply to the sleep as to any task: wrap it in one.
            let options = try taskOptions(body, id: id, context, secrets: [])
            let timer = TaskDefinition(name: id, options: options) { _, _ in
                try await sleep(seconds: seconds)
                return .null
            }
            return try await timer.invoke(arguments: ["step": .string(body.location.path), "seconds": .double(seconds)])
        case .builtin(let call):
            return try await builtin(call, id: id, context)
        case .call(let call):
            return try await FluxCore.call(call.workflow, input: try evaluate(call.input, context, step: id))
        default:
            return try await durableTask(body, id: id, context, extra: extra)
        }
    }

    func builtin(_ call: BuiltinCall, id: String, _ context: Context) async throws -> JSONValue {
        let args = try evaluate(call.arguments, context, step: id)
        switch call.builtin {
        case .now:
            let iso = try await Builtins.now.invoke(arguments: .null)
            let seconds = iso.stringValue.flatMap(Timestamp.parse)?.timeIntervalSince1970 ?? 0
            return ["iso": iso, "timestamp": .double(seconds)]
        case .uuid4: return try await Builtins.uuid4.invoke(arguments: .null)
        case .choice: return try await Builtins.choice.invoke(arguments: args["options"] ?? args)
        case .randint: return try await Builtins.randint.invoke(arguments: [args["min"] ?? .null, args["max"] ?? .null])
        case .randrange:
            return try await Builtins.randrange.invoke(arguments: [args["start"] ?? .int(0), args["stop"] ?? .null, args["step"] ?? .int(1)])
        case .sleep: return .null
        }
    }

    /// set / task / http / exec as one task named after the step.
    func durableTask(_ body: StepBody, id: String, _ context: Context, extra: [String: JSONValue]) async throws -> JSONValue {
        let secretNames = Self.secrets(of: body.kind)
        let preview = placeholderSecrets(secretNames)
        var arguments: [String: JSONValue] = extra
        arguments["step"] = .string(body.location.path)
        arguments["input"] = try resolvedInputs(body.kind, context, secrets: preview, step: id)
        let options = try taskOptions(body, id: id, context, secrets: Array(secretNames).sorted())
        let run = self
        let definition = TaskDefinition(name: id, options: options) { _, taskContext in
            try await run.perform(body.kind, id: id, context, secrets: taskContext.secrets)
        }
        return try await definition.invoke(arguments: .object(arguments))
    }

    func taskOptions(_ body: StepBody, id: String, _ context: Context, secrets: [String]) throws -> TaskOptions {
        let o = body.options
        let run = self
        var fallback: TaskBody?
        if let fb = o.fallback {
            fallback = { (_: JSONValue, taskContext: TaskContext) async throws -> JSONValue in
                try await run.perform(fb.kind, id: id, context, secrets: taskContext.secrets)
            }
        }
        return TaskOptions(
            retryMaxAttempts: o.retry?.maxAttempts ?? 0, retryDelay: o.retry.map { $0.delay.seconds } ?? 1,
            retryBackoff: o.retry?.backoff ?? 2, timeout: o.timeout?.seconds, fallback: fallback,
            cache: o.cache, metadata: o.metadata, secretRequests: secrets)
    }

    /// The values a step acts on, evaluated with secrets shown as markers (what gets recorded).
    func resolvedInputs(_ kind: StepKind, _ context: Context, secrets: [String: String], step: String) throws -> JSONValue {
        switch kind {
        case .set(let t): return try evaluate(t, context, secrets: secrets, step: step)
        case .task(let call): return try evaluate(call.arguments, context, secrets: secrets, step: step)
        case .http(let spec):
            return .object(try httpRequest(spec, context, secrets: secrets, step: step).json)
        case .exec(let command):
            return ["command": .string(command.command), "arguments": try evaluate(command.arguments, context, secrets: secrets, step: step)]
        default: return .null
        }
    }

    /// Does the step's work inside its task body, with the real secret values.
    func perform(_ kind: StepKind, id: String, _ context: Context, secrets: [String: String]) async throws -> JSONValue {
        switch kind {
        case .set(let t):
            return try evaluate(t, context, secrets: secrets, step: id)
        case .task(let call):
            guard let task = environment.tasks[call.name] else {
                throw StepError(step: id, message: "no Swift task named \(call.name) is registered in this binary")
            }
            return try await task.body(try evaluate(call.arguments, context, secrets: secrets, step: id), TaskContext(secrets: secrets))
        case .http(let spec):
            let request = try httpRequest(spec, context, secrets: secrets, step: id)
            return try await HTTPStep(environment: environment).perform(request, step: id)
        case .exec(let command):
            let args = try evaluate(command.arguments, context, secrets: secrets, step: id)
            let env = try command.environment.map { try evaluate($0, context, secrets: secrets, step: id) }
            return try ExecStep(allowlist: environment.execAllowlist).perform(command.command, arguments: args, environment: env, step: id)
        default:
            return try await leaf(StepBody(kind: kind, location: DocumentLocation(path: id)), id: id, context, extra: [:])
        }
    }

    func httpRequest(_ spec: HTTPRequestSpec, _ context: Context, secrets: [String: String], step: String) throws -> HTTPStep.Request {
        HTTPStep.Request(
            method: spec.method, url: ExpressionEvaluator.text(try evaluate(spec.url, context, secrets: secrets, step: step)),
            headers: try spec.headers.map { try evaluate($0, context, secrets: secrets, step: step) },
            query: try spec.query.map { try evaluate($0, context, secrets: secrets, step: step) },
            body: try spec.body.map { try evaluate($0, context, secrets: secrets, step: step) },
            expect: spec.expect, timeout: spec.timeout?.seconds)
    }

    static func secrets(of kind: StepKind) -> Set<String> {
        switch kind {
        case .set(let t): return t.referencedSecrets
        case .task(let c): return c.arguments.referencedSecrets
        case .http(let s):
            return [s.url, s.headers, s.query, s.body].compactMap { $0 }.reduce(into: Set<String>()) { $0.formUnion($1.referencedSecrets) }
        case .exec(let e): return e.arguments.referencedSecrets.union(e.environment?.referencedSecrets ?? [])
        default: return []
        }
    }

    // MARK: Graph

    /// Nodes run in topological order; a node runs when an edge into it was taken (the start node always);
    /// an edge is taken when its source ran and its `when` (seeing the source's `output`) holds.
    func runGraph(_ graph: GraphStep, id: String, _ context: Context) async throws -> JSONValue {
        var ran: [String: JSONValue] = [:]
        for nodeID in graph.topologicalOrder {
            guard let node = graph.node(id: nodeID) else { continue }
            var trigger: JSONValue?
            if nodeID == graph.start {
                trigger = context.previous ?? context.input
            } else {
                for edge in graph.edges where edge.to == nodeID {
                    guard let from = ran[edge.from] else { continue }
                    let taken: Bool
                    if let when = edge.when {
                        do { taken = try evaluator.isTrue(when, in: scope(context, output: from)) } catch {
                            throw StepError(step: "\(id).edges", message: error.description)
                        }
                    } else {
                        taken = true
                    }
                    if taken { trigger = from; break }
                }
            }
            guard let input = trigger else { continue }
            var nodeContext = context
            nodeContext.previous = input
            ran[nodeID] = try await run(node, nodeContext)
        }
        guard let result = ran[graph.end] else {
            throw StepError(step: id, message: "graph ended without reaching its end node \(graph.end): no edge condition led there")
        }
        return result
    }
}
