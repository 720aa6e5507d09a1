import FluxCore

extension DocumentDecoder {
    static let commonStepKeys = ["if", "retry", "timeout", "fallback", "rollback", "cache", "metadata", "description"]
    static let kindExtraKeys: [String: [String]] = [
        "task": ["with"], "builtin": ["with"], "call": ["with", "version"], "pause": ["output", "input"],
    ]
    static let allStepKeys = ["id"] + StepKind.names + commonStepKeys + ["with", "version", "output", "input"]

    /// Where a step body sits, for messages and for the rules on `id`.
    enum BodyRole: Equatable {
        case step
        case graphNode
        case anonymous(String)

        var noun: String {
            switch self {
            case .step: return "a step"
            case .graphNode: return "a graph node"
            case .anonymous(let what): return "a \(what)"
            }
        }
    }

    // MARK: - Lists and steps

    /// Decodes steps that run one after another: each sees the ones before it. Returns the ids made visible,
    /// which the caller hides again when the list's scope ends.
    mutating func decodeSequence(_ items: [SourceNode], path: DocumentPath, scope: Scope) -> ([Step], [String]) {
        var steps: [Step] = []
        var added: [String] = []
        for (i, item) in items.enumerated() {
            guard let step = decodeStep(item, path: path / i, scope: scope) else { continue }
            steps.append(step)
            let ids = Self.exported(step)
            show(ids)
            added += ids
        }
        return (steps, added)
    }

    /// Step ids that become visible once `step` finishes: itself and the steps nested in its parallel, pipeline and
    /// graph parts. Steps inside a map body, fallback or rollback stay local to that body.
    static func exported(_ step: Step) -> [String] {
        var out = [step.id]
        switch step.kind {
        case .parallel(let steps): for s in steps { out += exported(s) }
        case .pipeline(let p): for s in p.steps { out += exported(s) }
        case .graph(let g): for s in g.nodes { out += exported(s) }
        default: break
        }
        return out
    }

    mutating func show(_ ids: [String]) {
        for id in ids { visible[id, default: 0] += 1 }
    }

    mutating func hide(_ ids: [String]) {
        for id in ids {
            visible[id, default: 0] -= 1
            if visible[id] == 0 { visible[id] = nil }
        }
    }

    mutating func decodeStep(_ node: SourceNode, path: DocumentPath, scope: Scope, graphID: (String, SourceNode)? = nil) -> Step? {
        guard node.entries != nil else {
            report(node, path, "expected a step (an object with an id and one of \(StepKind.names.joined(separator: ", "))), found \(node.foundDescription)")
            return nil
        }
        let id: String
        let idNode: SourceNode
        if let (key, keyNode) = graphID {
            id = key
            idNode = keyNode
        } else {
            guard let value = node.value("id") else {
                report(node, path / "id", "missing required key \"id\": every step needs an id matching [a-z_][a-z0-9_]*")
                _ = decodeBody(node, path: path, scope: scope, role: .step)
                return nil
            }
            guard let s = value.scalar?.value.stringValue else {
                report(value, path / "id", "expected a step id matching [a-z_][a-z0-9_]*, found \(value.foundDescription)")
                _ = decodeBody(node, path: path, scope: scope, role: .step)
                return nil
            }
            id = s
            idNode = value
        }
        let idPath = graphID == nil ? path / "id" : path
        var idIsValid = true
        if !Self.isStepID(id) {
            report(idNode, idPath, "expected a step id matching [a-z_][a-z0-9_]* (at most 100 characters), found \(idNode.foundDescription)")
            idIsValid = false
        } else if let first = records[id] {
            report(idNode, idPath, "duplicate step id \"\(id)\" (first used at \(first.path)); ids are unique in the whole workflow")
            idIsValid = false
        } else {
            order += 1
            records[id] = StepRecord(path: path.description, order: order, local: localOwners.last)
        }
        ancestors.append(id)
        orderStack.append(records[id]?.order ?? order)
        defer {
            ancestors.removeLast()
            orderStack.removeLast()
        }
        guard let body = decodeBody(node, path: path, scope: scope, role: graphID == nil ? .step : .graphNode, selfID: id),
              idIsValid else { return nil }
        return Step(id: id, body: body)
    }

    /// Decodes the part of a step without its id: the kind and the options.
    mutating func decodeBody(_ node: SourceNode, path: DocumentPath, scope: Scope, role: BodyRole, selfID: String? = nil) -> StepBody? {
        guard let entries = node.entries else {
            report(node, path, "expected \(role.noun) (an object with one of \(StepKind.names.joined(separator: ", "))), found \(node.foundDescription)")
            return nil
        }
        let kinds = entries.filter { StepKind.names.contains($0.key) }
        let kindName = kinds.first?.key
        var allowed = StepKind.names + Self.commonStepKeys
        if role == .step { allowed.append("id") }
        if let kindName { allowed += Self.kindExtraKeys[kindName] ?? [] }
        var kindTypo = false
        for entry in entries where !allowed.contains(entry.key) {
            let p = path / entry.key
            if entry.key == "id" {
                report(entry.keyNode, p, role == .graphNode
                       ? "a graph node's id is its key under nodes:; remove \"id\""
                       : "\(role.noun) has no id; its output is the output of the step that holds it")
            } else if let kindName, ["with", "version", "output", "input"].contains(entry.key) {
                let owners = Self.kindExtraKeys.filter { $0.value.contains(entry.key) }.keys.sorted().joined(separator: ", ")
                report(entry.keyNode, p, "\"\(entry.key)\" is not used by a \(kindName) step (it belongs to \(owners) steps)")
            } else {
                var message = "unknown key \"\(entry.key)\" in \(role.noun)"
                if let s = Suggestion.closest(to: entry.key, in: Self.allStepKeys) {
                    message += "; did you mean \"\(s)\"?"
                    if StepKind.names.contains(s) { kindTypo = true }
                } else {
                    message += " (a step has an id, one of \(StepKind.names.joined(separator: ", ")), and options \(Self.commonStepKeys.joined(separator: ", ")))"
                }
                report(entry.keyNode, p, message)
            }
        }
        if kinds.count > 1 {
            report(kinds[1].keyNode, path / kinds[1].key,
                   "a step has exactly one kind, found \(kinds.map { "\"\($0.key)\"" }.joined(separator: " and ")); split it into several steps")
        }
        let options = decodeOptions(node, path: path, scope: scope, selfID: selfID)
        guard let kindEntry = kinds.first else {
            if !kindTypo {
                report(node, path, "missing the step kind: \(role.noun) needs exactly one of \(StepKind.names.joined(separator: ", "))")
            }
            return nil
        }
        guard let kind = decodeKind(kindEntry, in: node, path: path, scope: scope, selfID: selfID) else { return nil }
        refuseWhatCannotRun(kind, node: node, path: path)
        return StepBody(kind: kind, options: options, location: location(node, path))
    }

    /// What would always fail when the step runs is refused when the document is read, where it is written: a
    /// `call` that pins a version (calls run the latest), and a `pause` with the options of a task (a pause waits
    /// without a bound and is no task: it cannot time out, be retried, fall back or be cached).
    mutating func refuseWhatCannotRun(_ kind: StepKind, node: SourceNode, path: DocumentPath) {
        switch kind {
        case .call(let call):
            if let version = call.version {
                report(node.entry("version")?.keyNode, path / "version", "call \(call.workflow) pins version \(version), which this engine "
                    + "cannot honour yet (a call runs the latest version); remove `version:` to call the latest version")
            }
        case .pause:
            for key in ["retry", "timeout", "fallback", "cache"] where node.entry(key) != nil {
                report(node.entry(key)?.keyNode, path / key, "a pause cannot have \(key): it waits, without a time limit, until it is "
                    + "resumed or cancelled, and is not a task that could be retried, time out, fall back or be cached")
            }
        default:
            break
        }
    }

    mutating func decodeOptions(_ node: SourceNode, path: DocumentPath, scope: Scope, selfID: String?) -> StepOptions {
        var options = StepOptions()
        if let value = node.value("if") {
            if let b = value.scalar?.value.boolValue {
                options.condition = .literal(.bool(b))
            } else if let s = value.scalar?.value.stringValue, s.contains("${{") {
                options.condition = template(value, path / "if", scope)
            } else {
                report(value, path / "if", "expected a condition: an expression such as \"${{ input.enabled }}\" or true/false, found \(value.foundDescription)")
            }
        }
        if let value = node.value("retry") {
            options.retry = decodeRetry(value, path / "retry")
        }
        if let value = node.value("timeout") {
            options.timeout = duration(value, path / "timeout", allowZero: false)
        }
        options.cache = optionalBool(node, "cache", path: path)
        options.metadata = optionalBool(node, "metadata", path: path)
        options.description = optionalString(node, "description", path: path)
        if let value = node.value("fallback") {
            localOwners.append(LocalScope(owner: selfID ?? path.description, kind: "fallback"))
            options.fallback = decodeBody(value, path: path / "fallback", scope: scope, role: .anonymous("fallback"))
            localOwners.removeLast()
        }
        if let value = node.value("rollback") {
            // A rollback runs after its step succeeded, so it may read the step's own output.
            localOwners.append(LocalScope(owner: selfID ?? path.description, kind: "rollback"))
            let own = selfID.map { [$0] } ?? []
            show(own)
            let savedAncestors = ancestors
            if let selfID, ancestors.last == selfID { ancestors.removeLast() }
            options.rollback = decodeBody(value, path: path / "rollback", scope: scope, role: .anonymous("rollback"))
            ancestors = savedAncestors
            hide(own)
            localOwners.removeLast()
        }
        return options
    }

    mutating func decodeRetry(_ node: SourceNode, _ path: DocumentPath) -> RetryPolicy? {
        guard let entries = node.entries else {
            report(node, path, "expected retry settings such as {max_attempts: 3, delay: 1, backoff: 2}, found \(node.foundDescription)")
            return nil
        }
        checkKeys(entries, allowed: ["max_attempts", "delay", "backoff"], path: path, what: "retry")
        var policy = RetryPolicy(maxAttempts: 0)
        var ok = true
        if let value = node.value("max_attempts") {
            if let n = integer(value, path / "max_attempts", min: 0, max: 1000) { policy.maxAttempts = n } else { ok = false }
        } else {
            report(node, path / "max_attempts", "missing required key \"max_attempts\": how many times to retry")
            ok = false
        }
        if let value = node.value("delay") {
            if let d = duration(value, path / "delay", allowZero: true) { policy.delay = d } else { ok = false }
        }
        if let value = node.value("backoff") {
            if let b = value.scalar?.value.doubleValue, value.scalar?.value.boolValue == nil, b >= 1, b <= 100 {
                policy.backoff = b
            } else {
                report(value, path / "backoff", "expected a number from 1 to 100 (the factor the delay grows by), found \(value.foundDescription)")
                ok = false
            }
        }
        return ok ? policy : nil
    }

    // MARK: - Kinds

    mutating func decodeKind(_ entry: SourceEntry, in node: SourceNode, path: DocumentPath, scope: Scope, selfID: String?) -> StepKind? {
        let value = entry.value
        let p = path / entry.key
        switch entry.key {
        case "set":
            return .set(template(value, p, scope))
        case "task":
            guard let name = value.scalar?.value.stringValue, !name.isEmpty, !name.contains(where: { $0.isWhitespace }) else {
                report(value, p, "expected the name of a registered task (a string without spaces), found \(value.foundDescription)")
                return nil
            }
            return .task(TaskCall(name: name, arguments: arguments(node, path, scope)))
        case "builtin":
            guard let name = value.scalar?.value.stringValue, let builtin = BuiltinName(rawValue: name) else {
                var message = "expected a built-in name (\(BuiltinName.allCases.map(\.rawValue).joined(separator: ", "))), found \(value.foundDescription)"
                if let s = value.scalar?.value.stringValue {
                    message = "unknown built-in \"\(s)\""
                    if let suggestion = Suggestion.closest(to: s, in: BuiltinName.allCases.map(\.rawValue)) {
                        message += "; did you mean \"\(suggestion)\"?"
                    } else {
                        message += " (known: \(BuiltinName.allCases.map(\.rawValue).joined(separator: ", ")))"
                    }
                }
                report(value, p, message)
                return nil
            }
            checkBuiltinArguments(builtin, node.value("with"), owner: node, path / "with")
            return .builtin(BuiltinCall(builtin: builtin, arguments: arguments(node, path, scope)))
        case "pause":
            // Two forms: `pause: NAME` with `output:`/`input:` beside it, or `pause: {name, output, input}`.
            var fields = node
            var fieldsPath = path
            let nameNode: SourceNode?
            if let entries = value.entries {
                checkKeys(entries, allowed: ["name", "output", "input"], path: p, what: "pause")
                for key in ["output", "input"] where value.value(key) != nil && node.value(key) != nil {
                    report(node.entry(key)?.keyNode, path / key, "\"\(key)\" is given twice: inside pause: {…} and beside it; keep one")
                }
                if value.value("name") == nil { report(value, p / "name", "missing required key \"name\": the pause point's name") }
                nameNode = value.value("name")
                fields = value
                fieldsPath = p
            } else {
                nameNode = value
            }
            guard let nameNode else { return nil }
            guard let name = nameNode.scalar?.value.stringValue, Self.isStepID(name) else {
                report(nameNode, value.entries == nil ? p : p / "name",
                       "expected a pause name matching [a-z_][a-z0-9_]*, found \(nameNode.foundDescription)")
                return nil
            }
            var point = PausePoint(name: name)
            if let output = fields.value("output") ?? node.value("output") {
                point.output = template(output, (fields.value("output") != nil ? fieldsPath : path) / "output", scope)
            }
            if let schema = fields.value("input") ?? node.value("input") {
                let schemaPath = (fields.value("input") != nil ? fieldsPath : path) / "input"
                checkSchema(schema, schemaPath)
                point.inputSchema = schema.json
            }
            return .pause(point)
        case "call":
            guard let name = value.scalar?.value.stringValue, Self.matches(name, first: "a"..."z") else {
                report(value, p, "expected a workflow name matching \(Self.namePattern), found \(value.foundDescription)")
                return nil
            }
            var call = WorkflowCall(workflow: name, input: arguments(node, path, scope))
            if let version = node.value("version") {
                call.version = integer(version, path / "version", min: 1)
            }
            return .call(call)
        case "http":
            return decodeHTTP(value, p, scope)
        case "parallel":
            guard let items = value.items, !items.isEmpty else {
                report(value, p, "expected a non-empty list of steps to run in parallel, found \(value.foundDescription)")
                return nil
            }
            var steps: [Step] = []
            for (i, item) in items.enumerated() {
                if let step = decodeStep(item, path: p / i, scope: scope) { steps.append(step) }
            }
            return steps.count == items.count ? .parallel(steps) : nil
        case "map":
            return decodeMap(value, p, scope, selfID: selfID)
        case "pipeline":
            return decodePipeline(value, p, scope)
        case "graph":
            return decodeGraph(value, p, scope)
        case "exec":
            return decodeExec(value, p, scope)
        default:
            return nil
        }
    }

    mutating func arguments(_ node: SourceNode, _ path: DocumentPath, _ scope: Scope) -> Template {
        guard let with = node.value("with") else { return .literal(.null) }
        return template(with, path / "with", scope)
    }

    mutating func checkBuiltinArguments(_ builtin: BuiltinName, _ node: SourceNode?, owner: SourceNode, _ path: DocumentPath) {
        struct Argument {
            var name: String
            var required: Bool
            var kind: String  // "integer", "duration", "array"
        }
        let expected: [Argument]
        switch builtin {
        case .now, .uuid4: expected = []
        case .sleep: expected = [Argument(name: "seconds", required: true, kind: "duration")]
        case .choice: expected = [Argument(name: "options", required: true, kind: "array")]
        case .randint: expected = [Argument(name: "min", required: true, kind: "integer"), Argument(name: "max", required: true, kind: "integer")]
        case .randrange:
            expected = [Argument(name: "start", required: false, kind: "integer"), Argument(name: "stop", required: true, kind: "integer"),
                        Argument(name: "step", required: false, kind: "integer")]
        }
        let usage = expected.isEmpty ? "no arguments" : "with: {\(expected.map { $0.required ? $0.name : "\($0.name)?" }.joined(separator: ", "))}"
        guard let node else {
            if expected.contains(where: \.required) {
                report(owner, path, "missing \"with\": builtin \(builtin.rawValue) needs \(usage)")
            }
            return
        }
        if let s = node.scalar?.value.stringValue, s.contains("${{") { return }
        if case .scalar(let s) = node.kind, s.value == .null, expected.allSatisfy({ !$0.required }) { return }
        guard let entries = node.entries else {
            report(node, path, "expected \(usage) for builtin \(builtin.rawValue), found \(node.foundDescription)")
            return
        }
        if expected.isEmpty {
            if !entries.isEmpty { report(node, path, "builtin \(builtin.rawValue) takes no arguments; remove with:") }
            return
        }
        checkKeys(entries, allowed: expected.map(\.name), path: path, what: "the arguments of builtin \(builtin.rawValue)")
        for argument in expected {
            guard let value = node.value(argument.name) else {
                if argument.required { report(node, path / argument.name, "missing required argument \"\(argument.name)\": builtin \(builtin.rawValue) needs \(usage)") }
                continue
            }
            if let s = value.scalar?.value.stringValue, s.contains("${{") { continue }
            let p = path / argument.name
            switch argument.kind {
            case "integer":
                if value.scalar?.value.intValue == nil || value.scalar?.value.boolValue != nil {
                    report(value, p, "expected an integer, found \(value.foundDescription)")
                }
            case "duration":
                _ = duration(value, p, allowZero: true)
            default:
                if let items = value.items {
                    if items.isEmpty { report(value, p, "expected a non-empty list of options, found an empty list") }
                } else {
                    report(value, p, "expected a list of options, found \(value.foundDescription)")
                }
            }
        }
        if builtin == .randint, let lo = node.value("min")?.scalar?.value.intValue, let hi = node.value("max")?.scalar?.value.intValue, lo > hi {
            report(node.value("max"), path / "max", "expected max ≥ min (\(lo)), found \(hi)")
        }
        if builtin == .randrange, let step = node.value("step"), step.scalar?.value.intValue == 0 {
            report(step, path / "step", "expected a non-zero step, found 0")
        }
    }

    mutating func decodeHTTP(_ node: SourceNode, _ path: DocumentPath, _ scope: Scope) -> StepKind? {
        if let text = node.scalar?.value.stringValue {
            let url = template(node, path, scope)
            if case .literal = url, !(text.lowercased().hasPrefix("http://") || text.lowercased().hasPrefix("https://")) {
                report(node, path, "expected an http:// or https:// URL, found \(node.foundDescription)")
                return nil
            }
            return .http(HTTPRequestSpec(url: url))
        }
        guard let entries = node.entries else {
            report(node, path, "expected an HTTP request such as {method: GET, url: \"https://…\"} or a URL, found \(node.foundDescription)")
            return nil
        }
        checkKeys(entries, allowed: ["method", "url", "headers", "query", "body", "expect", "timeout"], path: path, what: "an http request")
        var ok = true
        var method = "GET"
        let methods = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]
        if let value = node.value("method") {
            if let s = value.scalar?.value.stringValue, methods.contains(s.uppercased()) {
                method = s.uppercased()
            } else {
                report(value, path / "method", "expected an HTTP method (\(methods.joined(separator: ", "))), found \(value.foundDescription)")
                ok = false
            }
        }
        var url: Template = .literal(.null)
        if let value = node.value("url") {
            if value.scalar?.value.stringValue?.isEmpty == false {
                url = template(value, path / "url", scope)
                if case .literal(.string(let s)) = url, !(s.lowercased().hasPrefix("http://") || s.lowercased().hasPrefix("https://")) {
                    report(value, path / "url", "expected an http:// or https:// URL, found \(value.foundDescription)")
                    ok = false
                }
            } else {
                report(value, path / "url", "expected a URL (a string), found \(value.foundDescription)")
                ok = false
            }
        } else {
            report(node, path / "url", "missing required key \"url\": the address to request")
            ok = false
        }
        var spec = HTTPRequestSpec(method: method, url: url)
        for key in ["headers", "query"] {
            guard let value = node.value(key) else { continue }
            if value.entries == nil && value.scalar?.value.stringValue?.contains("${{") != true {
                report(value, path / key, "expected an object of names to values, found \(value.foundDescription)")
                ok = false
                continue
            }
            let t = template(value, path / key, scope)
            if key == "headers" { spec.headers = t } else { spec.query = t }
        }
        if let value = node.value("body") { spec.body = template(value, path / "body", scope) }
        if let value = node.value("expect") {
            let items = value.items ?? [value]
            var codes: [Int] = []
            for (i, item) in items.enumerated() {
                if let n = integer(item, value.items == nil ? path / "expect" : path / "expect" / i, min: 100, max: 599) { codes.append(n) } else { ok = false }
            }
            if items.isEmpty {
                report(value, path / "expect", "expected a status code or a non-empty list of them, found an empty list")
                ok = false
            }
            spec.expect = codes
        }
        if let value = node.value("timeout") {
            spec.timeout = duration(value, path / "timeout", allowZero: false)
        }
        return ok ? .http(spec) : nil
    }

    mutating func decodeMap(_ node: SourceNode, _ path: DocumentPath, _ scope: Scope, selfID: String?) -> StepKind? {
        guard let entries = node.entries else {
            report(node, path, "expected {over: <array>, step: <step>, concurrency?: <n>}, found \(node.foundDescription)")
            return nil
        }
        checkKeys(entries, allowed: ["over", "step", "concurrency"], path: path, what: "a map")
        var over: Template?
        if let value = node.value("over") {
            over = template(value, path / "over", scope)
            if case .literal(let v)? = over, v.arrayValue == nil, v.objectValue == nil {
                report(value, path / "over", "expected an array (or an expression giving one), found \(value.foundDescription)")
                over = nil
            }
        } else {
            report(node, path / "over", "missing required key \"over\": the array to map over")
        }
        var concurrency: Int?
        if let value = node.value("concurrency") { concurrency = integer(value, path / "concurrency", min: 1) }
        var body: StepBody?
        if let value = node.value("step") {
            var inner = scope
            inner.item = true
            localOwners.append(LocalScope(owner: selfID ?? path.description, kind: "map step"))
            body = decodeBody(value, path: path / "step", scope: inner, role: .anonymous("map step"))
            localOwners.removeLast()
        } else {
            report(node, path / "step", "missing required key \"step\": the step to run for each item")
        }
        guard let over, let body else { return nil }
        return .map(MapStep(over: over, body: body, concurrency: concurrency))
    }

    mutating func decodePipeline(_ node: SourceNode, _ path: DocumentPath, _ scope: Scope) -> StepKind? {
        guard let entries = node.entries else {
            report(node, path, "expected {input?: <value>, steps: [<steps>]}, found \(node.foundDescription)")
            return nil
        }
        checkKeys(entries, allowed: ["input", "steps"], path: path, what: "a pipeline")
        var input: Template = .literal(.null)
        if let value = node.value("input") { input = template(value, path / "input", scope) }
        guard let stepsNode = node.value("steps") else {
            report(node, path / "steps", "missing required key \"steps\": the steps to run in order")
            return nil
        }
        guard let items = stepsNode.items, !items.isEmpty else {
            report(stepsNode, path / "steps", "expected a non-empty list of steps, found \(stepsNode.foundDescription)")
            return nil
        }
        var inner = scope
        inner.previous = true
        let (steps, added) = decodeSequence(items, path: path / "steps", scope: inner)
        hide(added)
        return steps.count == items.count ? .pipeline(PipelineStep(input: input, steps: steps)) : nil
    }

    mutating func decodeExec(_ node: SourceNode, _ path: DocumentPath, _ scope: Scope) -> StepKind? {
        guard let entries = node.entries else {
            report(node, path, "expected {command: <program>, args: [<arguments>], env?: {…}}, found \(node.foundDescription)")
            return nil
        }
        checkKeys(entries, allowed: ["command", "args", "env"], path: path, what: "an exec")
        var ok = true
        var command = ""
        if let value = node.value("command") {
            if let s = value.scalar?.value.stringValue, !s.isEmpty, !s.contains("${{") {
                command = s
            } else {
                report(value, path / "command", "expected a program name or path (a literal string, no expressions), found \(value.foundDescription)")
                ok = false
            }
        } else {
            report(node, path / "command", "missing required key \"command\": the program to run")
            ok = false
        }
        var spec = ExecCommand(command: command)
        if let value = node.value("args") {
            if let items = value.items {
                for (i, item) in items.enumerated() where item.scalar == nil || item.scalar?.value.arrayValue != nil || item.scalar?.value == .null {
                    report(item, path / "args" / i, "expected an argument (a string or number), found \(item.foundDescription)")
                    ok = false
                }
                spec.arguments = template(value, path / "args", scope)
            } else if value.scalar?.value.stringValue?.contains("${{") == true {
                spec.arguments = template(value, path / "args", scope)
            } else {
                report(value, path / "args", "expected a list of arguments (no shell: one string per argument), found \(value.foundDescription)")
                ok = false
            }
        }
        if let value = node.value("env") {
            if let entries = value.entries {
                for entry in entries {
                    if let refusal = ExecStep.refusedVariable(entry.key) {
                        report(entry.keyNode, path / "env" / entry.key, refusal)
                        ok = false
                    }
                }
                spec.environment = template(value, path / "env", scope)
            } else if value.scalar?.value.stringValue?.contains("${{") == true {
                spec.environment = template(value, path / "env", scope)
            } else {
                report(value, path / "env", "expected an object of environment variables, found \(value.foundDescription)")
                ok = false
            }
        }
        return ok ? .exec(spec) : nil
    }
}
