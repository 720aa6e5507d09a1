import FluxCore

extension DocumentDecoder {
    /// Compiles a document value into a template, reporting syntax errors and references that cannot be
    /// resolved where the value is.
    mutating func template(_ node: SourceNode, _ path: DocumentPath, _ scope: Scope) -> Template {
        switch node.kind {
        case .scalar(let scalar):
            guard case .string(let s) = scalar.value, s.contains("${{") else { return .literal(scalar.value) }
            var syntaxErrors: [ExpressionSyntaxError] = []
            let t = Template.compile(.string(s), limits: limits, path: []) { _, error in syntaxErrors.append(error) }
            for error in syntaxErrors { report(node, path, error.description) }
            if syntaxErrors.isEmpty { t.forEachExpression { check($0, node, path, scope) } }
            return t
        case .sequence(let items):
            var parts: [Template] = []
            var literals: [JSONValue] = []
            for (i, item) in items.enumerated() {
                let t = template(item, path / i, scope)
                if case .literal(let v) = t { literals.append(v) }
                parts.append(t)
            }
            return literals.count == parts.count ? .literal(.array(literals)) : .array(parts)
        case .mapping(let entries):
            var parts: [String: Template] = [:]
            var literals: [String: JSONValue] = [:]
            for entry in entries {
                let t = template(entry.value, path / entry.key, scope)
                if case .literal(let v) = t { literals[entry.key] = v }
                parts[entry.key] = t
            }
            return literals.count == parts.count ? .literal(.object(literals)) : .object(parts)
        }
    }

    /// Checks the names an expression uses: context variables allowed here, declared secrets, visible steps.
    mutating func check(_ e: ExpressionNode, _ node: SourceNode, _ path: DocumentPath, _ scope: Scope) {
        // Iterative walk: expressions are bounded in depth, but this keeps the checker independent of that bound.
        var stack = [e]
        while let current = stack.popLast() {
            switch current {
            case .member(.variable(.secrets), let name), .index(.variable(.secrets), .literal(.string(let name))):
                if !declaredSecrets.contains(name) {
                    var message = "secrets.\(name) is not declared; add \"\(name)\" to the workflow's secrets: list"
                    if let s = Suggestion.closest(to: name, in: Array(declaredSecrets)) { message += " (or did you mean \"\(s)\"?)" }
                    report(node, path, message)
                }
            case .index(.variable(.secrets), let other):
                report(node, path, "a secret is read by its literal name (secrets.NAME), not by \(other)")
            case .variable(.secrets):
                report(node, path, "secrets are read one by one as secrets.NAME; the whole set is not available")
            case .member(.member(.variable(.steps), let id), let field),
                 .member(.index(.variable(.steps), .literal(.string(let id))), let field):
                if field != "output" {
                    report(node, path, "steps.\(id) has only .output, found .\(field)")
                }
                reference(id, current, node, path)
            case .member(.variable(.steps), let id), .index(.variable(.steps), .literal(.string(let id))):
                reference(id, current, node, path)
            case .index(.variable(.steps), let other):
                report(node, path, "a step is read by its literal id (steps.ID.output), not by \(other)")
            case .variable(.steps):
                report(node, path, "steps are read one by one as steps.ID.output; the whole set is not available")
            case .variable(.item), .variable(.index):
                if !scope.item {
                    report(node, path, "\(current) is only available inside a map's step (map.step)")
                }
            case .variable(.previous):
                if !scope.previous {
                    report(node, path, "previous is only available inside a pipeline's steps")
                }
            case .variable(.output):
                if !scope.output {
                    report(node, path, "output is only available in a graph edge's when (it is the from node's output)")
                }
            case .variable(.input), .literal:
                break
            case .member(let base, _):
                stack.append(base)
            case .index(let base, let index):
                stack.append(index)
                stack.append(base)
            case .unary(_, let operand):
                stack.append(operand)
            case .binary(_, let l, let r):
                stack.append(r)
                stack.append(l)
            case .call(_, let args):
                stack.append(contentsOf: args.reversed())
            case .array(let items):
                stack.append(contentsOf: items.reversed())
            case .object(let entries):
                stack.append(contentsOf: entries.map(\.value).reversed())
            }
        }
    }

    mutating func reference(_ id: String, _ e: ExpressionNode, _ node: SourceNode, _ path: DocumentPath) {
        if visible[id, default: 0] > 0 { return }
        pending.append(PendingReference(id: id, expression: e.description, line: node.line, column: node.column,
                                        path: path.description, ancestors: ancestors, localOwners: localOwners,
                                        order: orderStack.last ?? 0))
    }

    /// Explains each reference that was not visible where it was written, now that all step ids are known.
    mutating func resolvePending() {
        for ref in pending {
            let message: String
            if let record = records[ref.id] {
                if ref.ancestors.contains(ref.id) {
                    message = "\(ref.expression) refers to step \"\(ref.id)\", which contains this expression; a step's output exists only after it finishes"
                } else if let local = record.local, !ref.localOwners.contains(local) {
                    message = "\(ref.expression) refers to step \"\(ref.id)\" (\(record.path)) inside the \(local.kind) of \"\(local.owner)\"; steps there are visible only inside that \(local.kind)"
                } else if record.order > ref.order {
                    message = "\(ref.expression) refers to step \"\(ref.id)\" (\(record.path)), which runs later; a step reads only steps that finished before it"
                } else {
                    message = "\(ref.expression) refers to step \"\(ref.id)\" (\(record.path)), which runs in a parallel branch or a graph node that is not upstream, so it has not necessarily finished here"
                }
            } else {
                var text = "\(ref.expression) refers to an unknown step \"\(ref.id)\""
                if let s = Suggestion.closest(to: ref.id, in: Array(records.keys).sorted()) { text += "; did you mean \"\(s)\"?" }
                message = text
            }
            errors.append(DocumentError(file: file, line: ref.line, column: ref.column, path: ref.path, message: message))
        }
        pending = []
    }
}
