import Foundation

/// A configuration value before it is converted to its Swift type.
///
/// TOML values keep their TOML type; environment variables and overrides are
/// plain text (`.text`) and are parsed leniently by the key they are assigned to.
enum ConfigValue: Sendable, Equatable {
    /// A TOML string.
    case string(String)
    /// A TOML integer.
    case integer(Int)
    /// A TOML float.
    case float(Double)
    /// A TOML boolean.
    case boolean(Bool)
    /// A TOML array.
    case array([ConfigValue])
    /// A TOML table, with keys in document order as reported by the parser.
    case table([(String, ConfigValue)])
    /// A TOML value of a type configuration never accepts (dates and times); the payload names the type.
    case unsupported(String)
    /// Untyped text from an environment variable or an override.
    case text(String)

    static func == (lhs: ConfigValue, rhs: ConfigValue) -> Bool {
        switch (lhs, rhs) {
        case let (.string(a), .string(b)), let (.text(a), .text(b)), let (.unsupported(a), .unsupported(b)):
            return a == b
        case let (.integer(a), .integer(b)): return a == b
        case let (.float(a), .float(b)): return a == b
        case let (.boolean(a), .boolean(b)): return a == b
        case let (.array(a), .array(b)): return a == b
        case let (.table(a), .table(b)):
            return a.count == b.count && zip(a, b).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        default: return false
        }
    }

    /// How the value is shown after "found" in error messages: TOML-like literals,
    /// strings quoted and shortened.
    var found: String {
        switch self {
        case .string(let s), .text(let s): return Self.quoted(s)
        case .integer(let n): return String(n)
        case .float(let d): return String(d)
        case .boolean(let b): return b ? "true" : "false"
        case .array: return "an array"
        case .table: return "a table"
        case .unsupported(let type): return "a \(type)"
        }
    }

    static func quoted(_ text: String, limit: Int = 60) -> String {
        let shown = text.count > limit ? String(text.prefix(limit)) + "…" : text
        var escaped = ""
        for scalar in shown.unicodeScalars {
            switch scalar {
            case "\"": escaped += "\\\""
            case "\\": escaped += "\\\\"
            case "\n": escaped += "\\n"
            case "\t": escaped += "\\t"
            case "\r": escaped += "\\r"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F {
                    escaped += String(format: "\\u%04X", scalar.value)
                } else {
                    escaped.unicodeScalars.append(scalar)
                }
            }
        }
        return "\"\(escaped)\""
    }
}
