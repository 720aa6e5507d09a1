import FluxCore
import Foundation

/// Checks that a JSON Schema uses only the subset `InputSchemaValidator` implements, and uses it correctly.
struct SchemaChecker {
    static let typeNames = ["null", "boolean", "integer", "number", "string", "array", "object"]

    /// Keywords that are read for validation.
    static let keywords = [
        "type", "properties", "required", "additionalProperties", "items", "enum", "const",
        "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf",
        "minLength", "maxLength", "pattern", "minItems", "maxItems", "uniqueItems",
        "minProperties", "maxProperties", "anyOf", "oneOf", "allOf", "not",
    ]
    /// Keywords that are accepted and ignored.
    static let annotations = [
        "$schema", "$id", "$comment", "title", "description", "default", "examples", "format",
        "deprecated", "readOnly", "writeOnly",
    ]

    var report: (SourceNode, DocumentPath, String) -> Void
    var depth = 0

    mutating func check(_ node: SourceNode, _ path: DocumentPath) {
        if case .scalar(let s) = node.kind, case .bool = s.value { return }
        guard let entries = node.entries else {
            report(node, path, "expected a JSON Schema (an object such as {type: string}, or a boolean), found \(node.foundDescription)")
            return
        }
        for entry in entries {
            let p = path / entry.key
            let v = entry.value
            switch entry.key {
            case "type":
                if let s = v.scalar?.value.stringValue {
                    if !Self.typeNames.contains(s) { badType(v, p, s) }
                } else if let items = v.items, !items.isEmpty {
                    for (i, item) in items.enumerated() {
                        guard let s = item.scalar?.value.stringValue else {
                            report(item, p / i, "expected a type name, found \(item.foundDescription)")
                            continue
                        }
                        if !Self.typeNames.contains(s) { badType(item, p / i, s) }
                    }
                } else {
                    report(v, p, "expected a type name (\(Self.typeNames.joined(separator: ", "))) or a list of them, found \(v.foundDescription)")
                }
            case "properties":
                guard let props = v.entries else {
                    report(v, p, "expected an object of property schemas, found \(v.foundDescription)")
                    continue
                }
                for prop in props { nested(prop.value, p / prop.key) }
            case "required":
                guard let items = v.items, items.allSatisfy({ $0.scalar?.value.stringValue != nil }) else {
                    report(v, p, "expected a list of property names, found \(v.foundDescription)")
                    continue
                }
            case "additionalProperties", "items", "not":
                nested(v, p)
            case "enum":
                guard v.items != nil else {
                    report(v, p, "expected a list of allowed values, found \(v.foundDescription)")
                    continue
                }
            case "const", "default", "examples", "$comment", "title", "description", "$schema", "$id", "format",
                 "deprecated", "readOnly", "writeOnly":
                continue
            case "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum":
                if v.scalar?.value.doubleValue == nil { report(v, p, "expected a number, found \(v.foundDescription)") }
            case "multipleOf":
                if let d = v.scalar?.value.doubleValue, d > 0 {} else { report(v, p, "expected a number > 0, found \(v.foundDescription)") }
            case "minLength", "maxLength", "minItems", "maxItems", "minProperties", "maxProperties":
                if let i = v.scalar?.value, case .int(let n) = i, n >= 0 {} else {
                    report(v, p, "expected an integer ≥ 0, found \(v.foundDescription)")
                }
            case "uniqueItems":
                if v.scalar?.value.boolValue == nil { report(v, p, "expected true or false, found \(v.foundDescription)") }
            case "pattern":
                guard let s = v.scalar?.value.stringValue else {
                    report(v, p, "expected a regular expression (a string), found \(v.foundDescription)")
                    continue
                }
                do {
                    _ = try SchemaPattern(s)
                } catch {
                    report(v, p, "invalid regular expression \(JSONValue.string(s).canonicalJSON): \(error)")
                }
            case "anyOf", "oneOf", "allOf":
                guard let items = v.items, !items.isEmpty else {
                    report(v, p, "expected a non-empty list of schemas, found \(v.foundDescription)")
                    continue
                }
                for (i, item) in items.enumerated() { nested(item, p / i) }
            case "$ref", "$defs", "definitions", "if", "then", "else", "prefixItems", "patternProperties", "dependentRequired",
                 "dependentSchemas", "contains", "propertyNames", "unevaluatedProperties", "unevaluatedItems":
                report(entry.keyNode, p, "the JSON Schema keyword \"\(entry.key)\" is not supported here (supported: \(Self.keywords.joined(separator: ", ")))")
            default:
                var message = "unknown JSON Schema keyword \"\(entry.key)\""
                if let s = Suggestion.closest(to: entry.key, in: Self.keywords + Self.annotations) { message += "; did you mean \"\(s)\"?" }
                report(entry.keyNode, p, message)
            }
        }
    }

    private mutating func nested(_ node: SourceNode, _ path: DocumentPath) {
        depth += 1
        defer { depth -= 1 }
        if depth > 32 {
            report(node, path, "the schema is nested more than 32 levels deep")
            return
        }
        check(node, path)
    }

    private func badType(_ node: SourceNode, _ path: DocumentPath, _ s: String) {
        var message = "unknown type \"\(s)\"; expected one of \(Self.typeNames.joined(separator: ", "))"
        if let suggestion = Suggestion.closest(to: s, in: Self.typeNames) { message = "unknown type \"\(s)\"; did you mean \"\(suggestion)\"?" }
        else if s == "int" { message = "unknown type \"int\"; did you mean \"integer\"?" }
        else if s == "bool" { message = "unknown type \"bool\"; did you mean \"boolean\"?" }
        report(node, path, message)
    }
}
