import FluxCore
import Foundation

/// Evaluates templates and expressions against an `ExpressionScope`. Deterministic: the same scope gives the same
/// value on every machine, which replay relies on.
///
/// ```swift
/// let evaluator = ExpressionEvaluator()
/// let t = try Template(compiling: "${{ upper(input.name) }}")
/// try evaluator.evaluate(t, in: ExpressionScope(input: ["name": "ada"]))  // "ADA"
/// ```
public struct ExpressionEvaluator: Sendable {
    public var limits: EvaluationLimits

    public init(limits: EvaluationLimits = .default) {
        self.limits = limits
    }

    /// Evaluates a template: literals as they are, expressions to their values, interpolations to strings.
    public func evaluate(_ template: Template, in scope: ExpressionScope) throws(ExpressionError) -> JSONValue {
        switch template {
        case .literal(let v): return v
        case .expression(let e): return try evaluate(e, in: scope)
        case .interpolation(let parts):
            var out = ""
            for part in parts {
                switch part {
                case .text(let t): out += t
                case .expression(let e): out += Self.text(try evaluate(e, in: scope))
                }
                if out.utf8.count > limits.maxStringBytes {
                    throw ExpressionError(subject: Template.interpolation(parts).json.stringValue ?? "template",
                                          message: "the interpolated string is longer than \(limits.maxStringBytes) bytes")
                }
            }
            return .string(out)
        case .array(let items):
            var out: [JSONValue] = []
            out.reserveCapacity(items.count)
            for item in items { out.append(try evaluate(item, in: scope)) }
            return .array(out)
        case .object(let object):
            var out: [String: JSONValue] = [:]
            for (key, value) in object { out[key] = try evaluate(value, in: scope) }
            return .object(out)
        }
    }

    /// Evaluates a condition (`if:`, an edge's `when:`): its value's truthiness.
    public func isTrue(_ template: Template, in scope: ExpressionScope) throws(ExpressionError) -> Bool {
        try evaluate(template, in: scope).isTruthy
    }

    /// Evaluates one expression.
    public func evaluate(_ expression: ExpressionNode, in scope: ExpressionScope) throws(ExpressionError) -> JSONValue {
        switch expression {
        case .literal(let v):
            return v
        case .variable(let v):
            return try variable(v, in: scope, expression)
        case .member(.variable(.steps), let id):
            return try stepOutput(id, in: scope, expression)
        case .index(.variable(.steps), let indexExpression):
            guard case .string(let id) = try evaluate(indexExpression, in: scope) else {
                throw fail(expression, "a step is named by a string")
            }
            return try stepOutput(id, in: scope, expression)
        case .member(.variable(.secrets), let name):
            return try secret(name, in: scope, expression)
        case .index(.variable(.secrets), let indexExpression):
            guard case .string(let name) = try evaluate(indexExpression, in: scope) else {
                throw fail(expression, "a secret is named by a string")
            }
            return try secret(name, in: scope, expression)
        case .member(let baseExpression, let name):
            let base = try evaluate(baseExpression, in: scope)
            return try member(base, name, expression)
        case .index(let baseExpression, let indexExpression):
            let base = try evaluate(baseExpression, in: scope)
            let index = try evaluate(indexExpression, in: scope)
            return try subscriptValue(base, index, expression)
        case .unary(let op, let operandExpression):
            let operand = try evaluate(operandExpression, in: scope)
            switch op {
            case .not: return .bool(!operand.isTruthy)
            case .negate:
                switch operand {
                case .int(let i):
                    guard i != Int.min else { throw fail(expression, "integer overflow") }
                    return .int(-i)
                case .double(let d): return .double(-d)
                default: throw fail(expression, "cannot negate \(Self.a(operand))")
                }
            }
        case .binary(.and, let l, let r):
            let left = try evaluate(l, in: scope)
            return left.isTruthy ? try evaluate(r, in: scope) : left
        case .binary(.or, let l, let r):
            let left = try evaluate(l, in: scope)
            return left.isTruthy ? left : try evaluate(r, in: scope)
        case .binary(let op, let l, let r):
            let left = try evaluate(l, in: scope)
            let right = try evaluate(r, in: scope)
            return try binary(op, left, right, expression)
        case .call(.default, let args):
            do {
                let value = try evaluate(args[0], in: scope)
                if !value.isNull { return value }
            } catch where error.isLookupFailure {}
            return try evaluate(args[1], in: scope)
        case .call(let function, let argExpressions):
            var args: [JSONValue] = []
            for a in argExpressions { args.append(try evaluate(a, in: scope)) }
            return try call(function, args, expression)
        case .array(let items):
            var out: [JSONValue] = []
            for item in items { out.append(try evaluate(item, in: scope)) }
            return .array(out)
        case .object(let entries):
            var out: [String: JSONValue] = [:]
            for entry in entries { out[entry.key] = try evaluate(entry.value, in: scope) }
            return .object(out)
        }
    }

    // MARK: - Names

    private func variable(_ v: ExpressionNode.Variable, in scope: ExpressionScope, _ e: ExpressionNode) throws(ExpressionError) -> JSONValue {
        switch v {
        case .input: return scope.input
        case .steps: return .object(scope.steps.mapValues { ["output": $0] })
        case .secrets: throw fail(e, "secrets are read one by one, as secrets.NAME")
        case .item:
            guard let item = scope.item else { throw fail(e, "item is only defined inside a map body") }
            return item
        case .index:
            guard let index = scope.index else { throw fail(e, "index is only defined inside a map body") }
            return .int(index)
        case .previous:
            guard let previous = scope.previous else { throw fail(e, "previous is only defined inside a pipeline") }
            return previous
        case .output:
            guard let output = scope.output else { throw fail(e, "output is only defined in a graph edge's when") }
            return output
        }
    }

    private func stepOutput(_ id: String, in scope: ExpressionScope, _ e: ExpressionNode) throws(ExpressionError) -> JSONValue {
        guard let output = scope.steps[id] else {
            throw ExpressionError(subject: e.description, message: "step \"\(id)\" has no output at this point (it has not run)", isLookupFailure: true)
        }
        return ["output": output]
    }

    private func secret(_ name: String, in scope: ExpressionScope, _ e: ExpressionNode) throws(ExpressionError) -> JSONValue {
        guard let value = scope.secrets[name] else {
            throw ExpressionError(subject: e.description, message: "secret \"\(name)\" is not available", isLookupFailure: true)
        }
        return .string(value)
    }

    private func member(_ base: JSONValue, _ name: String, _ e: ExpressionNode) throws(ExpressionError) -> JSONValue {
        guard case .object(let object) = base else {
            throw ExpressionError(subject: e.description, message: "cannot read .\(name) of \(Self.a(base))", isLookupFailure: true)
        }
        return object[name] ?? .null
    }

    private func subscriptValue(_ base: JSONValue, _ index: JSONValue, _ e: ExpressionNode) throws(ExpressionError) -> JSONValue {
        switch (base, index) {
        case (.object, .string(let key)):
            return try member(base, key, e)
        case (.array(let array), _):
            guard let i = index.intValue else { throw fail(e, "an array index must be an integer, found \(Self.a(index))") }
            let position = i < 0 ? array.count + i : i
            guard array.indices.contains(position) else {
                throw ExpressionError(subject: e.description, message: "index out of range (length \(array.count))", isLookupFailure: true)
            }
            return array[position]
        case (.string(let s), _):
            guard let i = index.intValue else { throw fail(e, "a string index must be an integer, found \(Self.a(index))") }
            let characters = Array(s)
            let position = i < 0 ? characters.count + i : i
            guard characters.indices.contains(position) else {
                throw ExpressionError(subject: e.description, message: "index out of range (length \(characters.count))", isLookupFailure: true)
            }
            return .string(String(characters[position]))
        default:
            throw ExpressionError(subject: e.description, message: "cannot index \(Self.a(base)) with \(Self.a(index))", isLookupFailure: base.isNull)
        }
    }

    // MARK: - Operators

    private func binary(_ op: ExpressionNode.BinaryOperator, _ l: JSONValue, _ r: JSONValue, _ e: ExpressionNode) throws(ExpressionError) -> JSONValue {
        switch op {
        case .equal: return .bool(Self.equal(l, r))
        case .notEqual: return .bool(!Self.equal(l, r))
        case .less, .lessOrEqual, .greater, .greaterOrEqual:
            let order = try compare(l, r, e)
            switch op {
            case .less: return .bool(order < 0)
            case .lessOrEqual: return .bool(order <= 0)
            case .greater: return .bool(order > 0)
            default: return .bool(order >= 0)
            }
        case .add:
            switch (l, r) {
            case (.string(let a), .string(let b)): return try checked(.string(a + b), e)
            case (.array(let a), .array(let b)): return try checked(.array(a + b), e)
            case (.object(let a), .object(let b)): return .object(a.merging(b) { _, new in new })
            default: return try arithmetic(op, l, r, e)
            }
        case .subtract, .multiply, .divide, .remainder:
            return try arithmetic(op, l, r, e)
        case .and, .or:
            return .null  // handled with short-circuit in evaluate
        }
    }

    private func arithmetic(_ op: ExpressionNode.BinaryOperator, _ l: JSONValue, _ r: JSONValue, _ e: ExpressionNode) throws(ExpressionError) -> JSONValue {
        guard l.doubleValue != nil, r.doubleValue != nil else {
            var message = "cannot apply \(op.rawValue) to \(Self.a(l)) and \(Self.a(r))"
            if op == .add, l.stringValue != nil || r.stringValue != nil { message += "; convert with tostring() or use interpolation" }
            throw fail(e, message)
        }
        if case .int(let a) = l, case .int(let b) = r {
            switch op {
            case .add, .subtract, .multiply:
                let (value, overflow) = op == .add ? a.addingReportingOverflow(b)
                    : op == .subtract ? a.subtractingReportingOverflow(b) : a.multipliedReportingOverflow(by: b)
                if overflow { throw fail(e, "integer overflow") }
                return .int(value)
            case .divide:
                guard b != 0 else { throw fail(e, "division by zero") }
                if b == -1 {
                    guard a != Int.min else { throw fail(e, "integer overflow") }
                    return .int(-a)
                }
                if a % b == 0 { return .int(a / b) }
                return .double(Double(a) / Double(b))
            case .remainder:
                guard b != 0 else { throw fail(e, "division by zero") }
                if b == -1 { return .int(0) }
                let m = a % b
                return .int(m != 0 && (m < 0) != (b < 0) ? m + b : m)
            default: break
            }
        }
        let a = l.doubleValue!
        let b = r.doubleValue!
        let result: Double
        switch op {
        case .add: result = a + b
        case .subtract: result = a - b
        case .multiply: result = a * b
        case .divide:
            guard b != 0 else { throw fail(e, "division by zero") }
            result = a / b
        case .remainder:
            guard b != 0 else { throw fail(e, "division by zero") }
            result = a - b * (a / b).rounded(.down)
        default: result = .nan
        }
        guard result.isFinite else { throw fail(e, "the result is not a finite number") }
        return .double(result)
    }

    private func compare(_ l: JSONValue, _ r: JSONValue, _ e: ExpressionNode) throws(ExpressionError) -> Int {
        switch (l, r) {
        case (.int(let a), .int(let b)): return a < b ? -1 : (a == b ? 0 : 1)
        case (.string(let a), .string(let b)):
            return a.unicodeScalars.lexicographicallyPrecedes(b.unicodeScalars) ? -1 : (a == b ? 0 : 1)
        default:
            guard let a = l.doubleValue, let b = r.doubleValue else {
                throw fail(e, "cannot compare \(Self.a(l)) with \(Self.a(r))")
            }
            return a < b ? -1 : (a == b ? 0 : 1)
        }
    }

    /// Deep equality in which `1 == 1.0`.
    static func equal(_ l: JSONValue, _ r: JSONValue) -> Bool {
        switch (l, r) {
        case (.int(let a), .double(let b)), (.double(let b), .int(let a)): return Double(a) == b
        case (.array(let a), .array(let b)): return a.count == b.count && zip(a, b).allSatisfy { equal($0, $1) }
        case (.object(let a), .object(let b)):
            return a.count == b.count && a.allSatisfy { key, value in b[key].map { equal(value, $0) } ?? false }
        default: return l == r
        }
    }

    // MARK: - Functions

    private func call(_ f: ExpressionFunction, _ args: [JSONValue], _ e: ExpressionNode) throws(ExpressionError) -> JSONValue {
        func string(_ i: Int) throws(ExpressionError) -> String {
            guard case .string(let s) = args[i] else {
                throw fail(e, "\(f.rawValue)() expects a string as argument \(i + 1), found \(Self.a(args[i]))")
            }
            return s
        }
        func array(_ i: Int) throws(ExpressionError) -> [JSONValue] {
            guard case .array(let a) = args[i] else {
                throw fail(e, "\(f.rawValue)() expects an array as argument \(i + 1), found \(Self.a(args[i]))")
            }
            return a
        }
        func object(_ i: Int) throws(ExpressionError) -> [String: JSONValue] {
            guard case .object(let o) = args[i] else {
                throw fail(e, "\(f.rawValue)() expects an object, found \(Self.a(args[i]))")
            }
            return o
        }
        func integer(_ i: Int) throws(ExpressionError) -> Int {
            guard let n = args[i].intValue else {
                throw fail(e, "\(f.rawValue)() expects an integer as argument \(i + 1), found \(Self.a(args[i]))")
            }
            return n
        }
        switch f {
        case .length:
            switch args[0] {
            case .string(let s): return .int(s.count)
            case .array(let a): return .int(a.count)
            case .object(let o): return .int(o.count)
            case .null: return .int(0)
            default: throw fail(e, "length() expects a string, array or object, found \(Self.a(args[0]))")
            }
        case .upper: return try checked(.string(try string(0).uppercased()), e)
        case .lower: return try checked(.string(try string(0).lowercased()), e)
        case .trim: return .string(try string(0).trimmingWhitespace)
        case .join:
            let items = try array(0)
            let separator = args.count > 1 ? try string(1) : ","
            var out = ""
            for (i, item) in items.enumerated() {
                if i > 0 { out += separator }
                out += Self.text(item)
                if out.utf8.count > limits.maxStringBytes { break }
            }
            return try checked(.string(out), e)
        case .split:
            let text = try string(0)
            let pieces: [String]
            if args.count < 2 {
                pieces = text.split(whereSeparator: { $0.isWhitespace }).map(String.init)
            } else {
                let separator = try string(1)
                pieces = separator.isEmpty ? text.map { String($0) } : text.components(separatedBy: separator)
            }
            return try checked(.array(pieces.map { .string($0) }), e)
        case .json: return try checked(.string(args[0].canonicalJSON), e)
        case .fromjson:
            let text = try string(0)
            do {
                return try JSONValue(parsing: text, maxDepth: 128)
            } catch {
                throw fail(e, "fromjson() could not parse its argument: \(error.description)")
            }
        case .keys: return .array(try object(0).keys.sorted().map { .string($0) })
        case .values:
            let o = try object(0)
            return .array(o.keys.sorted().map { o[$0]! })
        case .contains:
            switch args[0] {
            case .string(let s):
                guard case .string(let needle) = args[1] else { throw fail(e, "contains() on a string looks for a string, found \(Self.a(args[1]))") }
                return .bool(needle.isEmpty || s.contains(needle))
            case .array(let a): return .bool(a.contains { Self.equal($0, args[1]) })
            case .object(let o):
                guard case .string(let key) = args[1] else { throw fail(e, "contains() on an object looks for a key (a string), found \(Self.a(args[1]))") }
                return .bool(o[key] != nil)
            case .null: return .bool(false)
            default: throw fail(e, "contains() expects a string, array or object to search, found \(Self.a(args[0]))")
            }
        case .default:
            return args[0].isNull ? args[1] : args[0]
        case .startswith: return .bool(try string(0).hasPrefix(try string(1)))
        case .endswith: return .bool(try string(0).hasSuffix(try string(1)))
        case .replace:
            let old = try string(1)
            guard !old.isEmpty else { throw fail(e, "replace() cannot replace an empty string") }
            return try checked(.string(try string(0).replacingOccurrences(of: old, with: try string(2))), e)
        case .tostring: return try checked(.string(Self.text(args[0])), e)
        case .tonumber:
            switch args[0] {
            case .int, .double: return args[0]
            case .bool(let b): return .int(b ? 1 : 0)
            case .string(let s):
                let t = s.trimmingWhitespace
                if let i = Int(t) { return .int(i) }
                if let d = Double(t), d.isFinite, t.contains(where: { $0.isNumber }) { return .double(d) }
                throw fail(e, "tonumber(): \(JSONValueText.describe(args[0])) is not a number")
            default: throw fail(e, "tonumber() expects a string, number or boolean, found \(Self.a(args[0]))")
            }
        case .sum:
            var total: JSONValue = .int(0)
            for item in try array(0) {
                guard item.doubleValue != nil else { throw fail(e, "sum() expects numbers, found \(Self.a(item))") }
                total = try arithmetic(.add, total, item, e)
            }
            return total
        case .min, .max:
            let items = args.count == 1 ? try array(0) : args
            guard var best = items.first else { throw fail(e, "\(f.rawValue)() of an empty array") }
            for item in items.dropFirst() {
                let order = try compare(item, best, e)
                if f == .min ? order < 0 : order > 0 { best = item }
            }
            return best
        case .range:
            let start = args.count > 1 ? try integer(0) : 0
            let stop = args.count > 1 ? try integer(1) : try integer(0)
            let step = args.count > 2 ? try integer(2) : 1
            guard step != 0 else { throw fail(e, "range() step must not be 0") }
            // Counted in floating point so that extreme bounds cannot overflow.
            let count = max(0, ((Double(stop) - Double(start)) / Double(step)).rounded(.up))
            guard count <= Double(limits.maxArrayLength) else {
                throw fail(e, "range() would have \(Int(min(count, 1e18))) elements, more than the limit of \(limits.maxArrayLength)")
            }
            return .array(stride(from: start, to: stop, by: step).map { .int($0) })
        case .format:
            return try checked(.string(try format(try string(0), Array(args.dropFirst()), e)), e)
        }
    }

    private func format(_ template: String, _ args: [JSONValue], _ e: ExpressionNode) throws(ExpressionError) -> String {
        var out = ""
        let chars = Array(template)
        var i = 0
        var automatic = 0
        while i < chars.count {
            let c = chars[i]
            if c == "{", i + 1 < chars.count, chars[i + 1] == "{" { out.append("{"); i += 2; continue }
            if c == "}", i + 1 < chars.count, chars[i + 1] == "}" { out.append("}"); i += 2; continue }
            if c == "{" {
                guard let close = chars[(i + 1)...].firstIndex(of: "}") else {
                    throw fail(e, "format(): unclosed { in the template (write {{ for a literal brace)")
                }
                let field = String(chars[(i + 1)..<close])
                let position: Int
                if field.isEmpty {
                    position = automatic
                    automatic += 1
                } else if let n = Int(field), n >= 0 {
                    position = n
                } else {
                    throw fail(e, "format(): {\(field)} is not a placeholder; use {0}, {1}, … or {}")
                }
                guard args.indices.contains(position) else {
                    throw fail(e, "format(): placeholder {\(position)} has no argument (\(args.count) given)")
                }
                out += Self.text(args[position])
                if out.utf8.count > limits.maxStringBytes { throw fail(e, "the result is longer than \(limits.maxStringBytes) bytes") }
                i = close + 1
                continue
            }
            if c == "}" { throw fail(e, "format(): unmatched } in the template (write }} for a literal brace)") }
            out.append(c)
            i += 1
        }
        return out
    }

    // MARK: - Helpers

    private func checked(_ value: JSONValue, _ e: ExpressionNode) throws(ExpressionError) -> JSONValue {
        switch value {
        case .string(let s) where s.utf8.count > limits.maxStringBytes:
            throw fail(e, "the result is longer than \(limits.maxStringBytes) bytes")
        case .array(let a) where a.count > limits.maxArrayLength:
            throw fail(e, "the result has more than \(limits.maxArrayLength) elements")
        default:
            return value
        }
    }

    private func fail(_ e: ExpressionNode, _ message: String) -> ExpressionError {
        ExpressionError(subject: e.description, message: message)
    }

    /// A value as interpolated text: strings as they are, `null` as nothing, everything else as compact JSON.
    public static func text(_ value: JSONValue) -> String {
        switch value {
        case .string(let s): return s
        case .null: return ""
        default: return value.canonicalJSON
        }
    }

    /// "a string \"x\"", "an integer 3", "null" … for messages.
    static func a(_ v: JSONValue) -> String {
        switch v {
        case .null: return "null"
        case .bool(let b): return "a boolean (\(b))"
        case .int(let i): return "an integer (\(i))"
        case .double(let d): return "a number (\(JSONValue.double(d).canonicalJSON))"
        case .string: return "a string (\(JSONValueText.describe(v)))"
        case .array(let a): return "an array (length \(a.count))"
        case .object: return "an object"
        }
    }
}
