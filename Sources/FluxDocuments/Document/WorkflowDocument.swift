import FluxCore

/// One workflow read from a document: what an interpreter runs and a catalog stores.
///
/// ```swift
/// let workflows = try DocumentParser.parse(text: yaml, sourceName: "hello.yaml")
/// let hello = workflows[0]
/// hello.name          // "hello_world"
/// hello.steps[0].kind // .set(.interpolation([.text("Hello, "), .expression(.variable(.input))]))
/// hello.contentHash   // "3f2a…" (SHA-256 of the canonical JSON of the workflow)
/// ```
public struct WorkflowDocument: Sendable, Hashable {
    /// The format version (`flux:`); always 1 today.
    public let formatVersion: Int
    /// `[a-z][a-z0-9_]*`, unique within a file.
    public let name: String
    public let description: String?
    /// JSON Schema the workflow input must satisfy before a run starts (see `InputSchemaValidator`).
    public let inputSchema: JSONValue?
    /// Secret names the workflow may read as `secrets.NAME`.
    public let secrets: [String]
    /// What a remote worker must have to run the workflow (`requests:`); nil when it asks for nothing.
    public let requests: ResourceRequest?
    /// The top-level steps, in order.
    public let steps: [Step]
    /// The workflow output; `nil` means the output of the last top-level step.
    public let output: Template?
    /// Where the workflow starts in its source.
    public let location: DocumentLocation
    /// The workflow as a JSON value, exactly as written (keys sorted when serialized); `flux` is always present.
    public let normalized: JSONValue
    /// SHA-256 (lowercase hex) of `normalized.canonicalJSON`: equal for documents that differ only in layout.
    public let contentHash: String
    /// The text of this workflow: the original text for a one-workflow document, else `normalized` as pretty JSON.
    public let source: String
    public let sourceFormat: DocumentFormat
    /// The name the caller gave the source (usually the file name).
    public let sourceName: String

    public init(formatVersion: Int, name: String, description: String?, inputSchema: JSONValue?, secrets: [String], requests: ResourceRequest? = nil, steps: [Step],
                output: Template?, location: DocumentLocation, normalized: JSONValue, contentHash: String, source: String,
                sourceFormat: DocumentFormat, sourceName: String) {
        self.formatVersion = formatVersion
        self.name = name
        self.description = description
        self.inputSchema = inputSchema
        self.secrets = secrets
        self.requests = requests
        self.steps = steps
        self.output = output
        self.location = location
        self.normalized = normalized
        self.contentHash = contentHash
        self.source = source
        self.sourceFormat = sourceFormat
        self.sourceName = sourceName
    }

    /// Every step with an id, nested ones included, in document order (parents before children).
    public var allSteps: [Step] {
        var out: [Step] = []
        for step in steps { step.collect(into: &out) }
        return out
    }

    /// The step with this id, wherever it is nested.
    public func step(id: String) -> Step? {
        allSteps.first { $0.id == id }
    }

    /// Whether the workflow reads any secret.
    public var usesSecrets: Bool { !secrets.isEmpty }
}

extension Step {
    func collect(into out: inout [Step]) {
        out.append(self)
        body.collectNested(into: &out)
    }
}

extension StepBody {
    func collectNested(into out: inout [Step]) {
        switch kind {
        case .parallel(let steps): for s in steps { s.collect(into: &out) }
        case .pipeline(let p): for s in p.steps { s.collect(into: &out) }
        case .graph(let g): for s in g.nodes { s.collect(into: &out) }
        case .map(let m): m.body.collectNested(into: &out)
        default: break
        }
        options.fallback?.collectNested(into: &out)
        options.rollback?.collectNested(into: &out)
    }
}
