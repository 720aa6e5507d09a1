import FluxCore
import Foundation
import Yams

/// The text format a document was written in.
public enum DocumentFormat: String, Sendable, Hashable {
    case yaml
    case json
}

/// Turns document text into `SourceNode`s, refusing what is too big, too deep, binary or not YAML/JSON.
///
/// YAML is read with the YAML 1.2 core schema (so `yes`, `no`, `on` and `off` stay strings), JSON is read
/// through the same YAML reader so that every value keeps its line and column.
struct DocumentReader {
    let sourceName: String
    let limits: DocumentLimits

    private var budget = 0

    init(sourceName: String, limits: DocumentLimits) {
        self.sourceName = sourceName
        self.limits = limits
    }

    func error(_ message: String, line: Int? = nil, column: Int? = nil, path: String = "$") -> DocumentValidationError {
        DocumentValidationError(errors: [DocumentError(file: sourceName, line: line, column: column, path: path, message: message)])
    }

    mutating func read(text: String) throws(DocumentValidationError) -> (SourceNode, DocumentFormat) {
        let size = text.utf8.count
        if size > limits.maxBytes {
            throw error("the document is \(size) bytes, more than the limit of \(limits.maxBytes) bytes")
        }
        if let (line, column) = Self.firstBinaryCharacter(in: text) {
            throw error("the document contains binary data (a control character); expected YAML or JSON text", line: line, column: column)
        }
        if text.allSatisfy(\.isWhitespace) {
            throw error("the document is empty; expected a workflow object with flux, name and steps")
        }
        if let (line, column) = Self.aliasUsedAsKey(in: text) {
            throw error("a YAML alias cannot be used as a mapping key", line: line, column: column)
        }
        let isJSON = sourceName.lowercased().hasSuffix(".json")
        if isJSON {
            let parsed: JSONValue
            do {
                parsed = try JSONValue(parsing: text, maxDepth: limits.maxDepth)
            } catch let e {
                throw error("invalid JSON: \(e.message)", line: e.line, column: e.column)
            }
            // Compose through the YAML reader for line and column; fall back to the plain JSON value in the rare
            // cases libyaml reads valid JSON differently (very long keys, for instance).
            if let node = try? compose(text) {
                return (try convert(node, depth: 0, path: .root), .json)
            }
            if Self.count(parsed, upTo: limits.maxNodes) > limits.maxNodes {
                throw error("the document has more than \(limits.maxNodes) values; it is too large")
            }
            return (SourceNode(json: parsed), .json)
        }
        let node = try compose(text)
        return (try convert(node, depth: 0, path: .root), .yaml)
    }

    private func compose(_ text: String) throws(DocumentValidationError) -> Node {
        let node: Node?
        do {
            node = try Yams.compose(yaml: text, Resolver.basic, Constructor.default, .utf8)
        } catch let e as YamlError {
            throw translate(e, text: text)
        } catch {
            throw self.error("invalid YAML: \(error)")
        }
        guard let node else {
            throw self.error("the document is empty; expected a workflow object with flux, name and steps")
        }
        return node
    }

    private func translate(_ e: YamlError, text: String) -> DocumentValidationError {
        func detail(_ context: YamlError.Context?, _ problem: String) -> String {
            guard let context else { return problem }
            return "\(problem) (\(context.text) at line \(context.mark.line), column \(context.mark.column))"
        }
        switch e {
        case .scanner(let context, let problem, let mark, _),
             .parser(let context, let problem, let mark, _),
             .composer(let context, let problem, let mark, _):
            var message = detail(context, problem)
            if problem.contains("Maximum nesting level") {
                message = "the document is nested too deeply"
            } else if problem.contains("expected a single document") || context?.text.contains("expected a single document") == true
                || problem.contains("found another document") {
                message = "the text holds more than one YAML document; put several workflows in one `workflows:` list instead"
            }
            return error("invalid YAML: \(message)", line: mark.line, column: mark.column)
        case .reader(let problem, let offset, _, let yaml):
            var line: Int?
            var column: Int?
            if let offset {
                (line, column) = Self.lineColumn(ofCharacterOffset: offset, in: yaml)
            }
            return error("invalid YAML text: \(problem)", line: line, column: column)
        case .duplicatedKeysInMapping(let duplicates, let context):
            let keys = duplicates.map { JSONValue.string($0).canonicalJSON }.joined(separator: ", ")
            return error("duplicate key \(keys) in a mapping; every key may appear once", line: context.mark.line, column: context.mark.column)
        case .memory:
            return error("the document is too large to read")
        default:
            return error("invalid YAML: \(e)")
        }
    }

    // MARK: - Conversion

    private mutating func convert(_ node: Node, depth: Int, path: DocumentPath) throws(DocumentValidationError) -> SourceNode {
        let mark = node.mark
        let line = mark?.line
        let column = mark?.column
        budget += 1
        if budget > limits.maxNodes {
            throw error("the document has more than \(limits.maxNodes) values (after expanding YAML aliases); it is too large or an alias bomb",
                        line: line, column: column, path: path.description)
        }
        if depth > limits.maxDepth {
            throw error("the document is nested deeper than \(limits.maxDepth) levels", line: line, column: column, path: path.description)
        }
        switch node {
        case .scalar(let scalar):
            let value = try resolve(scalar, path: path)
            return SourceNode(kind: .scalar(SourceScalar(value: value, isPlain: scalar.style == .plain)), line: line, column: column)
        case .sequence(let sequence):
            try checkCollectionTag(sequence.tag.description, expected: "tag:yaml.org,2002:seq", line: line, column: column, path: path)
            var items: [SourceNode] = []
            items.reserveCapacity(sequence.count)
            for (i, child) in sequence.enumerated() {
                items.append(try convert(child, depth: depth + 1, path: path / i))
            }
            return SourceNode(kind: .sequence(items), line: line, column: column)
        case .mapping(let mapping):
            try checkCollectionTag(mapping.tag.description, expected: "tag:yaml.org,2002:map", line: line, column: column, path: path)
            var entries: [SourceEntry] = []
            var merged: [SourceEntry] = []
            for (keyNode, valueNode) in mapping {
                guard case .scalar(let keyScalar) = keyNode else {
                    throw error("a mapping key must be a string, found \(keyNode.sequence != nil ? "an array" : "an object")",
                                line: keyNode.mark?.line, column: keyNode.mark?.column, path: path.description)
                }
                let key = keyScalar.string
                let convertedKey = SourceNode(kind: .scalar(SourceScalar(value: .string(key), isPlain: keyScalar.style == .plain)),
                                              line: keyNode.mark?.line, column: keyNode.mark?.column)
                if key == "<<" && keyScalar.style == .plain {
                    // YAML merge key: `<<: *defaults` copies the entries the mapping does not set itself.
                    let source = try convert(valueNode, depth: depth + 1, path: path / key)
                    let sources = source.items ?? [source]
                    for item in sources {
                        guard let itemEntries = item.entries else {
                            throw error("a merge key (<<) takes an object or a list of objects, found \(item.foundDescription)",
                                        line: item.line, column: item.column, path: (path / key).description)
                        }
                        merged.append(contentsOf: itemEntries)
                    }
                    continue
                }
                entries.append(SourceEntry(key: key, keyNode: convertedKey, value: try convert(valueNode, depth: depth + 1, path: path / key)))
            }
            for entry in merged where !entries.contains(where: { $0.key == entry.key }) {
                entries.append(entry)
            }
            return SourceNode(kind: .mapping(entries), line: line, column: column)
        case .alias(let alias):
            throw error("unresolved YAML alias *\(alias.anchor.rawValue)", line: line, column: column, path: path.description)
        }
    }

    private func checkCollectionTag(_ tag: String, expected: String, line: Int?, column: Int?, path: DocumentPath) throws(DocumentValidationError) {
        if tag.isEmpty || tag == expected || tag == "!" || tag == "?" { return }
        throw error("unsupported YAML tag \(tag)", line: line, column: column, path: path.description)
    }

    private func resolve(_ scalar: Node.Scalar, path: DocumentPath) throws(DocumentValidationError) -> JSONValue {
        let text = scalar.string
        let tag = scalar.tag.description
        let line = scalar.mark?.line
        let column = scalar.mark?.column
        switch tag {
        case "", "?":
            if scalar.style != .plain { return .string(text) }
            if let value = Self.resolvePlain(text) {
                if case .double(let d) = value, !d.isFinite {
                    throw error("infinite and NaN numbers are not supported (JSON has none)", line: line, column: column, path: path.description)
                }
                return value
            }
            return .string(text)
        case "tag:yaml.org,2002:str", "!":
            return .string(text)
        case "tag:yaml.org,2002:int":
            if case .int(let i)? = Self.resolvePlain(text) { return .int(i) }
        case "tag:yaml.org,2002:float":
            if let d = Self.resolvePlain(text)?.doubleValue, d.isFinite { return .double(d) }
        case "tag:yaml.org,2002:bool":
            if case .bool(let b)? = Self.resolvePlain(text) { return .bool(b) }
        case "tag:yaml.org,2002:null":
            if case .null? = Self.resolvePlain(text) { return .null }
        default:
            throw error("unsupported YAML tag \(tag)", line: line, column: column, path: path.description)
        }
        throw error("the value \(JSONValue.string(text).canonicalJSON) does not match its tag \(tag)", line: line, column: column, path: path.description)
    }

    /// The YAML 1.2 core schema: null, booleans, integers (decimal, 0o, 0x) and floats; `nil` for strings.
    static func resolvePlain(_ text: String) -> JSONValue? {
        switch text {
        case "", "~", "null", "Null", "NULL": return .null
        case "true", "True", "TRUE": return .bool(true)
        case "false", "False", "FALSE": return .bool(false)
        case ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF": return .double(.infinity)
        case "-.inf", "-.Inf", "-.INF": return .double(-.infinity)
        case ".nan", ".NaN", ".NAN": return .double(.nan)
        default: break
        }
        let bytes = Array(text.utf8)
        guard let first = bytes.first else { return nil }
        let isDigit = { (b: UInt8) in b >= 0x30 && b <= 0x39 }
        guard isDigit(first) || first == UInt8(ascii: "-") || first == UInt8(ascii: "+") || first == UInt8(ascii: ".") else { return nil }
        if text.hasPrefix("0o"), bytes.count > 2, let i = Int(text.dropFirst(2), radix: 8) { return .int(i) }
        if text.hasPrefix("0x"), bytes.count > 2, let i = Int(text.dropFirst(2), radix: 16) { return .int(i) }
        var i = 0
        if bytes[i] == UInt8(ascii: "-") || bytes[i] == UInt8(ascii: "+") { i += 1 }
        let intStart = i
        while i < bytes.count, isDigit(bytes[i]) { i += 1 }
        if i == bytes.count, i > intStart {
            if let value = Int(text) { return .int(value) }
            if let d = Double(text) { return .double(d) }
            return nil
        }
        var digits = i - intStart
        if i < bytes.count, bytes[i] == UInt8(ascii: ".") {
            i += 1
            let fractionStart = i
            while i < bytes.count, isDigit(bytes[i]) { i += 1 }
            digits += i - fractionStart
        }
        guard digits > 0 else { return nil }
        if i < bytes.count, bytes[i] == UInt8(ascii: "e") || bytes[i] == UInt8(ascii: "E") {
            i += 1
            if i < bytes.count, bytes[i] == UInt8(ascii: "-") || bytes[i] == UInt8(ascii: "+") { i += 1 }
            let expStart = i
            while i < bytes.count, isDigit(bytes[i]) { i += 1 }
            guard i > expStart else { return nil }
        }
        guard i == bytes.count, let d = Double(text) else { return nil }
        return .double(d)
    }

    /// How many values `value` holds, counting stops a little past `limit`.
    static func count(_ value: JSONValue, upTo limit: Int) -> Int {
        var total = 0
        var stack = [value]
        while let v = stack.popLast(), total <= limit {
            total += 1
            switch v {
            case .array(let a): stack.append(contentsOf: a)
            case .object(let o): stack.append(contentsOf: o.values)
            default: break
            }
        }
        return total
    }

    // MARK: - Pre-checks on the raw text

    /// The line and column of the first control character that never belongs in YAML or JSON text.
    static func firstBinaryCharacter(in text: String) -> (Int, Int)? {
        var line = 1
        var column = 1
        for scalar in text.unicodeScalars {
            let v = scalar.value
            if v == 0x0A { line += 1; column = 1; continue }
            if (v < 0x20 && v != 0x09 && v != 0x0D) || v == 0x7F || v == 0xFFFE || v == 0xFFFF {
                return (line, column)
            }
            column += 1
        }
        return nil
    }

    /// Finds `*alias:` (an alias used as a mapping key) in a text that defines anchors. The YAML reader hashes
    /// mapping keys, and hashing an aliased structure costs time exponential in its nesting, so such keys are refused
    /// before reading. (A false alarm inside a quoted string is possible but harmless: it names the place.)
    static func aliasUsedAsKey(in text: String) -> (Int, Int)? {
        guard text.utf8.contains(UInt8(ascii: "&")), text.utf8.contains(UInt8(ascii: "*")) else { return nil }
        let bytes = Array(text.utf8)
        var line = 1
        var lineStart = 0
        var i = 0
        func isAnchorChar(_ b: UInt8) -> Bool {
            (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == UInt8(ascii: "-") || b == UInt8(ascii: "_")
        }
        while i < bytes.count {
            let b = bytes[i]
            if b == 0x0A { line += 1; lineStart = i + 1; i += 1; continue }
            if b == UInt8(ascii: "*") {
                let start = i
                var j = i + 1
                while j < bytes.count, isAnchorChar(bytes[j]) { j += 1 }
                if j > i + 1 {
                    var k = j
                    while k < bytes.count, bytes[k] == 0x20 || bytes[k] == 0x09 { k += 1 }
                    if k < bytes.count, bytes[k] == UInt8(ascii: ":") {
                        let column = String(decoding: bytes[lineStart..<start], as: UTF8.self).count + 1
                        return (line, column)
                    }
                    // `? *alias` complex keys
                    var p = start - 1
                    while p >= lineStart, bytes[p] == 0x20 || bytes[p] == 0x09 { p -= 1 }
                    if p >= lineStart, bytes[p] == UInt8(ascii: "?") {
                        let column = String(decoding: bytes[lineStart..<start], as: UTF8.self).count + 1
                        return (line, column)
                    }
                }
                i = j
                continue
            }
            i += 1
        }
        return nil
    }

    static func lineColumn(ofCharacterOffset offset: Int, in text: String) -> (Int, Int) {
        var line = 1
        var column = 1
        var n = 0
        for ch in text {
            if n >= offset { break }
            if ch == "\n" || ch == "\r\n" { line += 1; column = 1 } else { column += 1 }
            n += 1
        }
        return (line, column)
    }
}
