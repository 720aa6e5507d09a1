import Foundation

/// Reads `FLUX_…` environment variables.
///
/// `FLUX_SERVER_PORT` sets `server_port`; a double underscore nests, so
/// `FLUX_WORKERS__BOOTSTRAP_TOKEN` sets `workers.bootstrap_token`. Names are
/// case-insensitive (`flux_mcp__port` works too). Variables that map to no key
/// produce warnings, never errors.
enum EnvironmentReader {
    static let prefix = "FLUX_"

    static func read(_ environment: [String: String]) -> SourceReading {
        var reading = SourceReading()
        // Group by key so that variables differing only in case are detected.
        var byKey: [String: [String]] = [:]
        for name in environment.keys {
            let upper = name.uppercased()
            guard upper.hasPrefix(prefix) else { continue }
            byKey[dottedKey(for: name), default: []].append(name)
        }
        for dotted in byKey.keys.sorted() {
            let names = (byKey[dotted] ?? []).sorted()
            // Prefer the conventional all-uppercase spelling, then the first in sort order.
            guard let chosen = names.first(where: { $0 == $0.uppercased() }) ?? names.first,
                  let value = environment[chosen] else { continue }
            if names.count > 1 {
                let others = names.filter { $0 != chosen }.joined(separator: ", ")
                reading.warnings.append("environment \(chosen): also set as \(others); using \(chosen)")
            }
            if let key = ConfigurationKeys.byName[dotted] {
                reading.assignments.append(Assignment(key: key, raw: .text(value), source: .environment(variable: chosen)))
            } else if ConfigurationKeys.sections.contains(dotted) {
                reading.warnings.append(
                    "environment \(chosen): \"\(dotted)\" is a table, not a key; set its keys with \(chosen)__<KEY> (ignored)"
                )
            } else {
                var warning = "environment \(chosen): unknown key \"\(dotted)\" (ignored)"
                if let suggestion = ConfigurationKeys.suggestion(for: dotted) {
                    warning += "; did you mean \(environmentName(for: suggestion))?"
                }
                reading.warnings.append(warning)
            }
        }
        return reading
    }

    /// `FLUX_WORKERS__BOOTSTRAP_TOKEN` → `workers.bootstrap_token`.
    static func dottedKey(for variable: String) -> String {
        variable.dropFirst(prefix.count).lowercased().components(separatedBy: "__").joined(separator: ".")
    }

    /// `workers.bootstrap_token` → `FLUX_WORKERS__BOOTSTRAP_TOKEN`.
    static func environmentName(for dottedKey: String) -> String {
        prefix + dottedKey.uppercased().replacingOccurrences(of: ".", with: "__")
    }
}
