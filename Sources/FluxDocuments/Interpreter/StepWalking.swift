import Crypto
import FluxCore
import Foundation

extension StepBody {
    /// Calls `visit` on this body and every body nested in it (container steps, map bodies, graph nodes,
    /// fallbacks and rollbacks), parents first.
    func forEachBody(_ visit: (StepBody) -> Void) {
        visit(self)
        switch kind {
        case .parallel(let steps): for s in steps { s.body.forEachBody(visit) }
        case .pipeline(let p): for s in p.steps { s.body.forEachBody(visit) }
        case .graph(let g): for s in g.nodes { s.body.forEachBody(visit) }
        case .map(let m): m.body.forEachBody(visit)
        default: break
        }
        options.fallback?.forEachBody(visit)
        options.rollback?.forEachBody(visit)
    }

    /// The templates of this body alone: its `if` and what its kind evaluates (not nested bodies).
    var ownTemplates: [Template] {
        var out: [Template] = options.condition.map { [$0] } ?? []
        out += kind.workTemplates
        switch kind {
        case .pause(let p): if let o = p.output { out.append(o) }
        case .call(let c): out.append(c.input)
        case .map(let m): out.append(m.over)
        case .pipeline(let p): out.append(p.input)
        case .graph(let g): out += g.edges.compactMap(\.when)
        default: break
        }
        return out
    }

    /// Step ids read by this body or anything nested in it.
    var referencedSteps: Set<String> {
        var out = Set<String>()
        forEachBody { body in for t in body.ownTemplates { out.formUnion(t.referencedSteps) } }
        return out
    }

    /// Ids of the steps nested in this body that are visible after it (containers; not map bodies, fallbacks
    /// or rollbacks, whose steps are local to them).
    var visibleNestedIDs: [String] {
        var out: [String] = []
        func collect(_ steps: [Step]) {
            for s in steps {
                out.append(s.id)
                out += s.body.visibleNestedIDs
            }
        }
        switch kind {
        case .parallel(let steps): collect(steps)
        case .pipeline(let p): collect(p.steps)
        case .graph(let g): collect(g.nodes)
        default: break
        }
        return out
    }

    /// Whether the step is one durable task whatever its options.
    var doesWork: Bool {
        switch kind {
        case .set, .task, .http, .exec: return true
        case .builtin(let b): return b.builtin != .sleep
        default: return false
        }
    }

    /// Whether the body composes other steps.
    var isContainer: Bool {
        switch kind {
        case .parallel, .map, .pipeline, .graph: return true
        default: return false
        }
    }
}

extension StepKind {
    /// The templates a working step evaluates inside its task (where secrets are real).
    var workTemplates: [Template] {
        switch self {
        case .set(let t): return [t]
        case .task(let c): return [c.arguments]
        case .builtin(let b): return [b.arguments]
        case .http(let s): return [s.url, s.headers, s.query, s.body].compactMap { $0 }
        case .exec(let e): return [e.arguments] + (e.environment.map { [$0] } ?? [])
        default: return []
        }
    }

    /// Secret names the working step reads.
    var workSecrets: Set<String> {
        workTemplates.reduce(into: Set<String>()) { $0.formUnion($1.referencedSecrets) }
    }
}

extension StepOptions {
    /// Options that only a task gives a step: a container, sleep or call with them runs as one task.
    var needsTask: Bool { retry != nil || timeout != nil || fallback != nil || cache }
}

extension WorkflowDocument {
    /// SHA-256 (16 hex) of the canonical JSON of the step at `path` as written, so that `cache: true` keys on what
    /// the step does, not only on its inputs; the whole document's hash when the path cannot be followed.
    func definitionHash(path: String) -> String {
        var value: JSONValue? = normalized
        for component in Self.components(of: path) {
            switch component {
            case .key(let k): value = value?[k]
            case .index(let i): value = value?[i]
            }
        }
        guard let value else { return String(contentHash.prefix(16)) }
        return TaskIdentity.hash16(value.canonicalData)
    }

    /// `steps[2].graph.nodes["a b"]` → [.key(steps), .index(2), .key(graph), .key(nodes), .key(a b)].
    static func components(of path: String) -> [DocumentPath.Component] {
        var out: [DocumentPath.Component] = []
        var chars = Substring(path)
        while !chars.isEmpty {
            if chars.first == "." {
                chars = chars.dropFirst()
            } else if chars.first == "[" {
                chars = chars.dropFirst()
                if chars.first == "\"" {
                    // A quoted key: read the JSON string literal.
                    var literal = "\""
                    chars = chars.dropFirst()
                    var escaped = false
                    while let c = chars.first {
                        chars = chars.dropFirst()
                        literal.append(c)
                        if escaped { escaped = false } else if c == "\\" { escaped = true } else if c == "\"" { break }
                    }
                    if let key = (try? JSONValue(parsing: literal))?.stringValue { out.append(.key(key)) }
                    if chars.first == "]" { chars = chars.dropFirst() }
                } else {
                    let digits = chars.prefix { $0 != "]" }
                    chars = chars.dropFirst(digits.count + 1)
                    if let i = Int(digits) { out.append(.index(i)) }
                }
            } else {
                let name = chars.prefix { $0 != "." && $0 != "[" }
                chars = chars.dropFirst(name.count)
                out.append(.key(String(name)))
            }
        }
        return out
    }
}
