import FluxCore
import Foundation
import Synchronization

/// The variables a step's templates see besides the step outputs.
struct StepContext: Sendable {
    var input: JSONValue
    var item: JSONValue?
    var index: Int?
    var previous: JSONValue?
    /// The indices of the enclosing map items, outermost first (keys rollbacks of map bodies apart).
    var itemPath: [Int] = []
}

/// A step's completed rollback to run if the workflow fails later.
struct PendingRollback: Sendable {
    let owner: String
    let body: StepBody
    let context: StepContext
    let extra: [String: JSONValue]
    let key: String
}

/// Rollbacks of completed steps, in order of completion; shared by every layer of outputs.
final class RollbackList: Sendable {
    private let entries = Mutex<[PendingRollback]>([])

    /// Remembers a completed step with a `rollback` (a step run again, by a retry, counts once).
    func add(_ entry: PendingRollback) {
        entries.withLock { list in
            list.removeAll { $0.key == entry.key }
            list.append(entry)
        }
    }

    /// The rollbacks to run, latest first.
    var latestFirst: [PendingRollback] { entries.withLock { $0.reversed() } }
}

/// The outputs of the steps run so far, by step id. A map item, a fallback and a rollback write into a layer of
/// their own (their steps are local to them), reading through to the enclosing outputs.
final class StepOutputs: Sendable {
    let parent: StepOutputs?
    let rollbacks: RollbackList
    private let values = Mutex<[String: JSONValue]>([:])

    init() {
        parent = nil
        rollbacks = RollbackList()
    }

    init(parent: StepOutputs) {
        self.parent = parent
        rollbacks = parent.rollbacks
    }

    func set(_ id: String, _ value: JSONValue) { values.withLock { $0[id] = value } }

    func value(_ id: String) -> JSONValue? { values.withLock { $0[id] } ?? parent?.value(id) }

    var all: [String: JSONValue] {
        let own = values.withLock { $0 }
        guard let parent else { return own }
        // A map item's layer is empty while its step runs: share the parent's dictionary instead of merging.
        if own.isEmpty { return parent.all }
        return parent.all.merging(own) { _, local in local }
    }
}

/// One execution of a document's body (created anew for every replay).
struct DocumentRun: Sendable {
    let document: WorkflowDocument
    let environment: InterpreterEnvironment
    let outputs: StepOutputs
    let evaluator = ExpressionEvaluator()
    /// What `secrets.NAME` reads as outside the body of a working step: a marker, never the value.
    let markers: [String: String]

    init(document: WorkflowDocument, environment: InterpreterEnvironment, outputs: StepOutputs = StepOutputs()) {
        self.init(document: document, environment: environment, outputs: outputs,
                  markers: Dictionary(document.secrets.map { ($0, "[secret:\($0)]") }, uniquingKeysWith: { first, _ in first }))
    }

    private init(document: WorkflowDocument, environment: InterpreterEnvironment, outputs: StepOutputs, markers: [String: String]) {
        self.document = document
        self.environment = environment
        self.outputs = outputs
        self.markers = markers
    }

    /// The same run with a layer of outputs of its own (one per map item, so it is built without recomputing
    /// anything the run already has).
    func local() -> DocumentRun {
        DocumentRun(document: document, environment: environment, outputs: StepOutputs(parent: outputs), markers: markers)
    }

    func run(input: JSONValue) async throws -> JSONValue {
        try DocumentInterpreter.validateInput(input, for: document)
        let context = StepContext(input: input)
        do {
            var last: JSONValue = .null
            for step in document.steps {
                last = try await run(step, context).value
            }
            guard let output = document.output else { return last }
            return try evaluate(output, context, secrets: markers, step: "output")
        } catch let pause as PauseRequested {
            throw pause
        } catch {
            await rollBack()
            throw error
        }
    }

    /// Runs the `rollback` of every completed step, latest first, each as durable steps named `<id>_rollback`.
    /// They run even while the execution is being cancelled; a failing rollback is recorded and the others still run.
    func rollBack() async {
        for entry in outputs.rollbacks.latestFirst {
            let run = local()
            _ = await Task {
                try await run.execute(entry.body, name: entry.owner + "_rollback", entry.context, extra: entry.extra)
            }.result
        }
    }

    // MARK: Expressions

    func scope(_ context: StepContext, secrets: [String: String], output: JSONValue? = nil) -> ExpressionScope {
        ExpressionScope(input: context.input, steps: outputs.all, secrets: secrets, item: context.item, index: context.index,
                        previous: context.previous, output: output)
    }

    func evaluate(_ template: Template, _ context: StepContext, secrets: [String: String], step: String) throws -> JSONValue {
        if case .literal(let value) = template { return value }
        do { return try evaluator.evaluate(template, in: scope(context, secrets: secrets)) } catch {
            throw StepError(step: step, message: error.description)
        }
    }

    // MARK: Steps

    struct Outcome: Sendable {
        var value: JSONValue
        /// False when the step's `if` was false.
        var ran: Bool
    }

    /// Runs a step with an id: records its output for later steps and remembers its rollback.
    func run(_ step: Step, _ context: StepContext, extra: [String: JSONValue] = [:]) async throws -> Outcome {
        let outcome = try await execute(step.body, name: step.id, context, extra: extra)
        outputs.set(step.id, outcome.value)
        if outcome.ran { rememberRollback(of: step.body, owner: step.id, context, extra: extra) }
        return outcome
    }

    func rememberRollback(of body: StepBody, owner: String, _ context: StepContext, extra: [String: JSONValue]) {
        guard let rollback = body.options.rollback else { return }
        let key = body.location.path + context.itemPath.map { "#\($0)" }.joined()
        outputs.rollbacks.add(PendingRollback(owner: owner, body: rollback, context: context, extra: extra, key: key))
    }

    /// Runs a body named `name` (its step id, or `<id>_fallback`, `<id>_rollback`).
    func execute(_ body: StepBody, name: String, _ context: StepContext, extra: [String: JSONValue]) async throws -> Outcome {
        if let condition = body.options.condition {
            let holds: Bool
            do { holds = try evaluator.isTrue(condition, in: scope(context, secrets: markers)) } catch {
                throw StepError(step: name, message: "if: \(error.description)")
            }
            if !holds {
                // A skipped container's steps read as null.
                for id in body.visibleNestedIDs { outputs.set(id, .null) }
                return Outcome(value: .null, ran: false)
            }
        }
        let isPause: Bool
        if case .pause = body.kind { isPause = true } else { isPause = false }
        if body.doesWork || (body.options.needsTask && !isPause) {
            return Outcome(value: try await durable(body, name: name, context, extra: extra), ran: true)
        }
        return Outcome(value: try await compose(body, name: name, context, extra: extra), ran: true)
    }

    /// A body that is not itself one task: pause, sleep, call, and the containers.
    func compose(_ body: StepBody, name: String, _ context: StepContext, extra: [String: JSONValue]) async throws -> JSONValue {
        switch body.kind {
        case .pause(let point):
            let shown = try point.output.map { try evaluate($0, context, secrets: markers, step: name) } ?? .null
            let answer = try await pause(point.name, output: shown, input: point.inputSchema)
            if let validator = point.inputValidator {
                let violations = validator.violations(of: answer, root: "resume input")
                if !violations.isEmpty {
                    throw StepError(step: name, message: "the resume input does not match the input schema of pause \(point.name): "
                        + violations.map(\.description).joined(separator: "; "))
                }
            }
            return answer
        case .builtin(let call) where call.builtin == .sleep:
            try await sleep(seconds: try sleepSeconds(try evaluate(call.arguments, context, secrets: markers, step: name), step: name), name: name)
            return .null
        case .call(let call):
            return try await callWorkflow(call, name: name, context)
        case .parallel(let steps):
            let run = self
            return .array(try await parallel(steps.map { step in
                { @Sendable in try await run.run(step, context, extra: extra).value }
            }))
        case .map(let map):
            return try await runMap(map, body: body, name: name, context, extra: extra)
        case .pipeline(let pipeline):
            var current = context
            current.previous = try evaluate(pipeline.input, context, secrets: markers, step: name)
            for step in pipeline.steps {
                current.previous = try await run(step, current, extra: extra).value
            }
            return current.previous ?? .null
        case .graph(let graph):
            return try await runGraph(graph, name: name, context, extra: extra)
        case .set, .task, .http, .exec, .builtin:
            // Working steps run through `durable`; this is their work inside a task body.
            return try await perform(body, name: name, context, TaskContext(), extra: extra)
        }
    }

    /// One task per item, each in a `parallel` branch of its own (so task ids inside an item do not depend on
    /// scheduling), at most `concurrency` at once; the outputs in item order.
    func runMap(_ map: MapStep, body: StepBody, name: String, _ context: StepContext, extra: [String: JSONValue]) async throws -> JSONValue {
        let over = try evaluate(map.over, context, secrets: markers, step: name)
        let items: [JSONValue]
        if let array = over.arrayValue {
            items = array
        } else if let object = over.objectValue {
            items = object.sorted { $0.key < $1.key }.map(\.value)
        } else {
            throw StepError(step: name, message: "map over: expected an array or an object, found \(over.typeName)")
        }
        guard !items.isEmpty else { return .array([]) }
        let run = self
        do { try checkMapItems(items.count) } catch { throw StepError(step: name, message: String(describing: error)) }
        let itemBody = map.body
        let branches: [@Sendable () async throws -> JSONValue] = items.indices.map { i in
            {
                try Task.checkCancellation()
                var itemContext = context
                itemContext.item = items[i]
                itemContext.index = i
                itemContext.itemPath.append(i)
                var itemExtra = extra
                itemExtra["index"] = .int(i)
                let itemRun = run.local()
                let outcome = try await itemRun.execute(itemBody, name: name, itemContext, extra: itemExtra)
                if outcome.ran { itemRun.rememberRollback(of: itemBody, owner: name, itemContext, extra: itemExtra) }
                return outcome.value
            }
        }
        return .array(try await parallel(branches, limit: map.concurrency ?? environment.mapConcurrency))
    }

    /// Nodes run one at a time in topological order. The start node runs; another node runs when an edge into it
    /// is taken: its `from` node ran and its `when` (seeing that node's output as `output`) is truthy or absent.
    /// Nodes not reached read as null. The output is the end node's; not reaching it fails the step.
    func runGraph(_ graph: GraphStep, name: String, _ context: StepContext, extra: [String: JSONValue]) async throws -> JSONValue {
        var ran: [String: JSONValue] = [:]
        for nodeID in graph.topologicalOrder {
            guard let node = graph.node(id: nodeID) else { continue }
            var reached = nodeID == graph.start
            if !reached {
                for edge in graph.edges where edge.to == nodeID {
                    guard let from = ran[edge.from] else { continue }
                    guard let when = edge.when else {
                        reached = true
                        break
                    }
                    do {
                        if try evaluator.isTrue(when, in: scope(context, secrets: markers, output: from)) {
                            reached = true
                            break
                        }
                    } catch {
                        throw StepError(step: name, message: "edge \(edge.from) → \(edge.to): when: \(error.description)")
                    }
                }
            }
            guard reached else {
                outputs.set(nodeID, .null)
                for id in node.body.visibleNestedIDs { outputs.set(id, .null) }
                continue
            }
            let outcome = try await run(node, context, extra: extra)
            if outcome.ran { ran[nodeID] = outcome.value }
        }
        guard let result = ran[graph.end] else {
            throw StepError(step: name, message: "the graph ended without running its end node \(graph.end): no edge into it was taken")
        }
        return result
    }

    func callWorkflow(_ call: WorkflowCall, name: String, _ context: StepContext) async throws -> JSONValue {
        if let version = call.version {
            throw StepError(step: name, message: "call \(call.workflow) pins version \(version), which this engine cannot honour yet "
                + "(its call runs the latest version); remove `version:` to call the latest version")
        }
        return try await FluxCore.call(call.workflow, input: try evaluate(call.input, context, secrets: markers, step: name))
    }

    func sleepSeconds(_ arguments: JSONValue, step: String) throws -> Double {
        let given = arguments["seconds"] ?? arguments
        guard let seconds = given.doubleValue ?? given.stringValue.flatMap(DocumentDecoder.parseDuration), seconds.isFinite, seconds >= 0 else {
            throw StepError(step: step, message: "sleep needs `with: {seconds: N}`: a number of seconds ≥ 0 or a duration such as \"5m\", found \(given.canonicalJSON.prefix(100))")
        }
        return seconds
    }

    // MARK: Durable tasks

    /// The registered Swift task a `task:` body calls, if any.
    func registeredTask(_ body: StepBody) -> TaskDefinition? {
        guard case .task(let call) = body.kind else { return nil }
        return environment.tasks[call.name]
    }

    /// Runs `body` as one durable task named `name` with arguments `{step, input}` (plus `index` in a map and
    /// `definition` with `cache`), where `input` is evaluated with secrets shown as markers.
    func durable(_ body: StepBody, name: String, _ context: StepContext, extra: [String: JSONValue]) async throws -> JSONValue {
        var arguments = extra
        arguments["step"] = .string(body.location.path)
        do { arguments["input"] = try recordedInputs(body, context) } catch {
            // The task body evaluates again (with the real secrets) and fails there, so retry and fallback apply.
            arguments["input"] = .null
            arguments["input_error"] = .string(String(describing: error))
        }
        if body.options.cache { arguments["definition"] = .string(document.definitionHash(path: body.location.path)) }
        let registered = registeredTask(body)
        var secrets = body.kind.workSecrets
        if let registered { secrets.formUnion(registered.options.secretRequests) }
        let options = taskOptions(body, name: name, context, extra: extra, secrets: secrets.sorted(), registered: registered)
        let run = self
        // A `set` in a document without secrets evaluates to exactly its recorded input: do not evaluate it twice.
        let inputIsTheValue: Bool
        if case .set = body.kind, markers.isEmpty, arguments["input_error"] == nil { inputIsTheValue = true } else { inputIsTheValue = false }
        let definition = TaskDefinition(name: name, options: options) { recorded, taskContext in
            if inputIsTheValue, let value = recorded["input"] { return value }
            return try await run.perform(body, name: name, context, taskContext, extra: extra)
        }
        let result = try await definition.invoke(arguments: .object(arguments))
        guard body.isContainer else { return result }
        // A container run as one task records its nested steps' outputs with its own: restore them.
        let nested = result["steps"]?.objectValue ?? [:]
        for id in body.visibleNestedIDs { outputs.set(id, nested[id] ?? .null) }
        return result["output"] ?? .null
    }

    func taskOptions(_ body: StepBody, name: String, _ context: StepContext, extra: [String: JSONValue], secrets: [String],
                     registered: TaskDefinition?) -> TaskOptions {
        // A registered task's own options are the defaults; the step's options override them.
        var options = registered?.options ?? TaskOptions()
        if let fallback = options.fallback { options.fallback = { arguments, context in try await fallback(arguments["input"] ?? .null, context) } }
        if let rollback = options.rollback { options.rollback = { arguments, context in try await rollback(arguments["input"] ?? .null, context) } }
        let o = body.options
        if let retry = o.retry {
            options.retryMaxAttempts = max(0, retry.maxAttempts)
            options.retryDelay = max(0, retry.delay.seconds)
            options.retryBackoff = max(1, retry.backoff)
        }
        if let timeout = o.timeout { options.timeout = timeout.seconds }
        if o.cache { options.cache = true }
        if o.metadata { options.metadata = true }
        options.secretRequests = secrets
        // A `set` only computes: it need not wait for earlier completions to be committed before it runs.
        if case .set = body.kind { options.sideEffectFree = true }
        if let fallback = o.fallback {
            let run = self
            let wraps = body.isContainer
            options.fallback = { _, _ in
                let value = try await run.runFallback(fallback, owner: name, context, extra: extra)
                return wraps ? ["output": value, "steps": [:]] : value
            }
        }
        return options
    }

    /// A fallback body: a plain working step runs inline (its output completes the failed task); anything else
    /// (secrets, options, containers, sleep, call) runs as steps named `<id>_fallback` inside the fallback.
    func runFallback(_ fallback: StepBody, owner: String, _ context: StepContext, extra: [String: JSONValue]) async throws -> JSONValue {
        let run = local()
        let name = owner + "_fallback"
        do {
            let inline = fallback.doesWork && !fallback.options.needsTask && !fallback.options.metadata
                && fallback.kind.workSecrets.isEmpty && (registeredTask(fallback)?.options.secretRequests.isEmpty ?? true)
            guard inline else { return try await run.execute(fallback, name: name, context, extra: extra).value }
            if let condition = fallback.options.condition {
                do {
                    if !(try evaluator.isTrue(condition, in: run.scope(context, secrets: markers))) { return .null }
                } catch {
                    throw StepError(step: name, message: "if: \(error.description)")
                }
            }
            return try await run.perform(fallback, name: name, context, TaskContext(), extra: extra)
        } catch is PauseRequested {
            throw StepError(step: owner, message: "a fallback cannot pause")
        }
    }

    /// The inputs recorded as the task's arguments: evaluated with secrets shown as markers.
    func recordedInputs(_ body: StepBody, _ context: StepContext) throws -> JSONValue {
        let name = body.location.path
        switch body.kind {
        case .set(let t): return try evaluate(t, context, secrets: markers, step: name)
        case .task(let call): return try evaluate(call.arguments, context, secrets: markers, step: name)
        case .builtin(let call): return try evaluate(call.arguments, context, secrets: markers, step: name)
        case .http(let spec): return try httpRequest(spec, context, secrets: markers, step: name).json
        case .exec(let command):
            var object: [String: JSONValue] = [
                "command": .string(command.command), "args": try evaluate(command.arguments, context, secrets: markers, step: name),
            ]
            if let env = command.environment { object["env"] = try evaluate(env, context, secrets: markers, step: name) }
            return .object(object)
        case .call(let call): return try evaluate(call.input, context, secrets: markers, step: name)
        case .pause: return .null
        case .parallel, .map, .pipeline, .graph:
            // What a cached container reads: its context and the outputs of the steps it refers to.
            guard body.options.cache else { return .null }
            var object: [String: JSONValue] = ["input": context.input]
            if let item = context.item { object["item"] = item }
            if let index = context.index { object["index"] = .int(index) }
            if let previous = context.previous { object["previous"] = previous }
            var steps: [String: JSONValue] = [:]
            for id in body.referencedSteps { if let value = outputs.value(id) { steps[id] = value } }
            object["steps"] = .object(steps)
            return .object(object)
        }
    }

    /// The work of a body, inside its task: secrets are the real values the task received.
    func perform(_ body: StepBody, name: String, _ context: StepContext, _ task: TaskContext, extra: [String: JSONValue]) async throws -> JSONValue {
        let secrets = task.secrets
        switch body.kind {
        case .set(let t):
            return try evaluate(t, context, secrets: secrets, step: name)
        case .task(let call):
            guard let registered = environment.tasks[call.name] else {
                let known = environment.tasks.keys.sorted().prefix(20).joined(separator: ", ")
                throw StepError(step: name, message: "no Swift task named \(call.name) is registered with this engine"
                    + (known.isEmpty ? " (none is)" : " (registered: \(known))"))
            }
            return try await registered.body(try evaluate(call.arguments, context, secrets: secrets, step: name), task)
        case .http(let spec):
            return try await HTTPStep(environment: environment).perform(try httpRequest(spec, context, secrets: secrets, step: name), step: name)
        case .exec(let command):
            let arguments = try evaluate(command.arguments, context, secrets: secrets, step: name)
            let env = try command.environment.map { try evaluate($0, context, secrets: secrets, step: name) }
            return try await ExecStep(allowlist: environment.execAllowlist, workflow: document.name).perform(command.command, arguments: arguments, environment: env, step: name)
        case .builtin(let call):
            return try await builtin(call, name: name, context, secrets: secrets)
        case .call(let call):
            return try await callWorkflow(call, name: name, context)
        case .pause:
            throw StepError(step: name, message: "a pause cannot have retry, timeout, fallback or cache")
        case .parallel, .map, .pipeline, .graph:
            let value: JSONValue
            do { value = try await compose(body, name: name, context, extra: extra) } catch is PauseRequested {
                throw StepError(step: name, message: "a step with retry, timeout, fallback or cache runs as one task and cannot pause inside")
            }
            var nested: [String: JSONValue] = [:]
            for id in body.visibleNestedIDs { nested[id] = outputs.value(id) ?? .null }
            return ["output": value, "steps": .object(nested)]
        }
    }

    func builtin(_ call: BuiltinCall, name: String, _ context: StepContext, secrets: [String: String]) async throws -> JSONValue {
        let args = try evaluate(call.arguments, context, secrets: secrets, step: name)
        do {
            switch call.builtin {
            case .now:
                let date = Date()
                return ["iso": .string(Timestamp.format(date)), "timestamp": .double(date.timeIntervalSince1970)]
            case .uuid4:
                return .string(UUID().uuidString.lowercased())
            case .choice:
                return try await Builtins.choice.body(args["options"] ?? args, TaskContext())
            case .randint:
                return try await Builtins.randint.body([args["min"] ?? .null, args["max"] ?? .null], TaskContext())
            case .randrange:
                return try await Builtins.randrange.body([args["start"] ?? .int(0), args["stop"] ?? .null, args["step"] ?? .int(1)], TaskContext())
            case .sleep:
                try await sleep(seconds: try sleepSeconds(args, step: name), name: name)
                return .null
            }
        } catch let error as BuiltinError {
            throw StepError(step: name, message: error.message)
        }
    }

    func httpRequest(_ spec: HTTPRequestSpec, _ context: StepContext, secrets: [String: String], step: String) throws -> HTTPStep.Request {
        HTTPStep.Request(
            method: spec.method, url: ExpressionEvaluator.text(try evaluate(spec.url, context, secrets: secrets, step: step)),
            headers: try spec.headers.map { try evaluate($0, context, secrets: secrets, step: step) },
            query: try spec.query.map { try evaluate($0, context, secrets: secrets, step: step) },
            body: try spec.body.map { try evaluate($0, context, secrets: secrets, step: step) },
            expect: spec.expect, timeout: spec.timeout?.seconds)
    }
}
