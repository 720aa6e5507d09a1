import Foundation
import TOMLKit

/// Parses TOML text into ``ConfigValue`` trees. This is the only file that talks to TOMLKit.
enum TOMLDocument {
    /// Parses a whole document, returning its root table.
    static func parse(_ text: String, source: ConfigurationSource) throws(ConfigurationError) -> [(String, ConfigValue)] {
        let table: TOMLTable
        do {
            table = try TOMLTable(string: text)
        } catch let error as TOMLParseError {
            throw ConfigurationError(
                kind: .invalidSyntax,
                source: source,
                key: nil,
                message: "invalid TOML: \(error.description)",
                line: error.source.begin.line,
                column: error.source.begin.column
            )
        } catch {
            throw ConfigurationError(kind: .invalidSyntax, source: source, key: nil, message: "invalid TOML: \(error)")
        }
        return convert(table)
    }

    private static func convert(_ table: TOMLTable) -> [(String, ConfigValue)] {
        var entries: [(String, ConfigValue)] = []
        for (key, value) in table {
            entries.append((key, convert(value)))
        }
        return entries
    }

    private static func convert(_ value: any TOMLValueConvertible) -> ConfigValue {
        switch value.type {
        case .string: return value.string.map(ConfigValue.string) ?? .unsupported("string")
        case .int: return value.int.map(ConfigValue.integer) ?? .unsupported("integer")
        case .double: return value.double.map(ConfigValue.float) ?? .unsupported("float")
        case .bool: return value.bool.map(ConfigValue.boolean) ?? .unsupported("boolean")
        case .array:
            guard let array = value.array else { return .unsupported("array") }
            return .array(array.map { convert($0) })
        case .table:
            guard let table = value.table else { return .unsupported("table") }
            return .table(convert(table))
        case .date: return .unsupported("date")
        case .time: return .unsupported("time")
        case .dateTime: return .unsupported("date-time")
        }
    }
}
