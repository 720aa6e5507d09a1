import Foundation

/// Where and how ``PostgresStore`` connects, usually read from a `postgresql://` URL.
///
/// ```swift
/// let configuration = try PostgresStoreConfiguration(url: "postgresql://flux:secret@db.internal:5432/flux?sslmode=require")
/// let store = try await PostgresStore.connect(configuration)
/// ```
///
/// URL form: `postgresql://[user[:password]@][host][:port][/database][?parameters]` (`postgres://` too).
/// Parameters: `sslmode` (`disable`, `prefer` (default), `require`, `verify-full`), `host` (a Unix socket directory,
/// which then replaces the host name), `schema` (keep Flux's tables in that schema instead of the
/// user's default one; created if missing), `pool_size` (most connections, default 10),
/// `connect_timeout` (seconds, default 10) and `application_name`. User and password are
/// percent-decoded; the user defaults to `postgres`, the database to the user's name.
public struct PostgresStoreConfiguration: Sendable, Hashable {
    /// How to protect the connection with TLS (libpq's `sslmode`).
    public enum TLSMode: String, Sendable, Hashable {
        /// Plain TCP.
        case disable
        /// TLS when the server offers it, without checking its certificate; plain TCP otherwise.
        case prefer
        /// TLS or no connection, without checking the certificate.
        case require
        /// TLS with the certificate and host name checked against the system's trusted roots.
        case verifyFull = "verify-full"
    }

    public var host: String
    public var port: Int
    /// A Unix socket directory (as libpq's `host=/dir`): connect through `<dir>/.s.PGSQL.<port>`.
    public var unixSocketDirectory: String?
    public var username: String
    public var password: String?
    public var database: String?
    public var tls: TLSMode
    /// The schema holding Flux's tables; nil uses the connection's default (usually `public`).
    public var schema: String?
    /// The most connections the store's pool opens (the change feed holds one more).
    public var maximumConnections: Int
    public var connectTimeout: Duration
    public var applicationName: String

    public init(host: String = "localhost", port: Int = 5432, unixSocketDirectory: String? = nil, username: String = "postgres",
                password: String? = nil, database: String? = nil, tls: TLSMode = .prefer, schema: String? = nil,
                maximumConnections: Int = 10, connectTimeout: Duration = .seconds(10), applicationName: String = "flux") {
        self.host = host
        self.port = port
        self.unixSocketDirectory = unixSocketDirectory
        self.username = username
        self.password = password
        self.database = database
        self.tls = tls
        self.schema = schema
        self.maximumConnections = maximumConnections
        self.connectTimeout = connectTimeout
        self.applicationName = applicationName
    }

    /// Reads a `postgresql://` or `postgres://` URL.
    ///
    /// ```swift
    /// let local = try PostgresStoreConfiguration(url: "postgresql://flux@127.0.0.1:54329/flux?sslmode=disable")
    /// ```
    ///
    /// - Throws: ``PostgresURLError`` saying what part is wrong; the message never shows the password.
    public init(url: String) throws(PostgresURLError) {
        let text = url.trimmingCharacters(in: .whitespaces)
        let shown = Self.masking(text)
        guard let components = URLComponents(string: text) else {
            throw PostgresURLError(url: shown, problem: "it is not a valid URL (percent-encode special characters in the user and password)")
        }
        guard let scheme = components.scheme?.lowercased(), scheme == "postgresql" || scheme == "postgres" else {
            throw PostgresURLError(url: shown, problem: "the scheme must be postgresql:// or postgres://")
        }
        self.init()
        username = components.user.flatMap { $0.removingPercentEncoding ?? $0 }.flatMap { $0.isEmpty ? nil : $0 } ?? "postgres"
        password = components.password.map { $0.removingPercentEncoding ?? $0 }
        if let host = components.host, !host.isEmpty {
            self.host = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        }
        if let port = components.port {
            guard (1...65535).contains(port) else { throw PostgresURLError(url: shown, problem: "port \(port) is not from 1 to 65535") }
            self.port = port
        }
        let path = components.path.hasPrefix("/") ? String(components.path.dropFirst()) : components.path
        if !path.isEmpty {
            guard !path.contains("/") else {
                throw PostgresURLError(url: shown, problem: "the path must be one database name, found \"\(path)\"")
            }
            database = path.removingPercentEncoding ?? path
        }
        for item in components.queryItems ?? [] {
            let value = item.value ?? ""
            switch item.name {
            case "sslmode":
                switch value {
                case "disable", "allow": tls = .disable
                case "prefer": tls = .prefer
                case "require": tls = .require
                case "verify-ca", "verify-full": tls = .verifyFull
                default:
                    throw PostgresURLError(url: shown, problem: "sslmode must be disable, prefer, require or verify-full, found \"\(value)\"")
                }
            case "host":
                guard value.hasPrefix("/") else {
                    throw PostgresURLError(url: shown, problem: "the host parameter must be a Unix socket directory (an absolute path)")
                }
                unixSocketDirectory = value
            case "schema":
                guard Self.isPlainIdentifier(value) else {
                    throw PostgresURLError(url: shown, problem: "schema must be 1 to 63 lowercase letters, digits or _, not starting with a digit, found \"\(value)\"")
                }
                schema = value
            case "pool_size":
                guard let size = Int(value), (1...1000).contains(size) else {
                    throw PostgresURLError(url: shown, problem: "pool_size must be a whole number from 1 to 1000, found \"\(value)\"")
                }
                maximumConnections = size
            case "connect_timeout":
                guard let seconds = Double(value), seconds > 0, seconds <= 3600 else {
                    throw PostgresURLError(url: shown, problem: "connect_timeout must be a number of seconds above 0, found \"\(value)\"")
                }
                connectTimeout = .milliseconds(Int(seconds * 1000))
            case "application_name":
                applicationName = value
            default:
                throw PostgresURLError(
                    url: shown,
                    problem: "unknown parameter \"\(item.name)\" (known: sslmode, host, schema, pool_size, connect_timeout, application_name)")
            }
        }
    }

    /// Where the store connects, for messages: `user@host:port/database` (never the password).
    public var endpointDescription: String {
        let place = unixSocketDirectory.map { "\($0)/.s.PGSQL.\(port)" } ?? "\(host):\(port)"
        return "\(username)@\(place)/\(database ?? username)" + (schema.map { " (schema \($0))" } ?? "")
    }

    /// `[a-z_][a-z0-9_]{0,62}`: safe to use unquoted in SQL and in a startup `search_path`.
    static func isPlainIdentifier(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, name.unicodeScalars.count <= 63,
              first == "_" || ("a"..."z").contains(first) else { return false }
        return name.unicodeScalars.allSatisfy { $0 == "_" || ("a"..."z").contains($0) || ("0"..."9").contains($0) }
    }

    /// The URL with its password replaced by `********`.
    static func masking(_ url: String) -> String {
        guard let schemeEnd = url.range(of: "://") else { return url }
        let authority = url[schemeEnd.upperBound...].prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        guard let at = authority.lastIndex(of: "@"),
              let colon = url[schemeEnd.upperBound..<at].firstIndex(of: ":") else { return url }
        return String(url[...colon]) + "********" + String(url[at...])
    }
}

/// A `database_url` that does not describe a PostgreSQL server this store can use.
///
/// ```swift
/// do { _ = try PostgresStoreConfiguration(url: "postgresql://db:99999/flux") }
/// catch { print(error) }   // the PostgreSQL URL "postgresql://db:99999/flux" is not usable: port 99999 …
/// ```
public struct PostgresURLError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The URL with its password masked.
    public let url: String
    public let problem: String

    public var description: String {
        "the PostgreSQL URL \"\(url)\" is not usable: \(problem). Expected postgresql://user:password@host:port/database"
    }
}
