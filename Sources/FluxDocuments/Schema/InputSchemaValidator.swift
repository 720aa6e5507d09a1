import FluxCore
import Foundation

/// Validates a JSON value (a workflow input or a resume input) against a JSON Schema subset:
/// `type` (a name or a list), `properties`, `required`, `additionalProperties` (boolean or schema), `items`, `enum`,
/// `const`, `minimum`, `maximum`, `exclusiveMinimum`, `exclusiveMaximum`, `multipleOf`, `minLength`, `maxLength`,
/// `pattern`, `minItems`, `maxItems`, `uniqueItems`, `minProperties`, `maxProperties`, `anyOf`, `oneOf`, `allOf`
/// and `not`. Annotations (`title`, `description`, `default`, `format`, …) are ignored.
///
/// ```swift
/// let validator = try InputSchemaValidator(schema: ["type": "object", "required": ["age"],
///                                                   "properties": ["age": ["type": "integer"]]])
/// validator.violations(of: ["age": "x"])
/// // [input.age: expected integer, found "x"]
/// ```
public struct InputSchemaValidator: Sendable {
    public let schema: JSONValue

    /// Checks the schema itself and throws the problems found in it.
    public init(schema: JSONValue) throws(DocumentValidationError) {
        var errors: [DocumentError] = []
        var checker = SchemaChecker { _, path, message in
            errors.append(DocumentError(file: "schema", line: nil, column: nil, path: path.description, message: message))
        }
        checker.check(SourceNode(json: schema), .root)
        if !errors.isEmpty { throw DocumentValidationError(errors: errors) }
        self.schema = schema
    }

    /// Builds a validator for a schema the document parser already checked.
    init(checkedSchema: JSONValue) {
        self.schema = checkedSchema
    }

    /// Every way `value` breaks the schema; empty when it conforms. Paths start at `root` (`input.user.age`).
    public func violations(of value: JSONValue, root: String = "input") -> [SchemaViolation] {
        var run = Run()
        run.validate(value, schema, path: root)
        return run.violations
    }

    /// Throws when `value` does not conform.
    public func validate(_ value: JSONValue, root: String = "input") throws(InputValidationError) {
        let v = violations(of: value, root: root)
        if !v.isEmpty { throw InputValidationError(violations: v) }
    }

    /// State visits the `pattern` checks of one validation may make in all: about 0.1 s of matching.
    static let patternBudget = 20_000_000

    private struct Run {
        var violations: [SchemaViolation] = []
        var regexes: [String: SchemaPattern] = [:]
        /// State visits the `pattern` checks of one validation may still make (``SchemaPattern/cost(scalars:)``):
        /// a value of many long strings against a large pattern is refused instead of holding a thread for long.
        var patternBudget = InputSchemaValidator.patternBudget

        mutating func fail(_ path: String, _ message: String) {
            violations.append(SchemaViolation(path: path, message: message))
        }

        mutating func conforms(_ value: JSONValue, _ schema: JSONValue, path: String) -> Bool {
            var inner = Run(regexes: regexes)
            inner.validate(value, schema, path: path)
            regexes = inner.regexes
            return inner.violations.isEmpty
        }

        mutating func validate(_ value: JSONValue, _ schema: JSONValue, path: String) {
            if case .bool(let allowed) = schema {
                if !allowed { fail(path, "no value is allowed here") }
                return
            }
            guard case .object(let s) = schema else { return }

            if let type = s["type"] {
                let names = type.arrayValue?.compactMap(\.stringValue) ?? [type.stringValue].compactMap { $0 }
                if !names.contains(where: { Self.matches(value, type: $0) }) {
                    fail(path, "expected \(names.joined(separator: " or ")), found \(JSONValueText.describe(value))")
                    return
                }
            }
            if let allowed = s["enum"]?.arrayValue, !allowed.contains(where: { ExpressionEvaluator.equal($0, value) }) {
                fail(path, "expected one of \(allowed.map(\.canonicalJSON).joined(separator: ", ")), found \(JSONValueText.describe(value))")
            }
            if let constant = s["const"], !ExpressionEvaluator.equal(constant, value) {
                fail(path, "expected \(constant.canonicalJSON), found \(JSONValueText.describe(value))")
            }
            if let n = value.doubleValue, value.boolValue == nil {
                if let m = s["minimum"]?.doubleValue, n < m { fail(path, "expected a number ≥ \(Self.show(m)), found \(value.canonicalJSON)") }
                if let m = s["maximum"]?.doubleValue, n > m { fail(path, "expected a number ≤ \(Self.show(m)), found \(value.canonicalJSON)") }
                if let m = s["exclusiveMinimum"]?.doubleValue, n <= m { fail(path, "expected a number > \(Self.show(m)), found \(value.canonicalJSON)") }
                if let m = s["exclusiveMaximum"]?.doubleValue, n >= m { fail(path, "expected a number < \(Self.show(m)), found \(value.canonicalJSON)") }
                if let m = s["multipleOf"]?.doubleValue, m > 0 {
                    let q = n / m
                    if abs(q - q.rounded()) > 1e-9 { fail(path, "expected a multiple of \(Self.show(m)), found \(value.canonicalJSON)") }
                }
            }
            if case .string(let text) = value {
                let length = text.count
                if let m = s["minLength"]?.intValue, length < m { fail(path, "expected a string of at least \(m) characters, found \(length)") }
                if let m = s["maxLength"]?.intValue, length > m { fail(path, "expected a string of at most \(m) characters, found \(length)") }
                if let pattern = s["pattern"]?.stringValue, let regex = regex(pattern) {
                    let cost = regex.cost(scalars: text.unicodeScalars.count)
                    if cost > patternBudget {
                        patternBudget = 0
                        fail(path, "the input is too large to be checked against the pattern \(JSONValue.string(pattern).canonicalJSON): "
                            + "shorten the strings, or simplify the pattern")
                    } else {
                        patternBudget -= cost
                        if !regex.matches(text) {
                            fail(path, "expected a string matching \(JSONValue.string(pattern).canonicalJSON), found \(JSONValueText.describe(value))")
                        }
                    }
                }
            }
            if case .array(let items) = value {
                if let m = s["minItems"]?.intValue, items.count < m { fail(path, "expected at least \(m) items, found \(items.count)") }
                if let m = s["maxItems"]?.intValue, items.count > m { fail(path, "expected at most \(m) items, found \(items.count)") }
                if s["uniqueItems"]?.boolValue == true {
                    outer: for i in items.indices {
                        for j in items.indices where j > i && ExpressionEvaluator.equal(items[i], items[j]) {
                            fail("\(path)[\(j)]", "expected unique items, found a repeat of \(path)[\(i)]")
                            break outer
                        }
                    }
                }
                if let itemSchema = s["items"] {
                    for (i, item) in items.enumerated() { validate(item, itemSchema, path: "\(path)[\(i)]") }
                }
            }
            if case .object(let object) = value {
                if let m = s["minProperties"]?.intValue, object.count < m { fail(path, "expected at least \(m) properties, found \(object.count)") }
                if let m = s["maxProperties"]?.intValue, object.count > m { fail(path, "expected at most \(m) properties, found \(object.count)") }
                for name in s["required"]?.arrayValue?.compactMap(\.stringValue) ?? [] where object[name] == nil {
                    fail(Self.join(path, name), "required property is missing")
                }
                let properties = s["properties"]?.objectValue ?? [:]
                for key in object.keys.sorted() {
                    let child = Self.join(path, key)
                    if let propertySchema = properties[key] {
                        validate(object[key]!, propertySchema, path: child)
                    } else if let additional = s["additionalProperties"] {
                        if case .bool(false) = additional {
                            fail(child, "unexpected property (allowed: \(properties.keys.sorted().joined(separator: ", ")))")
                        } else {
                            validate(object[key]!, additional, path: child)
                        }
                    }
                }
            }
            if let all = s["allOf"]?.arrayValue {
                for sub in all { validate(value, sub, path: path) }
            }
            if let any = s["anyOf"]?.arrayValue, !any.contains(where: { conforms(value, $0, path: path) }) {
                fail(path, "expected a value matching at least one of \(any.count) schemas (anyOf), found \(JSONValueText.describe(value))")
            }
            if let one = s["oneOf"]?.arrayValue {
                let matching = one.filter { conforms(value, $0, path: path) }.count
                if matching != 1 {
                    fail(path, "expected a value matching exactly one of \(one.count) schemas (oneOf), found \(JSONValueText.describe(value)) matching \(matching)")
                }
            }
            if let not = s["not"], conforms(value, not, path: path) {
                fail(path, "expected a value not matching the schema under \"not\", found \(JSONValueText.describe(value))")
            }
        }

        /// Linear-time matching (no backtracking): a hostile pattern such as `^(a+)+$` cannot stall a request.
        mutating func regex(_ pattern: String) -> SchemaPattern? {
            if let r = regexes[pattern] { return r }
            let r = try? SchemaPattern(pattern)
            regexes[pattern] = r
            return r
        }

        static func matches(_ value: JSONValue, type: String) -> Bool {
            switch (type, value) {
            case ("null", .null), ("boolean", .bool), ("string", .string), ("array", .array), ("object", .object): return true
            case ("integer", .int): return true
            case ("integer", .double(let d)): return d.rounded() == d
            case ("number", .int), ("number", .double): return true
            default: return false
            }
        }

        static func join(_ path: String, _ key: String) -> String {
            DocumentPath.isIdentifier(key) ? "\(path).\(key)" : "\(path)[\(JSONValue.string(key).canonicalJSON)]"
        }

        static func show(_ d: Double) -> String {
            d.rounded() == d && abs(d) < 1e15 ? String(Int(d)) : "\(d)"
        }
    }
}

/// One way a value breaks a schema.
public struct SchemaViolation: Sendable, Hashable, CustomStringConvertible {
    /// Where in the value, e.g. `input.user.age`.
    public var path: String
    public var message: String

    public init(path: String, message: String) {
        self.path = path
        self.message = message
    }

    public var description: String { "\(path): \(message)" }
}

/// A value that does not conform to its schema.
public struct InputValidationError: Error, Sendable, Hashable, CustomStringConvertible {
    public var violations: [SchemaViolation]

    public init(violations: [SchemaViolation]) {
        self.violations = violations
    }

    public var description: String { violations.map(\.description).joined(separator: "\n") }
}

extension WorkflowDocument {
    /// A validator for ``inputSchema``; `nil` when the workflow accepts any input.
    public var inputValidator: InputSchemaValidator? {
        inputSchema.map(InputSchemaValidator.init(checkedSchema:))
    }

    /// Throws when `input` does not satisfy the workflow's input schema (paths start at `input`).
    public func validateInput(_ input: JSONValue) throws(InputValidationError) {
        try inputValidator?.validate(input, root: "input")
    }
}

extension PausePoint {
    /// A validator for the resume input; `nil` when any resume input is accepted.
    public var inputValidator: InputSchemaValidator? {
        inputSchema.map(InputSchemaValidator.init(checkedSchema:))
    }
}
