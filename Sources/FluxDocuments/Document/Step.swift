import FluxCore

/// A step: an id plus a body. Ids are unique in a workflow (nested steps and graph nodes included) and are how
/// expressions read outputs: `steps.<id>.output`.
public struct Step: Sendable, Hashable, Identifiable {
    /// `[a-z_][a-z0-9_]*`.
    public let id: String
    public let body: StepBody

    public init(id: String, body: StepBody) {
        self.id = id
        self.body = body
    }

    public var kind: StepKind { body.kind }
    public var options: StepOptions { body.options }
    public var location: DocumentLocation { body.location }
}

/// What a step does and how: the part of a step without its id. `fallback`, `rollback` and a `map`'s per-item
/// `step` are bodies without ids; an interpreter can name them by `location.path` (e.g. `steps[2].fallback`).
public struct StepBody: Sendable, Hashable {
    public let kind: StepKind
    public let options: StepOptions
    /// Where the body is: `path` is relative to its workflow (`steps[2].fallback`, also for a workflow read from a
    /// `workflows:` list) and stable for given content, so usable in task names; line and column are in the text read.
    public let location: DocumentLocation

    public init(kind: StepKind, options: StepOptions = StepOptions(), location: DocumentLocation) {
        self.kind = kind
        self.options = options
        self.location = location
    }
}

/// The one thing a step does. Each case is one key of the step object (`set:`, `task:`, …).
public indirect enum StepKind: Sendable, Hashable {
    /// `set: <value>`: the step's output is the evaluated template.
    case set(Template)
    /// `task: <name>` with `with: <arguments>`: runs a task registered in Swift.
    case task(TaskCall)
    /// `builtin: <name>` with `with: <arguments>`: a deterministic, recorded built-in (time, sleep, randomness).
    case builtin(BuiltinCall)
    /// `pause: <name>`: waits for a resume; the step's output is the resume input.
    case pause(PausePoint)
    /// `call: <workflow>`: runs another workflow as a child and outputs its output.
    case call(WorkflowCall)
    /// `http: {…}`: one HTTP request; the output is `{status, headers, body}`.
    case http(HTTPRequestSpec)
    /// `parallel: [steps]`: runs the steps concurrently; the output is the array of their outputs, in order.
    case parallel([Step])
    /// `map: {over, step, concurrency}`: runs `step` once per element; the output is the array of results.
    case map(MapStep)
    /// `pipeline: {input, steps}`: runs steps in order, each seeing the previous output as `previous`; the output
    /// is the last step's output.
    case pipeline(PipelineStep)
    /// `graph: {nodes, edges, start, end}`: a directed acyclic graph of steps with conditional edges; the output is
    /// the `end` node's output.
    case graph(GraphStep)
    /// `exec: {command, args, env}`: runs a program without a shell, when the configuration allows it.
    case exec(ExecCommand)

    /// The key that names this kind in a document.
    public var name: String {
        switch self {
        case .set: return "set"
        case .task: return "task"
        case .builtin: return "builtin"
        case .pause: return "pause"
        case .call: return "call"
        case .http: return "http"
        case .parallel: return "parallel"
        case .map: return "map"
        case .pipeline: return "pipeline"
        case .graph: return "graph"
        case .exec: return "exec"
        }
    }

    /// All step kind keys.
    public static let names = ["set", "task", "builtin", "pause", "call", "http", "parallel", "map", "pipeline", "graph", "exec"]
}

/// Options any step may carry.
public struct StepOptions: Sendable, Hashable {
    /// `if:`: the step runs only when this is truthy; a skipped step's output is `null`.
    public var condition: Template?
    /// `retry:`: how often and how fast to retry a failed step.
    public var retry: RetryPolicy?
    /// `timeout:`: the longest one attempt may take.
    public var timeout: Duration?
    /// `cache: true`: reuse the output of an earlier run with the same step and the same evaluated arguments.
    public var cache: Bool
    /// `metadata: true`: give the step its task metadata (execution id, step id, attempt); a `task` step receives it.
    public var metadata: Bool
    /// `description:`: for people and tools; no effect on the run.
    public var description: String?
    // Arrays give the indirection a struct cannot hold directly (StepBody contains StepOptions).
    private var fallbackStorage: [StepBody]
    private var rollbackStorage: [StepBody]

    /// `fallback:`: run instead when the step fails (after its retries); its output becomes the step's output.
    public var fallback: StepBody? {
        get { fallbackStorage.first }
        set { fallbackStorage = newValue.map { [$0] } ?? [] }
    }

    /// `rollback:`: run when the workflow fails later, to undo this step's effect (in reverse order of completion).
    public var rollback: StepBody? {
        get { rollbackStorage.first }
        set { rollbackStorage = newValue.map { [$0] } ?? [] }
    }

    public init(condition: Template? = nil, retry: RetryPolicy? = nil, timeout: Duration? = nil, fallback: StepBody? = nil,
                rollback: StepBody? = nil, cache: Bool = false, metadata: Bool = false, description: String? = nil) {
        self.condition = condition
        self.retry = retry
        self.timeout = timeout
        self.cache = cache
        self.metadata = metadata
        self.description = description
        self.fallbackStorage = fallback.map { [$0] } ?? []
        self.rollbackStorage = rollback.map { [$0] } ?? []
    }
}

/// `retry: {max_attempts, delay, backoff}`: after a failure, wait `delay`, then `delay × backoff`, … for at most
/// `maxAttempts` further attempts.
public struct RetryPolicy: Sendable, Hashable {
    public var maxAttempts: Int
    public var delay: Duration
    public var backoff: Double

    public init(maxAttempts: Int, delay: Duration = .seconds(1), backoff: Double = 2) {
        self.maxAttempts = maxAttempts
        self.delay = delay
        self.backoff = backoff
    }
}

/// `task: name`, `with: arguments`.
public struct TaskCall: Sendable, Hashable {
    public var name: String
    /// Evaluates to the task's input; `null` when `with:` is absent.
    public var arguments: Template

    public init(name: String, arguments: Template = .literal(.null)) {
        self.name = name
        self.arguments = arguments
    }
}

/// The built-ins a document may use. Their results are recorded, so a replay sees the same values.
public enum BuiltinName: String, Sendable, Hashable, CaseIterable {
    /// The current time: `{iso, timestamp}` (ISO 8601 UTC text and Unix seconds).
    case now
    /// Waits `with: {seconds}` (a number or a duration such as "5m"); a durable timer.
    case sleep
    /// A random UUID (version 4) as a string.
    case uuid4
    /// A random element of `with: {options: [...]}`.
    case choice
    /// A random integer in `with: {min, max}`, both included.
    case randint
    /// A random integer from `range(start, stop, step)`: `with: {start?, stop, step?}`.
    case randrange
}

/// `builtin: name`, `with: arguments`.
public struct BuiltinCall: Sendable, Hashable {
    public var builtin: BuiltinName
    /// Evaluates to an object (or `null` for built-ins without arguments).
    public var arguments: Template

    public init(builtin: BuiltinName, arguments: Template = .literal(.null)) {
        self.builtin = builtin
        self.arguments = arguments
    }
}

/// `pause: name`, `output:` (shown to whoever resumes), `input:` (JSON Schema of the resume input).
public struct PausePoint: Sendable, Hashable {
    public var name: String
    public var output: Template?
    public var inputSchema: JSONValue?

    public init(name: String, output: Template? = nil, inputSchema: JSONValue? = nil) {
        self.name = name
        self.output = output
        self.inputSchema = inputSchema
    }
}

/// `call: workflow`, `version:`, `with: input`.
public struct WorkflowCall: Sendable, Hashable {
    public var workflow: String
    /// A specific catalog version; `nil` is the latest.
    public var version: Int?
    public var input: Template

    public init(workflow: String, version: Int? = nil, input: Template = .literal(.null)) {
        self.workflow = workflow
        self.version = version
        self.input = input
    }
}

/// `http: {method, url, headers, query, body, expect, timeout}`.
public struct HTTPRequestSpec: Sendable, Hashable {
    /// Upper-case method; `GET` by default.
    public var method: String
    /// Evaluates to a string.
    public var url: Template
    /// Evaluates to an object of strings.
    public var headers: Template?
    /// Evaluates to an object whose values are added to the URL's query string.
    public var query: Template?
    /// Sent as JSON unless it evaluates to a string.
    public var body: Template?
    /// Accepted status codes; `nil` accepts any 2xx. Any other status fails the step (and so can be retried).
    public var expect: [Int]?
    /// Time allowed for the request.
    public var timeout: Duration?

    public init(method: String = "GET", url: Template, headers: Template? = nil, query: Template? = nil, body: Template? = nil,
                expect: [Int]? = nil, timeout: Duration? = nil) {
        self.method = method
        self.url = url
        self.headers = headers
        self.query = query
        self.body = body
        self.expect = expect
        self.timeout = timeout
    }
}

/// `map: {over, step, concurrency}`.
public struct MapStep: Sendable, Hashable {
    /// Evaluates to an array (an object maps over its values in key order).
    public var over: Template
    /// Run once per element with `item` and `index` in scope.
    public var body: StepBody
    /// At most this many bodies at once; `nil` is no limit.
    public var concurrency: Int?

    public init(over: Template, body: StepBody, concurrency: Int? = nil) {
        self.over = over
        self.body = body
        self.concurrency = concurrency
    }
}

/// `pipeline: {input, steps}`.
public struct PipelineStep: Sendable, Hashable {
    /// What the first step sees as `previous`; `null` when absent.
    public var input: Template
    public var steps: [Step]

    public init(input: Template = .literal(.null), steps: [Step]) {
        self.input = input
        self.steps = steps
    }
}

/// `graph: {nodes, edges, start, end}`: a DAG. Starting at `start`, a node runs when any edge into it is taken; an
/// edge is taken when its `from` node ran and its `when` (with `output` = the from node's output) is truthy or
/// absent. Nodes run in topological order; nodes never reached are skipped (output `null`). The graph's output is
/// the `end` node's output; the step fails if `end` is not reached.
public struct GraphStep: Sendable, Hashable {
    /// Nodes in document order; each node's id is its key under `nodes:`.
    public var nodes: [Step]
    public var edges: [GraphEdge]
    public var start: String
    public var end: String

    public init(nodes: [Step], edges: [GraphEdge], start: String, end: String) {
        self.nodes = nodes
        self.edges = edges
        self.start = start
        self.end = end
    }

    public func node(id: String) -> Step? { nodes.first { $0.id == id } }

    /// Edges leaving `id`, in document order.
    public func edges(from id: String) -> [GraphEdge] { edges.filter { $0.from == id } }

    /// Node ids in an order in which every node comes after all nodes with an edge into it (document order breaks ties).
    public var topologicalOrder: [String] {
        var indegree: [String: Int] = [:]
        for n in nodes { indegree[n.id] = 0 }
        for e in edges { indegree[e.to, default: 0] += 1 }
        var order: [String] = []
        var ready = nodes.map(\.id).filter { indegree[$0] == 0 }
        while !ready.isEmpty {
            let id = ready.removeFirst()
            order.append(id)
            for e in edges where e.from == id {
                indegree[e.to]! -= 1
                if indegree[e.to] == 0 { ready.append(e.to) }
            }
        }
        return order
    }
}

/// One edge of a graph.
public struct GraphEdge: Sendable, Hashable {
    public var from: String
    public var to: String
    /// Evaluated with `output` = the `from` node's output; the edge is taken when truthy. `nil` is always taken.
    public var when: Template?

    public init(from: String, to: String, when: Template? = nil) {
        self.from = from
        self.to = to
        self.when = when
    }
}

/// `exec: {command, args, env}`: runs `command` directly (no shell) with `args`; the output is
/// `{exit_code, stdout, stderr}`, and a non-zero exit code fails the step. Runs only when the configuration allows it.
public struct ExecCommand: Sendable, Hashable {
    /// A literal program name or path, so that configuration can allow or refuse it before running anything.
    public var command: String
    /// Evaluates to an array of strings.
    public var arguments: Template
    /// Evaluates to an object of strings added to the environment.
    public var environment: Template?

    public init(command: String, arguments: Template = .literal([]), environment: Template? = nil) {
        self.command = command
        self.arguments = arguments
        self.environment = environment
    }
}
