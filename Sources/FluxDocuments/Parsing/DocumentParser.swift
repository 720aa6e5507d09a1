import FluxCore
import Foundation

/// Reads workflow documents (YAML or JSON) and validates everything that can be checked before a run: structure,
/// types, step kinds, ids, expressions, references, graphs and input schemas. All problems are collected and
/// reported together, in document order.
///
/// ```swift
/// do {
///     let workflows = try DocumentParser.parse(text: yaml, sourceName: "hello.yaml")
/// } catch {
///     for problem in error.errors { print(problem) }
///     // hello.yaml:7:5: steps[2].retry.max_attempts: expected an integer ≥ 0, found "three"
/// }
/// ```
public enum DocumentParser {
    /// Parses a document holding one workflow, or several under `workflows:`.
    ///
    /// - Parameters:
    ///   - text: YAML or JSON text. JSON is recognized by a `sourceName` ending in `.json`; YAML readers accept JSON too.
    ///   - sourceName: Named in every error (usually the file name).
    ///   - limits: Size, depth and expression bounds.
    public static func parse(text: String, sourceName: String, limits: DocumentLimits = .default) throws(DocumentValidationError) -> [WorkflowDocument] {
        var reader = DocumentReader(sourceName: sourceName, limits: limits)
        let (root, format) = try reader.read(text: text)
        var decoder = DocumentDecoder(file: sourceName, limits: limits, text: text, format: format)
        let workflows = decoder.decodeRoot(root)
        if !decoder.errors.isEmpty {
            throw DocumentValidationError(errors: decoder.sortedErrors)
        }
        return workflows
    }

    /// Parses document bytes, which must be UTF-8 (a leading byte-order mark is allowed).
    public static func parse(data: Data, sourceName: String, limits: DocumentLimits = .default) throws(DocumentValidationError) -> [WorkflowDocument] {
        func fail(_ message: String, line: Int? = nil, column: Int? = nil) -> DocumentValidationError {
            DocumentValidationError(errors: [DocumentError(file: sourceName, line: line, column: column, path: "$", message: message)])
        }
        if data.count > limits.maxBytes {
            throw fail("the document is \(data.count) bytes, more than the limit of \(limits.maxBytes) bytes")
        }
        var bytes = [UInt8](data)
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes.removeFirst(3) }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            // Find the first byte that breaks UTF-8 to say where.
            var line = 1
            var lineStart = 0
            var offset = 0
            var iterator = bytes.makeIterator()
            var decoder = UTF8()
            var position = 0
            loop: while true {
                let before = position
                switch decoder.decode(&iterator) {
                case .scalarValue(let s):
                    position += UTF8.width(s)
                    if s == "\n" { line += 1; lineStart = position }
                case .emptyInput: break loop
                case .error:
                    offset = before
                    break loop
                }
            }
            let column = String(decoding: bytes[lineStart..<min(offset, bytes.count)], as: UTF8.self).count + 1
            throw fail("the document is not valid UTF-8 text (byte offset \(offset)); expected YAML or JSON", line: line, column: column)
        }
        return try parse(text: text, sourceName: sourceName, limits: limits)
    }

    /// Checks a document without keeping the result; the errors, or an empty list.
    public static func validate(text: String, sourceName: String, limits: DocumentLimits = .default) -> [DocumentError] {
        do {
            _ = try parse(text: text, sourceName: sourceName, limits: limits)
            return []
        } catch {
            return error.errors
        }
    }

    /// SHA-256 of a value's canonical JSON, as lowercase hex.
    public static func contentHash(of value: JSONValue) -> String {
        TaskIdentity.sha256Hex(value.canonicalData)
    }
}

/// Walks the `SourceNode` tree, building the model and collecting errors.
struct DocumentDecoder {
    let file: String
    let limits: DocumentLimits
    let text: String
    let format: DocumentFormat
    var errors: [DocumentError] = []

    // Per-workflow state.
    var records: [String: StepRecord] = [:]
    var visible: [String: Int] = [:]
    var declaredSecrets: Set<String> = []
    var ancestors: [String] = []
    var localOwners: [LocalScope] = []
    var order = 0
    var orderStack: [Int] = []
    var pending: [PendingReference] = []
    /// Path components of the workflow inside the document (`workflows[1]`), left out of model locations so that a
    /// step's path is the same whether the workflow is read from a list or on its own.
    var locationPrefix = 0

    struct StepRecord {
        var path: String
        var order: Int
        var local: LocalScope?
    }

    struct LocalScope: Equatable {
        var owner: String
        var kind: String
    }

    struct PendingReference {
        var id: String
        var expression: String
        var line: Int?
        var column: Int?
        var path: String
        var ancestors: [String]
        var localOwners: [LocalScope]
        var order: Int
    }

    /// Which context-dependent names an expression may use where it is.
    struct Scope {
        var item = false
        var previous = false
        var output = false
    }

    init(file: String, limits: DocumentLimits, text: String, format: DocumentFormat) {
        self.file = file
        self.limits = limits
        self.text = text
        self.format = format
    }

    var sortedErrors: [DocumentError] {
        errors.enumerated().sorted { a, b in
            let la = a.element.line ?? Int.max
            let lb = b.element.line ?? Int.max
            if la != lb { return la < lb }
            let ca = a.element.column ?? Int.max
            let cb = b.element.column ?? Int.max
            if ca != cb { return ca < cb }
            return a.offset < b.offset
        }.map(\.element)
    }

    /// A model location: the path relative to the workflow, with the line and column in the original text.
    func location(_ node: SourceNode, _ path: DocumentPath) -> DocumentLocation {
        var relative = DocumentPath()
        relative.components = Array(path.components.dropFirst(locationPrefix))
        return DocumentLocation(path: relative.description, line: node.line, column: node.column)
    }

    mutating func report(_ node: SourceNode?, _ path: DocumentPath, _ message: String) {
        errors.append(DocumentError(file: file, line: node?.line, column: node?.column, path: path.description, message: message))
    }

    // MARK: - Document and workflows

    static let workflowKeys = ["flux", "name", "description", "input", "secrets", "requests", "steps", "output"]
    static let namePattern = "[a-z][a-z0-9_]*"

    mutating func decodeRoot(_ root: SourceNode) -> [WorkflowDocument] {
        guard let entries = root.entries else {
            report(root, .root, "expected a workflow object (with flux, name and steps) or an object with flux and workflows, found \(root.foundDescription)")
            return []
        }
        guard let list = root.entry("workflows") else {
            return decodeWorkflow(root, path: .root, inList: false).map { [$0] } ?? []
        }
        checkKeys(entries, allowed: ["flux", "workflows"], path: .root, what: "a document with several workflows") { key in
            Self.workflowKeys.contains(key) ? "\"\(key)\" belongs inside each item of workflows:" : nil
        }
        decodeFormatVersion(root, path: .root, required: true)
        guard let items = list.value.items, !items.isEmpty else {
            report(list.value, DocumentPath.root / "workflows", "expected a non-empty list of workflow objects, found \(list.value.foundDescription)")
            return []
        }
        var workflows: [WorkflowDocument] = []
        var names: [String: String] = [:]
        for (i, item) in items.enumerated() {
            let path = DocumentPath.root / "workflows" / i
            guard let workflow = decodeWorkflow(item, path: path, inList: true) else { continue }
            if let first = names[workflow.name] {
                report(item.value("name"), path / "name", "duplicate workflow name \"\(workflow.name)\" (first used at \(first))")
            } else {
                names[workflow.name] = path.description
            }
            workflows.append(workflow)
        }
        return workflows
    }

    mutating func decodeFormatVersion(_ node: SourceNode, path: DocumentPath, required: Bool) {
        guard let entry = node.entry("flux") else {
            if required { report(node, path / "flux", "missing required key \"flux\": the format version (write flux: 1)") }
            return
        }
        if entry.value.scalar?.value.intValue != 1 || entry.value.scalar?.value.boolValue != nil {
            var message = "expected the format version 1, found \(entry.value.foundDescription)"
            if let n = entry.value.scalar?.value.intValue, n > 1 { message = "unsupported format version \(n); this engine reads version 1" }
            report(entry.value, path / "flux", message)
        }
    }

    mutating func decodeWorkflow(_ node: SourceNode, path: DocumentPath, inList: Bool) -> WorkflowDocument? {
        records = [:]
        visible = [:]
        declaredSecrets = []
        ancestors = []
        localOwners = []
        order = 0
        orderStack = []
        pending = []
        locationPrefix = path.components.count
        let errorsBefore = errors.count

        guard let entries = node.entries else {
            report(node, path, "expected a workflow object (with name and steps), found \(node.foundDescription)")
            return nil
        }
        checkKeys(entries, allowed: Self.workflowKeys, path: path, what: "a workflow") { key in
            key == "workflows" ? "workflows: belongs at the top of the document, not inside a workflow" : nil
        }
        decodeFormatVersion(node, path: path, required: !inList)
        let name = requiredString(node, "name", path: path, what: "the workflow name") ?? ""
        if let nameNode = node.value("name"), !name.isEmpty, !Self.matches(name, first: "a"..."z") {
            report(nameNode, path / "name", "expected a name matching \(Self.namePattern) (lower-case letters, digits and _, starting with a letter), found \(nameNode.foundDescription)")
        }
        let description = optionalString(node, "description", path: path)
        var inputSchema: JSONValue?
        if let schemaNode = node.value("input") {
            checkSchema(schemaNode, path / "input")
            inputSchema = schemaNode.json
        }
        var secrets: [String] = []
        if let secretsNode = node.value("secrets") {
            if let items = secretsNode.items {
                for (i, item) in items.enumerated() {
                    guard let s = item.scalar?.value.stringValue, Self.isSecretName(s) else {
                        report(item, path / "secrets" / i, "expected a secret name matching [A-Za-z_][A-Za-z0-9_]*, found \(item.foundDescription)")
                        continue
                    }
                    if secrets.contains(s) {
                        report(item, path / "secrets" / i, "secret \"\(s)\" is listed twice")
                    } else {
                        secrets.append(s)
                    }
                }
            } else {
                report(secretsNode, path / "secrets", "expected a list of secret names, found \(secretsNode.foundDescription)")
            }
        }
        declaredSecrets = Set(secrets)
        var requests: ResourceRequest?
        if let requestsNode = node.value("requests") {
            do {
                let request = try ResourceRequest(json: requestsNode.json)
                requests = request.isEmpty ? nil : request
            } catch {
                let at = error.key.flatMap { requestsNode.entry($0) }
                report(at?.value ?? requestsNode, error.key.map { path / "requests" / $0 } ?? path / "requests", error.message)
            }
        }

        var steps: [Step] = []
        if let stepsNode = node.value("steps") {
            if let items = stepsNode.items, !items.isEmpty {
                let (decoded, _) = decodeSequence(items, path: path / "steps", scope: Scope())
                steps = decoded
            } else {
                report(stepsNode, path / "steps", "expected a non-empty list of steps, found \(stepsNode.foundDescription)")
            }
        } else {
            report(node, path / "steps", "missing required key \"steps\": a workflow needs a list of steps")
        }
        var output: Template?
        if let outputNode = node.value("output") {
            orderStack.append(Int.max)
            output = template(outputNode, path / "output", Scope())
            orderStack.removeLast()
        }
        resolvePending()

        guard errors.count == errorsBefore else { return nil }
        var normalized = node.json
        if case .object(var object) = normalized, object["flux"] == nil {
            object["flux"] = 1
            normalized = .object(object)
        }
        let source = inList ? normalized.prettyJSON : text
        return WorkflowDocument(
            formatVersion: 1, name: name, description: description, inputSchema: inputSchema, secrets: secrets,
            requests: requests, steps: steps, output: output, location: DocumentLocation(path: path.description, line: node.line, column: node.column),
            normalized: normalized, contentHash: DocumentParser.contentHash(of: normalized), source: source,
            sourceFormat: inList ? .json : format, sourceName: file)
    }

    // MARK: - Helpers for fields

    /// Reports keys not in `allowed`, with a suggestion when one is close.
    mutating func checkKeys(_ entries: [SourceEntry], allowed: [String], path: DocumentPath, what: String,
                            candidates: [String]? = nil, explain: (String) -> String? = { _ in nil }) {
        for entry in entries where !allowed.contains(entry.key) {
            if let explanation = explain(entry.key) {
                report(entry.keyNode, path / entry.key, explanation)
                continue
            }
            var message = "unknown key \"\(entry.key)\" in \(what)"
            if let s = Suggestion.closest(to: entry.key, in: candidates ?? allowed) {
                message += "; did you mean \"\(s)\"?"
            } else {
                message += " (expected \(allowed.map { "\"\($0)\"" }.joined(separator: ", ")))"
            }
            report(entry.keyNode, path / entry.key, message)
        }
    }

    mutating func requiredString(_ node: SourceNode, _ key: String, path: DocumentPath, what: String) -> String? {
        guard let value = node.value(key) else {
            report(node, path / key, "missing required key \"\(key)\": \(what)")
            return nil
        }
        guard let s = value.scalar?.value.stringValue, !s.isEmpty else {
            report(value, path / key, "expected \(what) (a non-empty string), found \(value.foundDescription)")
            return nil
        }
        return s
    }

    mutating func optionalString(_ node: SourceNode, _ key: String, path: DocumentPath) -> String? {
        guard let value = node.value(key) else { return nil }
        guard let s = value.scalar?.value.stringValue else {
            report(value, path / key, "expected a string, found \(value.foundDescription)")
            return nil
        }
        return s
    }

    mutating func optionalBool(_ node: SourceNode, _ key: String, path: DocumentPath) -> Bool {
        guard let value = node.value(key) else { return false }
        guard let b = value.scalar?.value.boolValue else {
            report(value, path / key, "expected true or false, found \(value.foundDescription)")
            return false
        }
        return b
    }

    mutating func integer(_ node: SourceNode, _ path: DocumentPath, min: Int, max: Int? = nil) -> Int? {
        guard let scalar = node.scalar, case .int(let i) = scalar.value else {
            report(node, path, "expected an integer ≥ \(min), found \(node.foundDescription)")
            return nil
        }
        if i < min || (max != nil && i > max!) {
            report(node, path, max.map { "expected an integer from \(min) to \($0), found \(i)" } ?? "expected an integer ≥ \(min), found \(i)")
            return nil
        }
        return i
    }

    /// A duration: seconds as a number, or text such as "500ms", "30s", "5m", "1h", "1h30m", "2d".
    mutating func duration(_ node: SourceNode, _ path: DocumentPath, allowZero: Bool) -> Duration? {
        let expectation = allowZero ? "a duration ≥ 0" : "a duration > 0"
        let message = "expected \(expectation) (seconds as a number, or text such as \"30s\", \"5m\", \"1h\"), found \(node.foundDescription)"
        guard let value = node.scalar?.value else {
            report(node, path, message)
            return nil
        }
        var seconds: Double?
        switch value {
        case .int(let i): seconds = Double(i)
        case .double(let d): seconds = d
        case .string(let s): seconds = Self.parseDuration(s)
        default: break
        }
        guard let seconds, seconds.isFinite, seconds >= 0, allowZero || seconds > 0, seconds < 1e9 else {
            report(node, path, message)
            return nil
        }
        return .milliseconds(Int64((seconds * 1000).rounded()))
    }

    static func parseDuration(_ text: String) -> Double? {
        let units: [(String, Double)] = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600), ("d", 86400)]
        var rest = Substring(text.trimmingWhitespace)
        guard !rest.isEmpty else { return nil }
        var total = 0.0
        while !rest.isEmpty {
            let number = rest.prefix { $0.isASCII && ($0.isNumber || $0 == ".") }
            guard !number.isEmpty, let value = Double(number) else { return nil }
            rest = rest.dropFirst(number.count)
            guard let unit = units.first(where: { rest.hasPrefix($0.0) && !(($0.0 == "m") && rest.hasPrefix("ms")) }) else { return nil }
            rest = rest.dropFirst(unit.0.count)
            total += value * unit.1
        }
        return total
    }

    mutating func checkSchema(_ node: SourceNode, _ path: DocumentPath) {
        var found: [(SourceNode, DocumentPath, String)] = []
        var checker = SchemaChecker { node, path, message in found.append((node, path, message)) }
        checker.check(node, path)
        for (n, p, m) in found { report(n, p, m) }
    }

    static func matches(_ s: String, first: ClosedRange<Unicode.Scalar>) -> Bool {
        guard let f = s.unicodeScalars.first, first.contains(f) || (first.lowerBound == "_" && f == "_") else { return false }
        return s.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "_" }
    }

    static func isStepID(_ s: String) -> Bool {
        guard let f = s.unicodeScalars.first, ("a"..."z").contains(f) || f == "_" else { return false }
        return s.count <= 100 && s.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "_" }
    }

    static func isSecretName(_ s: String) -> Bool {
        guard let f = s.unicodeScalars.first, f.isASCII, f.properties.isAlphabetic || f == "_" else { return false }
        return s.unicodeScalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "_") }
    }
}
