import Foundation

/// Turns a configuration into TOML or JSON text.
enum ConfigurationRenderer {
    /// The TOML of one section (`[flux.security]`), secrets masked.
    static func section(_ name: String, of configuration: FluxConfiguration) -> String {
        toml(tables(of: configuration, revealingSecrets: false).filter { $0.name == name })
    }

    /// A mirror of the rendered (masked) values, so `dump` and test failures never show secrets.
    static func mirror(of subject: Any, tables: [Table]) -> Mirror {
        var children: [Mirror.Child] = []
        for table in tables {
            for (key, value) in table.entries {
                let label = table.name.map { "\($0).\(key)" } ?? key
                children.append((label, value.map(tomlLiteral) ?? "nil"))
            }
        }
        return Mirror(subject, children: children, displayStyle: .struct)
    }

    /// One table: its name (`nil` for the top level) and its entries in registry order.
    typealias Table = (name: String?, entries: [(key: String, value: ConfigValue?)])

    static func tables(of configuration: FluxConfiguration, revealingSecrets: Bool) -> [Table] {
        var tables: [Table] = [(nil, [])] + ConfigurationKeys.sections.map { (Optional($0), []) }
        for key in ConfigurationKeys.all {
            var value = key.read(configuration)
            if !revealingSecrets, let shown = value {
                if key.isSecret {
                    value = .string(FluxConfiguration.secretMask)
                } else if key.name == "database_url", case .string(let url) = shown {
                    value = .string(DatabaseLocation.maskingPassword(in: url))
                }
            }
            let index = tables.firstIndex { $0.name == key.section } ?? 0
            tables[index].entries.append((key.leaf, value))
        }
        return tables
    }

    // MARK: TOML

    static func toml(_ tables: [Table]) -> String {
        var lines: [String] = []
        for table in tables {
            if !lines.isEmpty { lines.append("") }
            lines.append(table.name.map { "[flux.\($0)]" } ?? "[flux]")
            for (key, value) in table.entries {
                if let value {
                    lines.append("\(key) = \(tomlLiteral(value))")
                } else {
                    lines.append("# \(key) is not set")
                }
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func tomlLiteral(_ value: ConfigValue) -> String {
        switch value {
        case .string(let text), .text(let text), .unsupported(let text): return quoted(text)
        case .integer(let number): return String(number)
        case .float(let number): return String(number)
        case .boolean(let flag): return flag ? "true" : "false"
        case .array(let elements): return "[" + elements.map(tomlLiteral).joined(separator: ", ") + "]"
        case .table(let entries):
            return "{ " + entries.map { "\($0.0) = \(tomlLiteral($0.1))" }.joined(separator: ", ") + " }"
        }
    }

    // MARK: JSON

    static func json(_ tables: [Table]) -> String {
        var lines = ["{"]
        var members: [String] = []
        for table in tables {
            if let name = table.name {
                let inner = table.entries.map { "    \(quoted($0.key)): \(jsonLiteral($0.value))" }
                members.append("  \(quoted(name)): {\n" + inner.joined(separator: ",\n") + "\n  }")
            } else {
                members += table.entries.map { "  \(quoted($0.key)): \(jsonLiteral($0.value))" }
            }
        }
        lines.append(members.joined(separator: ",\n"))
        lines.append("}")
        return lines.joined(separator: "\n") + "\n"
    }

    static func jsonLiteral(_ value: ConfigValue?) -> String {
        guard let value else { return "null" }
        switch value {
        case .string(let text), .text(let text), .unsupported(let text): return quoted(text)
        case .integer(let number): return String(number)
        case .float(let number): return number.isFinite ? String(number) : "null"
        case .boolean(let flag): return flag ? "true" : "false"
        case .array(let elements): return "[" + elements.map { jsonLiteral($0) }.joined(separator: ", ") + "]"
        case .table(let entries):
            return "{" + entries.map { "\(quoted($0.0)): \(jsonLiteral($0.1))" }.joined(separator: ", ") + "}"
        }
    }

    // MARK: Strings

    /// A double-quoted string with the escapes TOML basic strings and JSON share.
    static func quoted(_ text: String) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            case "\u{08}": result += "\\b"
            case "\u{0C}": result += "\\f"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F {
                    result += String(format: "\\u%04X", scalar.value)
                } else {
                    result.unicodeScalars.append(scalar)
                }
            }
        }
        return result + "\""
    }
}
