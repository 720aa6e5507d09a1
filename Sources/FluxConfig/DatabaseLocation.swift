import Foundation

/// Where the Flux store lives, resolved from the `database_url` key.
///
/// Accepted URLs:
/// - `sqlite:///relative/path.db` → `.sqlite(path: "relative/path.db")` (relative to the working directory)
/// - `sqlite:////absolute/path.db` → `.sqlite(path: "/absolute/path.db")`
/// - `postgresql://user:pass@host:5432/db` or `postgres://…` → `.postgres(url:)` with the URL unchanged
///
/// ```swift
/// let location = try DatabaseLocation(url: "sqlite:////var/lib/flux/flux.db")
/// // location == .sqlite(path: "/var/lib/flux/flux.db")
/// ```
public enum DatabaseLocation: Sendable, Hashable {
    /// A SQLite database file at `path` (relative paths are relative to the working directory).
    case sqlite(path: String)
    /// A PostgreSQL server, as a `postgresql://` or `postgres://` URL.
    case postgres(url: String)

    /// Parses a database URL.
    ///
    /// ```swift
    /// try DatabaseLocation(url: "postgres://flux@db/flux") // .postgres(url: "postgres://flux@db/flux")
    /// ```
    /// - Parameters:
    ///   - url: The URL text.
    ///   - key: The configuration key to name in errors.
    ///   - source: The source to name in errors.
    /// - Throws: ``ConfigurationError`` for any other scheme or an empty path or host.
    public init(
        url: String,
        key: String = "database_url",
        source: ConfigurationSource = .programmatic
    ) throws(ConfigurationError) {
        let text = url.trimmingCharacters(in: .whitespaces)
        let expectation = "expected \"sqlite:///relative/path\", \"sqlite:////absolute/path\", "
            + "\"postgresql://…\" or \"postgres://…\""
        guard let separator = text.range(of: "://") else {
            throw .invalid(key, source, "\(expectation), found \(ConfigValue.quoted(url))")
        }
        let scheme = text[..<separator.lowerBound].lowercased()
        let rest = String(text[separator.upperBound...])
        switch scheme {
        case "sqlite":
            guard rest.hasPrefix("/") else {
                throw .invalid(
                    key, source,
                    "a SQLite URL needs three slashes before a relative path and four before an absolute one, "
                        + "found \(ConfigValue.quoted(url))"
                )
            }
            let path = String(rest.dropFirst())
            guard !path.isEmpty, path != "/" else {
                throw .invalid(key, source, "a SQLite URL needs a file path, found \(ConfigValue.quoted(url))")
            }
            self = .sqlite(path: path)
        case "postgresql", "postgres":
            guard !rest.isEmpty, !rest.hasPrefix("/") || rest.count > 1 else {
                let shown = ConfigValue.quoted(Self.maskingPassword(in: url))
                throw .invalid(key, source, "a PostgreSQL URL needs a host or database, found \(shown)")
            }
            self = .postgres(url: text)
        default:
            throw .invalid(key, source, "unsupported database scheme \"\(scheme)\": \(expectation)")
        }
    }

    /// Replaces the password of a `scheme://user:password@host` URL with `********`.
    static func maskingPassword(in url: String) -> String {
        guard let schemeEnd = url.range(of: "://") else { return url }
        let afterScheme = url[schemeEnd.upperBound...]
        let authority = afterScheme.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        guard let at = authority.lastIndex(of: "@") else { return url }
        let userInfo = url[schemeEnd.upperBound..<at]
        guard let colon = userInfo.firstIndex(of: ":") else { return url }
        return String(url[..<url.index(after: colon)]) + "********" + String(url[at...])
    }
}
