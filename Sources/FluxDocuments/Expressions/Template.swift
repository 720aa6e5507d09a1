import FluxCore
import Foundation

/// A document value in which `${{ … }}` expressions have been parsed: what `set`, `with`, `output`, `url` and
/// the other value-bearing fields hold.
///
/// - A string that is exactly one expression (`"${{ steps.a.output }}"`) evaluates to the expression's typed value.
/// - Any other string with expressions is interpolated as text (`"Hello, ${{ input }}!"`).
/// - Arrays and objects are evaluated element by element.
/// - `$${{` writes a literal `${{`.
///
/// ```swift
/// let t = try Template(compiling: ["greeting": "Hello, ${{ input.name }}"])
/// let v = try ExpressionEvaluator().evaluate(t, in: ExpressionScope(input: ["name": "Ada"]))
/// // {"greeting": "Hello, Ada"}
/// ```
public indirect enum Template: Sendable, Hashable {
    /// A value without expressions.
    case literal(JSONValue)
    /// A string that is exactly one expression: evaluates to the expression's value, of any type.
    case expression(ExpressionNode)
    /// A string mixing text and expressions: evaluates to a string.
    case interpolation([TemplatePart])
    case array([Template])
    case object([String: Template])

    /// Parses every string in `value`, throwing the first syntax error.
    public init(compiling value: JSONValue, limits: DocumentLimits = .default) throws(ExpressionSyntaxError) {
        var first: ExpressionSyntaxError?
        let t = Template.compile(value, limits: limits, path: []) { _, error in
            if first == nil { first = error }
        }
        if let first { throw first }
        self = t
    }

    /// Compiles `value`, reporting every syntax error with the relative path of the string it is in.
    static func compile(_ value: JSONValue, limits: DocumentLimits, path: [DocumentPath.Component],
                        onError: (_ path: [DocumentPath.Component], ExpressionSyntaxError) -> Void) -> Template {
        switch value {
        case .string(let s):
            guard s.contains("${{") else { return .literal(value) }
            return compileString(s, limits: limits) { onError(path, $0) }
        case .array(let items):
            var parts: [Template] = []
            var literals: [JSONValue] = []
            for (i, item) in items.enumerated() {
                let t = compile(item, limits: limits, path: path + [.index(i)], onError: onError)
                if case .literal(let v) = t { literals.append(v) }
                parts.append(t)
            }
            return literals.count == parts.count ? .literal(.array(literals)) : .array(parts)
        case .object(let object):
            var parts: [String: Template] = [:]
            var literals: [String: JSONValue] = [:]
            for key in object.keys.sorted() {
                let t = compile(object[key]!, limits: limits, path: path + [.key(key)], onError: onError)
                if case .literal(let v) = t { literals[key] = v }
                parts[key] = t
            }
            return literals.count == parts.count ? .literal(.object(literals)) : .object(parts)
        default:
            return .literal(value)
        }
    }

    private static func compileString(_ s: String, limits: DocumentLimits, onError: (ExpressionSyntaxError) -> Void) -> Template {
        let scalars = Array(s.unicodeScalars)
        var parts: [TemplatePart] = []
        var text = String.UnicodeScalarView()
        var i = 0
        func flushText() {
            if !text.isEmpty {
                parts.append(.text(String(text)))
                text = String.UnicodeScalarView()
            }
        }
        while i < scalars.count {
            if scalars[i] == "$", i + 3 < scalars.count, scalars[i + 1] == "$", scalars[i + 2] == "{", scalars[i + 3] == "{" {
                // `$${{` is a literal `${{`.
                text.append(contentsOf: ["$", "{", "{"])
                i += 4
                continue
            }
            if scalars[i] == "$", i + 2 < scalars.count, scalars[i + 1] == "{", scalars[i + 2] == "{" {
                let start = i + 3
                guard let end = findEnd(scalars, from: start) else {
                    onError(ExpressionSyntaxError(expression: String(String.UnicodeScalarView(scalars[start...])), offset: 0,
                                                  message: "unterminated ${{: expected }} to close the expression"))
                    return .literal(.string(s))
                }
                let inner = String(String.UnicodeScalarView(scalars[start..<end]))
                do {
                    let e = try ExpressionNode(parsing: inner.trimmingWhitespace, limits: limits)
                    flushText()
                    parts.append(.expression(e))
                } catch {
                    onError(error)
                    return .literal(.string(s))
                }
                i = end + 2
                continue
            }
            text.append(scalars[i])
            i += 1
        }
        flushText()
        if parts.count == 1, case .expression(let e) = parts[0] { return .expression(e) }
        if parts.allSatisfy({ if case .text = $0 { return true } else { return false } }) {
            return .literal(.string(parts.map { if case .text(let t) = $0 { return t } else { return "" } }.joined()))
        }
        return .interpolation(parts)
    }

    /// The index of the `}}` that closes an expression starting at `start`: outside string literals and
    /// outside any `{ }` of an object literal.
    private static func findEnd(_ s: [Unicode.Scalar], from start: Int) -> Int? {
        var i = start
        var depth = 0
        var quote: Unicode.Scalar?
        while i < s.count {
            let c = s[i]
            if let q = quote {
                if c == "\\" { i += 2; continue }
                if c == q { quote = nil }
                i += 1
                continue
            }
            switch c {
            case "\"", "'": quote = c
            case "{": depth += 1
            case "}":
                if depth == 0, i + 1 < s.count, s[i + 1] == "}" { return i }
                depth = max(0, depth - 1)
            default: break
            }
            i += 1
        }
        return nil
    }

    /// Whether evaluating this template reads any secret (so that its value must be redacted when shown).
    public var referencesSecrets: Bool { !referencedSecrets.isEmpty }

    /// Secret names read by this template.
    public var referencedSecrets: Set<String> {
        var out = Set<String>()
        forEachExpression { out.formUnion($0.referencedSecrets) }
        return out
    }

    /// Step ids read by this template.
    public var referencedSteps: Set<String> {
        var out = Set<String>()
        forEachExpression { out.formUnion($0.referencedSteps) }
        return out
    }

    /// Whether the template holds no expression.
    public var isLiteral: Bool {
        if case .literal = self { return true }
        return false
    }

    /// Calls `body` on every expression in the template.
    public func forEachExpression(_ body: (ExpressionNode) -> Void) {
        switch self {
        case .literal: break
        case .expression(let e): body(e)
        case .interpolation(let parts):
            for case .expression(let e) in parts { body(e) }
        case .array(let items): for item in items { item.forEachExpression(body) }
        case .object(let object): for key in object.keys.sorted() { object[key]!.forEachExpression(body) }
        }
    }

    /// The template written back as a document value (expressions in normalized spelling).
    public var json: JSONValue {
        switch self {
        case .literal(let v): return Template.escapeLiteral(v)
        case .expression(let e): return .string("${{ \(e) }}")
        case .interpolation(let parts):
            return .string(parts.map { part in
                switch part {
                case .text(let t): return t.replacingOccurrences(of: "${{", with: "$${{")
                case .expression(let e): return "${{ \(e) }}"
                }
            }.joined())
        case .array(let items): return .array(items.map(\.json))
        case .object(let object): return .object(object.mapValues(\.json))
        }
    }

    private static func escapeLiteral(_ v: JSONValue) -> JSONValue {
        switch v {
        case .string(let s) where s.contains("${{"): return .string(s.replacingOccurrences(of: "${{", with: "$${{"))
        case .array(let a): return .array(a.map(escapeLiteral))
        case .object(let o): return .object(o.mapValues(escapeLiteral))
        default: return v
        }
    }
}

/// A piece of an interpolated string.
public enum TemplatePart: Sendable, Hashable {
    case text(String)
    case expression(ExpressionNode)
}

extension String {
    var trimmingWhitespace: String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }) else { return "" }
        let last = scalars.lastIndex(where: { !$0.properties.isWhitespace })!
        return String(scalars[first...last])
    }
}
