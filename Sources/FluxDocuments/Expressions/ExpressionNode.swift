import FluxCore

/// A parsed `${{ … }}` expression.
///
/// ```swift
/// let e = try ExpressionNode(parsing: "steps.fetch.output.items[0].name")
/// // .index(.member(.member(.member(.variable(.steps), "fetch"), "output"), "items") …
/// ```
public indirect enum ExpressionNode: Sendable, Hashable {
    case literal(JSONValue)
    case variable(Variable)
    case member(ExpressionNode, String)
    case index(ExpressionNode, ExpressionNode)
    case unary(UnaryOperator, ExpressionNode)
    case binary(BinaryOperator, ExpressionNode, ExpressionNode)
    case call(ExpressionFunction, [ExpressionNode])
    case array([ExpressionNode])
    case object([ObjectLiteralEntry])

    /// The names an expression can start from.
    public enum Variable: String, Sendable, Hashable, CaseIterable {
        /// The workflow input.
        case input
        /// Outputs of earlier steps: `steps.<id>.output`.
        case steps
        /// Secrets the document declares: `secrets.<NAME>`.
        case secrets
        /// The current element inside a `map` body.
        case item
        /// The current position (from 0) inside a `map` body.
        case index
        /// The output of the previous step inside a `pipeline` (the first sees the pipeline's `input:`).
        case previous
        /// The output of a graph edge's `from` node, inside the edge's `when`.
        case output
    }

    public enum UnaryOperator: String, Sendable, Hashable {
        case not = "!"
        case negate = "-"
    }

    public enum BinaryOperator: String, Sendable, Hashable {
        case or = "||"
        case and = "&&"
        case equal = "=="
        case notEqual = "!="
        case less = "<"
        case lessOrEqual = "<="
        case greater = ">"
        case greaterOrEqual = ">="
        case add = "+"
        case subtract = "-"
        case multiply = "*"
        case divide = "/"
        case remainder = "%"

        var precedence: Int {
            switch self {
            case .or: return 1
            case .and: return 2
            case .equal, .notEqual: return 3
            case .less, .lessOrEqual, .greater, .greaterOrEqual: return 4
            case .add, .subtract: return 5
            case .multiply, .divide, .remainder: return 6
            }
        }
    }

    public struct ObjectLiteralEntry: Sendable, Hashable {
        public var key: String
        public var value: ExpressionNode

        public init(key: String, value: ExpressionNode) {
            self.key = key
            self.value = value
        }
    }
}

extension ExpressionNode {
    /// Parses expression text (without the `${{ }}`).
    public init(parsing text: String, limits: DocumentLimits = .default) throws(ExpressionSyntaxError) {
        var parser = ExpressionParser(text: text, maxDepth: limits.maxExpressionDepth, maxLength: limits.maxExpressionLength)
        self = try parser.parse()
    }

    /// Secret names this expression reads (`secrets.NAME`).
    public var referencedSecrets: Set<String> {
        var out = Set<String>()
        visit { e in
            if case .member(.variable(.secrets), let name) = e { out.insert(name) }
            if case .index(.variable(.secrets), .literal(.string(let name))) = e { out.insert(name) }
        }
        return out
    }

    /// Step ids this expression reads (`steps.<id>`).
    public var referencedSteps: Set<String> {
        var out = Set<String>()
        visit { e in
            if case .member(.variable(.steps), let name) = e { out.insert(name) }
            if case .index(.variable(.steps), .literal(.string(let name))) = e { out.insert(name) }
        }
        return out
    }

    /// The variables this expression uses.
    public var referencedVariables: Set<Variable> {
        var out = Set<Variable>()
        visit { e in if case .variable(let v) = e { out.insert(v) } }
        return out
    }

    /// Calls `body` on this expression and every sub-expression, parents first.
    public func visit(_ body: (ExpressionNode) -> Void) {
        body(self)
        switch self {
        case .literal, .variable: break
        case .member(let base, _): base.visit(body)
        case .index(let base, let index): base.visit(body); index.visit(body)
        case .unary(_, let operand): operand.visit(body)
        case .binary(_, let l, let r): l.visit(body); r.visit(body)
        case .call(_, let args): for a in args { a.visit(body) }
        case .array(let items): for i in items { i.visit(body) }
        case .object(let entries): for e in entries { e.value.visit(body) }
        }
    }
}

extension ExpressionNode: CustomStringConvertible {
    /// The expression as text, in a normalized spelling that parses back to the same expression.
    public var description: String { render(parentPrecedence: 0) }

    private func render(parentPrecedence: Int) -> String {
        switch self {
        case .literal(let v): return v.canonicalJSON
        case .variable(let v): return v.rawValue
        case .member(let base, let name):
            let b = base.render(parentPrecedence: 10)
            return DocumentPath.isIdentifier(name) ? "\(b).\(name)" : "\(b)[\(JSONValue.string(name).canonicalJSON)]"
        case .index(let base, let index): return "\(base.render(parentPrecedence: 10))[\(index.render(parentPrecedence: 0))]"
        case .unary(let op, let operand): return op.rawValue + operand.render(parentPrecedence: 9)
        case .binary(let op, let l, let r):
            let p = op.precedence
            let text = "\(l.render(parentPrecedence: p)) \(op.rawValue) \(r.render(parentPrecedence: p + 1))"
            return p < parentPrecedence ? "(\(text))" : text
        case .call(let f, let args): return "\(f.rawValue)(\(args.map { $0.render(parentPrecedence: 0) }.joined(separator: ", ")))"
        case .array(let items): return "[\(items.map { $0.render(parentPrecedence: 0) }.joined(separator: ", "))]"
        case .object(let entries):
            return "{\(entries.map { "\(JSONValue.string($0.key).canonicalJSON): \($0.value.render(parentPrecedence: 0))" }.joined(separator: ", "))}"
        }
    }
}

/// Why expression text does not parse.
public struct ExpressionSyntaxError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The expression text.
    public var expression: String
    /// 0-based character offset in the expression text.
    public var offset: Int
    public var message: String

    public init(expression: String, offset: Int, message: String) {
        self.expression = expression
        self.offset = offset
        self.message = message
    }

    public var description: String {
        let shown = expression.count > 80 ? String(expression.prefix(80)) + "…" : expression
        return "invalid expression \(JSONValue.string(shown).canonicalJSON): \(message) (at character \(offset + 1))"
    }
}
